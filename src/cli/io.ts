// What every command needs from its surroundings: where to print, whether to colour, and how to
// stop with an exit code. Commands never call process.exit themselves; they return a code or throw
// CliExit/UsageError, so a command can be run and tested in-process.
import { writeFileSync } from 'node:fs';
import pc from 'picocolors';

/** Exit codes, shared by every command (see README "Exit codes"). */
export const EXIT = {
  /** All clear. */
  ok: 0,
  /** A negative finding: unformatted file, not virtualizable, failed grade. */
  finding: 1,
  /** Bad input of any kind: missing file, bad spec, bad flag. */
  badInput: 2,
  /** A bug in isavirt itself. */
  internal: 3,
} as const;

export interface CliIO {
  /** Write a line (or lines) to stdout; a newline is added. */
  out(text: string): void;
  /** Write a line (or lines) to stderr; a newline is added. */
  err(text: string): void;
  /** Write raw text to stdout, no newline added (file contents). */
  write(text: string): void;
  /** Colour stdout / stderr text: only for a TTY, and never when NO_COLOR is set. */
  colorOut: boolean;
  colorErr: boolean;
  /** Environment, for commands that honour variables (ISAVIRT_DEBUG). */
  env: NodeJS.ProcessEnv;
}

/** Stop the command with this exit code; whatever explains it has already been printed. */
export class CliExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** A mistake in how the command was called (bad flag combination, missing file): exit 2. */
export class UsageError extends Error {}

/**
 * What `-` on the command line becomes before yargs sees it (yargs drops a bare `-` from
 * positionals, so `isavirt parse -` used to check nothing and exit 0). Commands that read a spec
 * take it as standard input; every other place refuses it.
 */
export const STDIN_ARG = '<stdin>';

/** `-` becomes STDIN_ARG; everything else is left alone. */
export function markStdinArgs(args: readonly string[]): string[] {
  return args.map((a) => (a === '-' ? STDIN_ARG : a));
}

/** Write a command's output file; a path that cannot be written is the user's error (exit 2). */
export function writeOutputFile(file: string, text: string): void {
  // `-o -` reaches here as STDIN_ARG (markStdinArgs): a file named '<stdin>' is never what was meant.
  if (file === STDIN_ARG) throw new UsageError(`'-' is not a file to write: leave out --output to print to standard output`);
  try {
    writeFileSync(file, text);
  } catch (e) {
    throw new UsageError(`${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** https://no-color.org: present and not empty disables colour. */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export function processIO(): CliIO {
  const env = process.env;
  return {
    out: (text) => void process.stdout.write(text + '\n'),
    err: (text) => void process.stderr.write(text + '\n'),
    write: (text) => void process.stdout.write(text),
    colorOut: colorWanted(process.stdout, env),
    colorErr: colorWanted(process.stderr, env),
    env,
  };
}

/** Colour helpers that collapse to plain text when colour is off. */
export function paint(color: boolean) {
  const c = pc.createColors(color);
  return {
    error: (s: string) => c.bold(c.red(s)),
    warn: (s: string) => c.bold(c.yellow(s)),
    ok: (s: string) => c.green(s),
    dim: (s: string) => c.dim(s),
    bold: (s: string) => c.bold(s),
  };
}
