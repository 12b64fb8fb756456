// The worker that grades submissions for the pool: it receives the prepared assignment once (the
// reference's IR and analysis, shared by every submission) and then one submission path per message.
// It runs in its own V8 isolate with a heap limit, so a submission that explodes takes down only
// this worker; the pool reports it and starts another.

import { parentPort, workerData } from 'node:worker_threads';
import { gradeSubmission } from './grade.js';
import type { PreparedAssignment } from './types.js';

export interface WorkRequest {
  id: number;
  submission: string;
}

export type WorkReply = { id: number; ok: true; grade: Awaited<ReturnType<typeof gradeSubmission>> } | { id: number; ok: false; error: string };

const prep = (workerData as { prep: PreparedAssignment }).prep;

parentPort!.on('message', (req: WorkRequest) => {
  gradeSubmission(prep, req.submission).then(
    (grade) => parentPort!.postMessage({ id: req.id, ok: true, grade } satisfies WorkReply),
    (e: unknown) => parentPort!.postMessage({ id: req.id, ok: false, error: e instanceof Error ? e.message : String(e) } satisfies WorkReply),
  );
});
