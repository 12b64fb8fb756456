// Runs one `isavirt` invocation: global options, the command registry, and the single place where
// exit codes are decided and errors become messages. Nothing a user does should ever show a stack
// trace; a bug in isavirt shows "internal error" (and the stack only with ISAVIRT_DEBUG=1).
import { readFileSync } from 'node:fs';
import type { Argv } from 'yargs';
import type { CliCommand } from './command.js';
import { CliExit, EXIT, UsageError, paint, processIO, type CliIO } from './io.js';
import { setFrontEndOptions } from './spec.js';

/** package.json sits two levels up from both src/cli/ and dist/cli/. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Thrown inside yargs for argument errors; caught below and turned into exit code 2. */
class ArgumentError extends Error {}

export function buildParser(y: Argv, commands: readonly CliCommand[], io: CliIO, setCode: (n: number) => void): Argv {
  y.scriptName('isavirt')
    .usage(
      '$0 <command> [options]\n\nDecides whether an instruction set can host a trap-and-emulate virtual machine monitor\n(Popek and Goldberg 1974), with proof or a witness.',
    )
    .version(packageVersion())
    .help()
    .alias('h', 'help')
    .alias('v', 'version')
    .strict()
    .option('allow-extends-outside', {
      type: 'boolean',
      default: false,
      global: true,
      describe: "let a spec's 'extends' name files outside its own folder tree",
    })
    .middleware((argv) => setFrontEndOptions({ allowExtendsOutside: argv['allowExtendsOutside'] === true }))
    .demandCommand(1, 'name a command (isavirt --help lists them)')
    .recommendCommands()
    .wrap(Math.min(100, y.terminalWidth()))
    .epilogue('Exit codes: 0 all clear, 1 a negative finding, 2 bad input (file, spec, flag).\nDocs: README.md, grammar/LANGUAGE.md')
    // Argument errors become our own message and exit 2 instead of yargs printing the whole help.
    .fail((msg: string | undefined, err: Error | undefined) => {
      if (err) throw err;
      throw new ArgumentError(msg ?? 'bad arguments');
    })
    .exitProcess(false);
  for (const cmd of commands) {
    y.command(
      cmd.command,
      cmd.describe,
      (b: Argv) => {
        let built = cmd.builder ? cmd.builder(b) : b;
        for (const [line, what] of cmd.examples ?? []) built = built.example(line, what);
        return built;
      },
      async (args: unknown) => {
        setCode(await cmd.run(args, io));
      },
    );
  }
  return y;
}

/** yargs says "Not enough non-option arguments"; say which command wanted what instead. */
function explainMissing(message: string, commands: readonly CliCommand[], args: readonly string[]): string {
  if (!/^Not enough non-option arguments/.test(message)) return message;
  const name = args.find((a) => !a.startsWith('-'));
  const cmd = commands.find((c) => c.command.split(' ')[0] === name);
  if (!cmd) return message;
  const wanted = cmd.command
    .split(' ')
    .slice(1)
    .filter((w) => w.startsWith('<'))
    .join(' ');
  return `isavirt ${name} needs ${wanted} (usage: isavirt ${cmd.command})`;
}

/**
 * Parse `args` (the command line without node and the script), run the command, and return the
 * exit code (the caller exits).
 */
export async function runArgs(y: Argv, commands: readonly CliCommand[], io: CliIO, args: readonly string[] = []): Promise<number> {
  let code: number = EXIT.ok;
  const p = paint(io.colorErr);
  try {
    buildParser(y, commands, io, (n) => (code = n));
    await y.parseAsync();
    return code;
  } catch (e) {
    if (e instanceof CliExit) return e.code;
    if (e instanceof ArgumentError || e instanceof UsageError || isYargsError(e)) {
      io.err(`${p.error('error:')} ${explainMissing((e as Error).message, commands, args)}`);
      if (!(e instanceof UsageError)) io.err(`run 'isavirt --help' (or 'isavirt <command> --help') for usage`);
      return EXIT.badInput;
    }
    const message = e instanceof Error ? e.message : String(e);
    io.err(`${p.error('internal error:')} ${message}`);
    io.err('This is a bug in isavirt; please report it with the command line and spec that caused it.');
    if (io.env.ISAVIRT_DEBUG === '1' && e instanceof Error && e.stack) io.err(e.stack);
    else io.err('(set ISAVIRT_DEBUG=1 to see the stack trace)');
    return EXIT.internal;
  }
}

function isYargsError(e: unknown): boolean {
  return e instanceof Error && e.name === 'YError';
}

/** The process entry: run, flush, exit. */
export async function runCli(y: Argv, commands: readonly CliCommand[], args: readonly string[], io: CliIO = processIO()): Promise<never> {
  const code = await runArgs(y, commands, io, args);
  // Wait for stdout/stderr to drain so piped output is complete, then exit even if some library
  // (the Z3 WebAssembly build) keeps handles open.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  await new Promise<void>((resolve) => process.stderr.write('', () => resolve()));
  process.exit(code);
}
