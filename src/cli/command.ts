// The shape of one subcommand. A command is data plus a `run` function that returns its exit code;
// it prints through `io` only, so tests can run it in-process and the CLI can run it for real.
import type { Argv } from 'yargs';
import type { CliIO } from './io.js';

// Commands are kept in one list whatever their argument types, so the list's element type must
// accept any: each command's own `A` is checked where it is defined (defineCommand).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface CliCommand<A = any> {
  /** yargs command string: name and positionals, e.g. 'parse <spec...>'. */
  command: string;
  /** One line for `isavirt --help`. */
  describe: string;
  /** Declare options and positionals (yargs builder). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- yargs' builder result type depends on the options declared
  builder?: (y: Argv) => Argv<any>;
  /** Shown under "Examples:" in `isavirt <command> --help`: [command line, what it does]. */
  examples?: [string, string][];
  /** Do the work; return the exit code (0 fine, 1 negative finding, 2 bad input). */
  run(args: A, io: CliIO): Promise<number> | number;
}

/** Helper so each command file gets its argument type checked: `export default defineCommand<...>({...})`. */
export function defineCommand<A>(c: CliCommand<A>): CliCommand<A> {
  return c;
}
