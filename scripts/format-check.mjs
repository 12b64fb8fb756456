// `prettier --check` over what tools/lint/formatted.txt names (globs; see the note there);
// `--write` formats them instead. Run by `npm run lint`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const files = readFileSync(new URL('../tools/lint/formatted.txt', import.meta.url), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const mode = process.argv.includes('--write') ? '--write' : '--check';
const bin = new URL('../tools/lint/node_modules/.bin/prettier', import.meta.url).pathname;
const r = spawnSync(bin, [mode, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 2);
