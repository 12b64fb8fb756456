// The registry of `isavirt` subcommands.
//
// To add a command, write src/cli/<name>.ts:
//
//     export default defineCommand<{ spec: string }>({
//       command: '<name> <spec>', describe: '...', builder: (y) => y.positional(...).option(...),
//       examples: [['isavirt <name> isas/pg.isa', 'what it does']],
//       async run(args, io) { const isa = await loadSpecOrExit(args.spec, io); ...; return EXIT.ok; },
//     });
//
// and append ONE line to the list below: `await load('./<name>.js'),`.
// The list's order is the order in `isavirt --help`. Every command module is loaded at start-up,
// so import heavy things (z3-solver, playwright) inside `run`, not at the top of the file.
import type { CliCommand } from './command.js';

/**
 * Load one command module. A module that fails to load (a bug) must not take the other commands
 * down with it: it becomes a command that reports the failure as an internal error when used.
 */
export async function load(path: string): Promise<CliCommand> {
  try {
    return ((await import(path)) as { default: CliCommand }).default;
  } catch (e) {
    const name = path.replace(/^\.\/|\.js$/g, '');
    return {
      command: `${name} [args..]`,
      describe: `(unavailable: this build failed to load it)`,
      builder: (y) => y.strict(false),
      run() {
        throw new Error(`the '${name}' command failed to load: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      },
    };
  }
}

export const commands: CliCommand[] = [
  await load('./parse.js'),
  await load('./export.js'),
  await load('./fmt.js'),
  await load('./check.js'),
  await load('./asm.js'),
  await load('./lsp.js'),
  await load('./doc.js'),
  await load('./explain.js'),
  await load('./grade.js'),
  await load('./run-program.js'),
  await load('./demo.js'),
];
