// Wall and CPU time of the analysis (classification, theorems, witness replay) of every spec in
// isas/, one by one and all together, solver start-up included. CPU time (process.cpuUsage: this
// thread plus Z3's worker) is the steadier figure on a loaded machine. Prints figures only;
// asserts nothing.
// First `analyzeIsas` (worker threads, one Z3 each, the specs' instructions across the workers),
// in a fresh process, so its wall time includes the workers' solver start-up; and whether its
// results equal the sequential ones (timing statistics aside).
// Per spec, cold (no cache) with where the time goes — load (parse and check), the solver,
// building the queries' terms (symbolic execution), replaying models on the interpreter, probing,
// and the rest — then warm (every instruction from the per-instruction cache, src/analysis/cache.ts).
// Last, the CLI as a user runs it: `isavirt check isas/` cold and warm (a fresh cache folder, then
// the same one again), with its peak RSS where /usr/bin/time exists.
// Run after `npm run build`. `node bench/analyze.mjs isas/pg.isa ...` analyses only those files.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../dist/ir/index.js';
import { analyzeIsa, analyzeIsas, getZ3 } from '../dist/analysis/index.js';
import os from 'node:os';

// Milliseconds since the process started: node's own start-up and the imports above.
const startup = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files =
  process.argv.length > 2
    ? process.argv.slice(2)
    : readdirSync(join(root, 'isas'))
        .filter((f) => f.endsWith('.isa'))
        .sort()
        .map((f) => join(root, 'isas', f));

const cpuMs = (u) => (u.user + u.system) / 1000;
const loaded = files.map((f) => {
  const t = performance.now();
  const r = loadIsaFile(f);
  return { f, r, loadMs: performance.now() - t };
});
console.log(
  `process start-up (node and module imports): ${startup.toFixed(0)} ms; loading the specs: ${loaded.reduce((s, x) => s + x.loadMs, 0).toFixed(0)} ms`,
);
const good = loaded.filter((x) => x.r.ok);
const strip = (a) => JSON.stringify(a, (k, v) => (k === 'stats' || k === 'ms' ? undefined : v));

const p0 = performance.now();
const pc0 = process.cpuUsage();
const parallel = await analyzeIsas(
  good.map((x) => x.r.isa),
  { cache: false },
);
const parallelMs = performance.now() - p0;
// Workers' CPU is not this thread's: process.cpuUsage counts the whole process.
const parallelCpu = cpuMs(process.cpuUsage(pc0));

const c0 = process.cpuUsage();
const t0 = performance.now();
await getZ3();
const init = performance.now() - t0;
console.log(`solver start-up: ${init.toFixed(0)} ms`);
const cacheDir = mkdtempSync(join(tmpdir(), 'isavirt-bench-cache-'));
process.env.ISAVIRT_CACHE_DIR = cacheDir;

const rows = [];
const sequential = [];
for (const { f, r, loadMs } of loaded) {
  if (!r.ok) {
    console.log(`${basename(f)}: does not load (${r.diagnostics.length} diagnostics); skipped`);
    continue;
  }
  const t = performance.now();
  const c = process.cpuUsage();
  const a = await analyzeIsa(r.isa);
  sequential.push(a);
  const ms = performance.now() - t;
  const cpu = cpuMs(process.cpuUsage(c));
  const w0 = performance.now();
  const warm = await analyzeIsa(r.isa);
  const warmMs = performance.now() - w0;
  const unknown = a.instructions.filter((c) =>
    [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.userSensitive].some((v) => v.value === 'unknown'),
  ).length;
  const st = a.stats;
  rows.push({
    spec: basename(f),
    instructions: st.instructions,
    queries: st.solverQueries,
    'load ms': Math.round(loadMs),
    'solver ms': st.solverMs,
    'symbolic ms': st.symbolicMs,
    'replay ms': st.replayMs,
    'probe ms': st.probeMs,
    'other ms': Math.round(ms - st.solverMs - st.symbolicMs - st.replayMs - st.probeMs),
    'cold ms': Math.round(ms),
    'cpu ms': Math.round(cpu),
    'ms/instr': +(ms / Math.max(1, st.instructions)).toFixed(1),
    'warm ms': +warmMs.toFixed(1),
    cached: `${warm.stats.cached}/${warm.stats.instructions}`,
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
console.log(
  `all ${rows.length} specs: ${all.toFixed(0)} ms wall, ${allCpu.toFixed(0)} ms CPU (solver start-up included); ` +
    `${rows.reduce((n, r) => n + r.instructions, 0)} instructions, ${rows.reduce((n, r) => n + r.queries, 0)} solver queries; rss ${(heap.rss / 2 ** 20).toFixed(0)} MiB`,
);
const same = parallel.length === sequential.length && parallel.every((a, i) => strip(a) === strip(sequential[i]));
console.log(
  `parallel (analyzeIsas, ${Math.min(2, os.availableParallelism())} workers): ${parallelMs.toFixed(0)} ms wall, ${parallelCpu.toFixed(0)} ms CPU ` +
    `(workers' solver start-up included); results ${same ? 'equal' : 'DIFFER from'} the sequential ones`,
);
rmSync(cacheDir, { recursive: true, force: true });

// The CLI on the whole library, cold then warm, each in a fresh process.
if (process.argv.length <= 2) {
  const cliDir = mkdtempSync(join(tmpdir(), 'isavirt-bench-cli-'));
  const timeBin = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
  const cli = (label) => {
    const args = [join(root, 'dist/cli/main.js'), 'check', join(root, 'isas')];
    const s0 = performance.now();
    const r = timeBin
      ? spawnSync(timeBin, ['-f', '%M', process.execPath, ...args], { env: { ...process.env, ISAVIRT_CACHE_DIR: cliDir }, encoding: 'utf8' })
      : spawnSync(process.execPath, args, { env: { ...process.env, ISAVIRT_CACHE_DIR: cliDir }, encoding: 'utf8' });
    const wall = performance.now() - s0;
    const rss = timeBin ? Number(r.stderr.trim().split('\n').at(-1)) / 1024 : undefined;
    console.log(`isavirt check isas/ ${label}: ${wall.toFixed(0)} ms wall${rss ? `, peak RSS ${rss.toFixed(0)} MiB` : ''} (exit ${r.status})`);
  };
  cli('cold (empty cache)');
  cli('warm (cache present)');
  rmSync(cliDir, { recursive: true, force: true });
}
// z3-solver keeps worker threads alive; leave explicitly.
process.exit(0);
