// `isavirt fmt [--check] [--write] <files...>`: print specs in canonical form, rewrite them, or
// check that they already are.
import { readFileSync, writeFileSync } from 'node:fs';
import { formatSpec } from '../ir/index.js';
import { defineCommand } from './command.js';
import { EXIT, paint } from './io.js';
import { expandFolders, printDiagnostics, requireFile } from './spec.js';

export default defineCommand<{ files: string[]; check?: boolean; write?: boolean }>({
  command: 'fmt <files...>',
  describe: 'format specs canonically (prints the result; --write rewrites, --check only checks)',
  builder: (y) =>
    y
      .positional('files', { type: 'string', array: true, describe: '.isa files to format, or folders of them' })
      .option('check', { type: 'boolean', describe: 'exit 1 and list the files that are not formatted' })
      .option('write', { alias: 'w', type: 'boolean', describe: 'rewrite the files in place' })
      .conflicts('check', 'write'),
  examples: [
    ['isavirt fmt isas/pg.isa', 'print the canonical form'],
    ['isavirt fmt --write isas/*.isa', 'rewrite every spec in place'],
    ['isavirt fmt --check isas/', 'exit 1 if any spec in isas/ is not formatted (for CI)'],
  ],
  async run(args, io) {
    const p = paint(io.colorOut);
    let bad = false;
    const unformatted: string[] = [];
    for (const file of expandFolders(args.files, '.isa')) {
      requireFile(file);
      const text = readFileSync(file, 'utf8');
      const result = formatSpec(text, file);
      if (!result.ok) {
        printDiagnostics(result.diagnostics, io, { file, text });
        bad = true;
        continue;
      }
      if (args.check) {
        if (result.text !== text) unformatted.push(file);
      } else if (args.write) {
        if (result.text !== text) {
          writeFileSync(file, result.text);
          io.out(`formatted ${file}`);
        }
      } else {
        io.write(result.text);
      }
    }
    // List the unformatted files even when another file was bad input; bad input wins the exit code.
    for (const file of unformatted) io.out(`${p.warn('not formatted:')} ${file}`);
    if (unformatted.length > 0) io.err(`${unformatted.length} file(s) not formatted; run 'isavirt fmt --write' on them`);
    if (bad) return EXIT.badInput;
    return unformatted.length > 0 ? EXIT.finding : EXIT.ok;
  },
});
