#!/usr/bin/env node
// The `isavirt` command. Subcommands live one per file in this folder and are listed in commands.ts.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { markStdinArgs } from './io.js';
import { runCli } from './run.js';

// `isavirt check isas/ | head` closes our stdout early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

let commands;
try {
  ({ commands } = await import('./commands.js'));
} catch (e) {
  // A command module that fails to load is a bug in isavirt, not the user's fault: no raw stack.
  process.stderr.write(`internal error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.stderr.write('This is a bug in isavirt; please report it.\n');
  if (process.env.ISAVIRT_DEBUG === '1' && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(3);
}
const args = markStdinArgs(hideBin(process.argv));
await runCli(yargs(args), commands, args);
