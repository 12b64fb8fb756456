// A pool of grading workers (node:worker_threads). Each submission is graded in a worker with a
// V8 heap limit and a wall-clock timeout; a worker that runs out of memory, crashes or overruns is
// terminated, its submission is reported "not gradable: …", and a fresh worker takes its place, so
// one hostile submission never stops the batch. Results come back in the order asked.

import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { zeroGrade } from './grade.js';
import { DEFAULT_TIMEOUT_MS, type PreparedAssignment, type SubmissionGrade } from './types.js';
import type { WorkReply } from './worker.js';

export interface PoolOptions {
  /** Workers at once (default: available parallelism, at most the number of submissions). */
  workers?: number;
  /** Called as each submission finishes (progress bars). */
  onGraded?: (grade: SubmissionGrade, done: number, total: number) => void;
}

/** The worker script: beside this module when compiled; from dist/ when this module runs as
 *  TypeScript source (the test runner), since a worker needs JavaScript. */
export function workerScript(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/grade/worker.js', import.meta.url);
}

interface Slot {
  worker: Worker;
  busy?: { index: number; timer: NodeJS.Timeout; started: number };
}

/** Grade every submission in isolation; the result array follows `submissions`' order. */
export function gradeInPool(prep: PreparedAssignment, submissions: string[], options: PoolOptions = {}): Promise<SubmissionGrade[]> {
  const limits = prep.assignment.limits ?? {};
  const timeoutMs = limits.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const memoryMb = limits.memoryMb ?? 512;
  const n = Math.max(1, Math.min(options.workers ?? os.availableParallelism(), submissions.length));
  const results: SubmissionGrade[] = new Array(submissions.length);
  const script = workerScript();
  let next = 0;
  let done = 0;
  if (submissions.length === 0) return Promise.resolve([]);

  return new Promise((resolve) => {
    const slots: Slot[] = [];
    const finish = (slot: Slot, grade: SubmissionGrade) => {
      const b = slot.busy!;
      clearTimeout(b.timer);
      slot.busy = undefined;
      results[b.index] = grade;
      done++;
      options.onGraded?.(grade, done, submissions.length);
      if (done === submissions.length) {
        for (const s of slots) void s.worker.terminate();
        resolve(results);
        return;
      }
      feed(slot);
    };
    const fail = (slot: Slot, why: string) => {
      const b = slot.busy;
      if (!b) return;
      const seconds = Math.round((performance.now() - b.started) / 10) / 100;
      // The worker may be wedged or dead: replace it before handing out more work.
      const old = slot.worker;
      old.removeAllListeners();
      void old.terminate();
      slot.worker = spawn(slot);
      finish(slot, zeroGrade(prep, submissions[b.index]!, why, seconds));
    };
    const spawn = (slot: Slot): Worker => {
      const w = new Worker(script, {
        workerData: { prep },
        // The worker is a module file: a flag for the parent's own input (`node --input-type=module
        // -e`, a library user's script) would make it fail to start.
        execArgv: process.execArgv.filter((a) => !a.startsWith('--input-type')),
        resourceLimits: { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(16, Math.min(64, memoryMb / 8)) },
        stdout: true,
        stderr: true,
      });
      w.on('message', (m: WorkReply) => {
        if (!slot.busy) return;
        if (m.ok) finish(slot, m.grade);
        else fail(slot, `the grader failed on it (${m.error})`);
      });
      w.on('error', (e: Error & { code?: string }) => {
        fail(
          slot,
          e.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? `it needed more than the ${memoryMb} MiB of memory a submission may use`
            : `grading it crashed (${e.message})`,
        );
      });
      w.on('exit', (code) => {
        if (slot.busy && slot.worker === w) fail(slot, `grading it stopped the worker (exit code ${code})`);
      });
      return w;
    };
    const feed = (slot: Slot) => {
      if (next >= submissions.length) return;
      const index = next++;
      const timer = setTimeout(() => fail(slot, `grading it took longer than the ${timeoutMs / 1000} s limit`), timeoutMs);
      slot.busy = { index, timer, started: performance.now() };
      slot.worker.postMessage({ id: index, submission: submissions[index]! });
    };
    for (let i = 0; i < n; i++) {
      const slot = {} as Slot;
      slot.worker = spawn(slot);
      slots.push(slot);
      feed(slot);
    }
  });
}
