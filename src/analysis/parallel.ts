// Several specs analysed on every core: the instructions of each spec are cut into chunks (CHUNK
// instructions, each chunk solved in its own fresh solving context, so its results do not depend
// on what ran before it), the chunks of all specs go to a pool of worker threads, each with its own
// Z3, costliest first, and each spec is put back together in instruction order, its theorems
// decided after the merge. The result equals sequential `analyzeIsa` on each spec: same order, same
// verdicts, same witnesses. The IR and the results are plain data and cross threads as they are.

import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Isa } from '../ir/index.js';
import {
  CHUNK,
  analysedInstructions,
  assembleAnalysis,
  cachedInstruction,
  classifyRange,
  mergeChunks,
  type AnalyzeOptions,
  type ChunkResult,
} from './index.js';
import type { IsaAnalysis } from './types.js';

export interface ParallelOptions extends Omit<AnalyzeOptions, 'onInstruction'> {
  /** Worker threads (default min(2, os.availableParallelism())); 1 analyses in this thread. */
  workers?: number;
  /** Called after each instruction of spec number `isa` (progress bars). */
  onInstruction?: (isa: number, done: number, total: number, mnemonic: string) => void;
}

/** One chunk of one spec: what a worker is asked to classify. */
interface Job {
  isa: number;
  from: number;
  to: number;
  /** Estimated cost (size of the chunk's semantics): the costliest chunks are handed out first so
   *  the last ones to finish are short. */
  cost: number;
}

/** Main thread -> worker. `isa` is sent with the first job of that spec the worker gets. */
export interface JobMessage {
  key: number;
  isa?: Isa;
  from: number;
  to: number;
  options: Omit<AnalyzeOptions, 'onInstruction' | 'only'> & { only?: string[] };
}

/** Worker -> main thread. */
export type WorkerMessage = { k: 'progress'; mnemonic: string } | { k: 'done'; result: ChunkResult } | { k: 'failed'; message: string };

/** The compiled worker beside this module, or undefined when running from TypeScript sources
 *  (vitest), where a worker could not load it. */
function workerFile(): URL | undefined {
  const url = new URL('./worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

function defaultWorkers(): number {
  return Math.min(2, os.availableParallelism());
}

/** Workers started ahead of `analyzeIsas` (see startWorkers); unreferenced until used, so they
 *  never keep the process alive on their own. */
let warm: Worker[] = [];

/** Start the workers now, so that their solver start-up overlaps what the caller does before
 *  `analyzeIsas` (reading and checking the specs). Does nothing from TypeScript sources. */
export function startWorkers(n = defaultWorkers()): void {
  const url = workerFile();
  if (!url || n < 2) return;
  while (warm.length < n) {
    const w = new Worker(url);
    w.unref();
    // A warm worker that fails before it is used is simply not used (analyzeIsas starts another).
    w.on('error', () => (warm = warm.filter((x) => x !== w)));
    warm.push(w);
  }
}

/** Analyse `isas`, in parallel where there are cores and a compiled worker; results in the order of
 *  `isas`, each equal to `analyzeIsa(isa, options)` but for timing statistics. Instructions the
 *  cache has (cache.ts) are taken from it here; only the others go to the workers, which cache
 *  what they classify. */
export async function analyzeIsas(isas: Isa[], options: ParallelOptions = {}): Promise<IsaAnalysis[]> {
  const { workers: wanted, onInstruction, ...analyzeOptions } = options;
  const totals = isas.map((isa) => analysedInstructions(isa, analyzeOptions).length);
  const results = isas.map((isa) => new Array<ChunkResult>(Math.ceil(analysedInstructions(isa, analyzeOptions).length / CHUNK)));
  const done = isas.map(() => 0);
  const progress = (i: number, m: string) => onInstruction?.(i, ++done[i]!, totals[i]!, m);
  const jobs: Job[] = [];
  isas.forEach((isa, i) => {
    const instrs = analysedInstructions(isa, analyzeOptions);
    for (let from = 0; from < instrs.length; from += CHUNK) {
      const to = Math.min(instrs.length, from + CHUNK);
      const hits = instrs.slice(from, to).map((instr) => cachedInstruction(isa, instr, analyzeOptions));
      if (hits.every((h) => h)) {
        results[i]![from / CHUNK] = mergeChunks(hits as ChunkResult[]);
        instrs.slice(from, to).forEach((instr) => progress(i, instr.mnemonic));
        continue;
      }
      const cost = instrs.slice(from, to).reduce((n, instr) => n + JSON.stringify(instr.semantics).length, 0);
      jobs.push({ isa: i, from, to, cost });
    }
  });
  const started = isas.map(() => Infinity);
  const finished = isas.map(() => 0);
  const assembled = () => isas.map((isa, i) => assembleAnalysis(isa, results[i]!, Number.isFinite(started[i]) ? finished[i]! - started[i]! : 0));
  if (jobs.length === 0) {
    await Promise.all(warm.splice(0).map((w) => w.terminate()));
    return assembled();
  }
  const url = workerFile();
  const n = Math.min(wanted ?? defaultWorkers(), jobs.length);
  if (!url || n < 2) {
    await Promise.all(warm.splice(0).map((w) => w.terminate()));
    for (const job of jobs) {
      started[job.isa] = Math.min(started[job.isa]!, performance.now());
      results[job.isa]![job.from / CHUNK] = await classifyRange(isas[job.isa]!, job.from, job.to, analyzeOptions, (m) => progress(job.isa, m));
      finished[job.isa] = performance.now();
    }
    return assembled();
  }

  // Stable sort: equal costs keep spec and instruction order.
  const queue = jobs
    .map((j, ix) => ({ j, ix }))
    .sort((a, b) => b.j.cost - a.j.cost || a.ix - b.ix)
    .map((x) => x.j);

  /** Classify `job` on `worker`, or here when there is none or it dies (out of memory, say): a
   *  dead worker loses only its chunk, which is redone here. */
  const runOne = async (job: Job, worker: Worker | undefined, seen: Set<number>): Promise<{ r: ChunkResult; dead: boolean }> => {
    let counted = 0;
    if (worker) {
      try {
        const r = await inWorker(worker, job, isas, seen, analyzeOptions, (m) => (counted++, progress(job.isa, m)));
        return { r, dead: false };
      } catch {
        done[job.isa]! -= counted;
      }
    }
    return { r: await classifyRange(isas[job.isa]!, job.from, job.to, analyzeOptions, (m) => progress(job.isa, m)), dead: true };
  };

  const pool = warm.splice(0, n);
  for (const w of pool) {
    w.removeAllListeners('error');
    w.ref();
  }
  while (pool.length < n) pool.push(new Worker(url));
  // A failure between jobs must not go unhandled: the next job on that worker sees it exited.
  for (const w of pool) w.on('error', () => {});
  try {
    await Promise.all(
      pool.map(async (w) => {
        const seen = new Set<number>();
        let worker: Worker | undefined = w;
        for (let job = queue.shift(); job; job = queue.shift()) {
          started[job.isa] = Math.min(started[job.isa]!, performance.now());
          const { r, dead } = await runOne(job, worker, seen);
          if (dead) worker = undefined;
          results[job.isa]![job.from / CHUNK] = r;
          finished[job.isa] = Math.max(finished[job.isa]!, performance.now());
        }
      }),
    );
  } finally {
    // Warm workers this call did not need are not kept either.
    await Promise.all([...pool, ...warm.splice(0)].map((w) => w.terminate()));
  }
  return assembled();
}

/** Run one job on `worker`; rejects if the worker fails or exits. */
function inWorker(
  worker: Worker,
  job: Job,
  isas: Isa[],
  seen: Set<number>,
  options: Omit<AnalyzeOptions, 'onInstruction'>,
  onEach: (mnemonic: string) => void,
): Promise<ChunkResult> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (m: WorkerMessage) => {
      if (m.k === 'progress') return onEach(m.mnemonic);
      cleanup();
      if (m.k === 'done') resolve(m.result);
      else reject(new Error(m.message));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`analysis worker exited with code ${code}`));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    const msg: JobMessage = { key: job.isa, from: job.from, to: job.to, options };
    if (!seen.has(job.isa)) {
      msg.isa = isas[job.isa];
      seen.add(job.isa);
    }
    worker.postMessage(msg);
  });
}
