// `isavirt doc <spec> [--format markdown|html] [--output file]`: the reference document of an ISA.
import { defineCommand } from './command.js';
import { EXIT, writeOutputFile } from './io.js';
import { startProgress } from './progress.js';
import { loadSpecOrExit } from './spec.js';

export const DOC_FORMATS = ['markdown', 'html'] as const;

export default defineCommand<{ spec: string; format: (typeof DOC_FORMATS)[number]; output?: string; analysis: boolean }>({
  command: 'doc <spec>',
  describe: 'write the reference document of an ISA (state, modes, traps, instructions, derived classification)',
  builder: (y) =>
    y
      .positional('spec', { type: 'string', describe: '.isa or .isa.json file' })
      .option('format', { alias: 'f', requiresArg: true, choices: DOC_FORMATS, default: 'markdown' as const, describe: 'document format' })
      .option('output', { alias: 'o', type: 'string', requiresArg: true, describe: 'write to this file instead of stdout' })
      .option('analysis', {
        type: 'boolean',
        default: true,
        describe: 'include the derived classification and verdicts (--no-analysis: the spec alone, no solver)',
      }),
  examples: [
    ['isavirt doc isas/pg.isa', 'Markdown on stdout'],
    ['isavirt doc isas/x86-386.isa --format html -o x86.html', 'one self-contained HTML page'],
  ],
  async run(args, io) {
    const isa = await loadSpecOrExit(args.spec, io);
    const { renderIsaDoc } = await import('../doc/index.js');
    // The solver is loaded only when wanted: it is the slow part.
    let analysis;
    if (args.analysis) {
      const progress = await startProgress(`analysing ${isa.name}`, io);
      try {
        analysis = await (await import('../analysis/index.js')).analyzeIsa(isa, { onInstruction: (d, t, m) => progress.update(d, t, m) });
      } finally {
        progress.stop();
      }
    }
    const text = renderIsaDoc(isa, analysis, { format: args.format });
    if (args.output !== undefined) {
      writeOutputFile(args.output, text);
    } else {
      io.write(text);
    }
    return EXIT.ok;
  },
});
