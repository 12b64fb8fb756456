// `npm run bench`: build, then run every bench/*.mjs (except this file) one after another and show
// their figures. Benchmarks print numbers; nothing here asserts on timings.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  console.error('bench: the build failed');
  process.exit(build.status ?? 1);
}

const benches = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .sort();
if (benches.length === 0) console.log('bench: no benchmarks in bench/ yet');
let failed = 0;
for (const b of benches) {
  console.log(`\n== ${b} ==`);
  const r = spawnSync(process.execPath, [join(here, b)], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.error(`bench: ${b} exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
