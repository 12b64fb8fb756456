#!/usr/bin/env node
// The `isavirt` command: one file per subcommand in this folder; each registers itself here.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands.js';
import { runCli } from './run.js';

await runCli(yargs(hideBin(process.argv)), commands);
