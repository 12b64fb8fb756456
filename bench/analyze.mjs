// Wall and CPU time of the analysis (classification, theorems, witness replay) of every spec in
// isas/, one by one and all together, solver start-up included. CPU time (process.cpuUsage: this
// thread plus Z3's worker) is the steadier figure on a loaded machine. Prints figures only;
// asserts nothing.
// Run after `npm run build`. `node bench/analyze.mjs isas/pg.isa ...` analyses only those files.
import { readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../dist/ir/index.js';
import { analyzeIsa, getZ3 } from '../dist/analysis/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = process.argv.length > 2
  ? process.argv.slice(2)
  : readdirSync(join(root, 'isas')).filter((f) => f.endsWith('.isa')).sort().map((f) => join(root, 'isas', f));

const cpuMs = (u) => (u.user + u.system) / 1000;
const c0 = process.cpuUsage();
const t0 = performance.now();
await getZ3();
const init = performance.now() - t0;
console.log(`solver start-up: ${init.toFixed(0)} ms`);

const rows = [];
for (const f of files) {
  const r = loadIsaFile(f);
  if (!r.ok) {
    console.log(`${basename(f)}: does not load (${r.diagnostics.length} diagnostics); skipped`);
    continue;
  }
  const t = performance.now();
  const c = process.cpuUsage();
  const a = await analyzeIsa(r.isa);
  const ms = performance.now() - t;
  const cpu = cpuMs(process.cpuUsage(c));
  const unknown = a.instructions.filter((c) =>
    [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.userSensitive].some((v) => v.value === 'unknown'),
  ).length;
  rows.push({
    spec: basename(f),
    instructions: a.stats.instructions,
    queries: a.stats.solverQueries,
    'solver ms': a.stats.solverMs,
    'total ms': Math.round(ms),
    'cpu ms': Math.round(cpu),
    'ms/instr': +(ms / Math.max(1, a.stats.instructions)).toFixed(1),
    unknown,
    T1: a.theorem1.value,
    T2: a.theorem2.value,
    T3: a.theorem3.value,
  });
}
console.table(rows);
const all = performance.now() - t0;
const allCpu = cpuMs(process.cpuUsage(c0));
const heap = process.memoryUsage();
console.log(`all ${rows.length} specs: ${all.toFixed(0)} ms wall, ${allCpu.toFixed(0)} ms CPU (solver start-up included); ` +
  `${rows.reduce((n, r) => n + r.instructions, 0)} instructions, ${rows.reduce((n, r) => n + r.queries, 0)} solver queries; rss ${(heap.rss / 2 ** 20).toFixed(0)} MiB`);
// z3-solver keeps worker threads alive; leave explicitly.
process.exit(0);
