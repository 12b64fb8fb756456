// The public API of grading: prepare an assignment once, grade submissions (in isolated workers, or
// in this thread), and render the grades for Gradescope, PrairieLearn, GitHub Classroom or a CSV.

import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Assignment } from './types.js';

export type * from './types.js';
export { PROPERTIES } from './types.js';
export { prepareAssignment, loadAssignment, parseAnswers, defaultCacheFile, derivedProperty, type PrepareOptions, type Prepared } from './assignment.js';
export { gradeSubmission, zeroGrade, studentName } from './grade.js';
export { gradeInPool, workerScript, type PoolOptions } from './pool.js';
export { compareInstruction, stateMismatches, type EquivResult } from './equiv.js';
export { confinedHost, MAX_SUBMISSION_FILE, type ConfinedHost } from './host.js';
export { GRADE_FORMATS, toGradescope, toPrairieLearn, toClassroom, toCsv, toText, renderOne, type GradeFormat } from './formats.js';

/** File names an assignment looks for inside a submission folder. */
export function submissionFiles(a: Assignment): string[] {
  const names = new Set<string>();
  for (const q of a.questions) {
    if (q.kind === 'classification') names.add(q.file ?? 'answers.json');
    else names.add(q.file);
    if (q.kind === 'redpill') names.add(q.claimFile ?? 'answers.json');
  }
  return [...names];
}

/**
 * The submissions at `target`: a file is one submission; a folder holding any file the assignment
 * names is one submission; any other folder holds one submission per entry (sub-folder or file),
 * in name order (hidden entries skipped).
 */
export function listSubmissions(target: string, a: Assignment): { ok: true; submissions: string[]; batch: boolean } | { ok: false; error: string } {
  let st;
  try {
    st = statSync(target);
  } catch {
    return { ok: false, error: `${target}: no such file or folder` };
  }
  if (st.isFile()) return { ok: true, submissions: [target], batch: false };
  if (!st.isDirectory()) return { ok: false, error: `${target}: not a file or folder` };
  const entries = readdirSync(target, { withFileTypes: true }).filter((e) => !e.name.startsWith('.'));
  const wanted = new Set(submissionFiles(a));
  if (entries.some((e) => e.isFile() && wanted.has(e.name))) return { ok: true, submissions: [target], batch: false };
  const subs = entries
    .filter((e) => e.isDirectory() || (e.isFile() && !e.name.endsWith('.analysis.json')))
    .map((e) => e.name)
    .sort()
    .map((n) => path.join(target, n));
  if (subs.length === 0) return { ok: false, error: `${target}: no submissions in this folder (expected ${[...wanted].join(', ')}, or one folder per student)` };
  return { ok: true, submissions: subs, batch: true };
}
