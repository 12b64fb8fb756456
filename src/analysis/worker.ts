// A worker thread of `analyzeIsas` (parallel.ts): classifies the chunks of instructions it is
// sent, one at a time, with its own Z3, and posts each result back. Specs arrive once per worker
// and are kept by key.
import { parentPort } from 'node:worker_threads';
import type { Isa } from '../ir/index.js';
import { classifyRange } from './index.js';
import type { JobMessage, WorkerMessage } from './parallel.js';

const port = parentPort!;
const isas = new Map<number, Isa>();
const post = (m: WorkerMessage) => port.postMessage(m);

port.on('message', async (job: JobMessage) => {
  try {
    if (job.isa) isas.set(job.key, job.isa);
    const isa = isas.get(job.key);
    if (!isa) throw new Error(`no spec sent for key ${job.key}`);
    const result = await classifyRange(isa, job.from, job.to, job.options, (mnemonic) => post({ k: 'progress', mnemonic }));
    post({ k: 'done', result });
  } catch (e) {
    post({ k: 'failed', message: e instanceof Error ? e.message : String(e) });
  }
});
