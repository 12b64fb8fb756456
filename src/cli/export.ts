// `isavirt export --json <spec> [--output file]`: the checked IR as JSON (grammar/isa.schema.json).
import { exportIsaJson } from '../ir/index.js';
import { defineCommand } from './command.js';
import { EXIT, UsageError, writeOutputFile } from './io.js';
import { loadSpecOrExit } from './spec.js';

export default defineCommand<{ spec: string; json: boolean; output?: string }>({
  command: 'export <spec>',
  describe: 'write the checked spec in another form (--json: the IR, an .isa.json file)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: '.isa file to export' })
      .option('json', { type: 'boolean', describe: 'export the IR as JSON', default: false })
      .option('output', { alias: 'o', type: 'string', describe: 'write to this file instead of stdout', requiresArg: true }),
  examples: [
    ['isavirt export --json isas/pg.isa', 'print the IR of pg.isa as JSON'],
    ['isavirt export --json isas/pg.isa -o pg.isa.json', 'write it to a file'],
  ],
  async run(args, io) {
    // Only one format today; asking for it explicitly keeps room for --markdown etc. later.
    if (!args.json) throw new UsageError('choose a format: --json');
    const isa = await loadSpecOrExit(args.spec, io);
    const json = exportIsaJson(isa);
    const text = json.endsWith('\n') ? json : json + '\n';
    if (args.output !== undefined) {
      writeOutputFile(args.output, text);
    } else {
      io.write(text);
    }
    return EXIT.ok;
  },
});
