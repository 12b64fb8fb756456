// What a grading run finds at its target, and grading all of it. A teacher's batch folder must
// never lose a student: every entry found yields exactly one result, graded or "not gradable" with
// the reason, kept in arrays in the order found (never in an object keyed by a name a student
// chose, where `__proto__` vanishes and `Alice`/`alice` collide). A submission's identity is its
// exact folder or file name. Symbolic links (a common way to assemble a batch from elsewhere) are
// followed when they resolve inside an allowed root, and reported otherwise.

import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { zeroGrade } from './grade.js';
import { gradeInPool, type PoolOptions } from './pool.js';
import type { Assignment, PreparedAssignment, SubmissionGrade } from './types.js';

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

/** One entry found at the target: to be graded, or not gradable with the reason. */
export type SubmissionEntry = { name: string; path: string; gradable: true } | { name: string; path: string; gradable: false; reason: string };

export type Listing = { ok: true; batch: boolean; entries: SubmissionEntry[] } | { ok: false; error: string };

export interface ListOptions {
  /** Folders a symbolic link may resolve into (besides the batch folder itself). */
  allowedRoots?: string[];
  /** The target is one submission, never a batch (Gradescope's /autograder/submission): when its
   *  files sit in its only sub-folder (an uploaded folder), that sub-folder is the submission. */
  single?: boolean;
}

function real(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch {
    return undefined;
  }
}

function inside(p: string, root: string): boolean {
  return p === root || p.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

/** Name order that is the same on every machine (code units, not the locale). */
function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Classify one entry of a batch folder. */
function entryOf(dir: string, name: string, roots: string[]): SubmissionEntry {
  const p = path.join(dir, name);
  let l;
  try {
    l = lstatSync(p);
  } catch {
    return { name, path: p, gradable: false, reason: 'it disappeared while the batch was read' };
  }
  if (l.isSymbolicLink()) {
    const r = real(p);
    if (r === undefined) return { name, path: p, gradable: false, reason: 'it is a symbolic link to nothing' };
    if (!roots.some((root) => inside(r, root))) {
      return { name, path: p, gradable: false, reason: 'it is a symbolic link that leads outside the batch folder (allow its target with --allow-root)' };
    }
    const st = statSync(r);
    if (!st.isDirectory() && !st.isFile()) return { name, path: p, gradable: false, reason: 'it links to something that is neither a file nor a folder' };
    return { name, path: p, gradable: true };
  }
  if (l.isDirectory() || l.isFile()) return { name, path: p, gradable: true };
  return { name, path: p, gradable: false, reason: 'it is neither a file nor a folder' };
}

/**
 * The submissions at `target`: a file is one submission; a folder holding any file the assignment
 * names is one submission; any other folder is a batch, and every entry in it (sub-folder or file,
 * whatever its name) is one submission, in name order.
 */
export function listSubmissions(target: string, a: Assignment, options: ListOptions = {}): Listing {
  let st;
  try {
    st = statSync(target);
  } catch {
    return { ok: false, error: `${target}: no such file or folder` };
  }
  const name = path.basename(path.resolve(target));
  if (st.isFile()) return { ok: true, batch: false, entries: [{ name, path: target, gradable: true }] };
  if (!st.isDirectory()) return { ok: false, error: `${target}: not a file or folder` };
  const names = readdirSync(target).sort(byName);
  const wanted = new Set(submissionFiles(a));
  const isWanted = (n: string) => {
    if (!wanted.has(n)) return false;
    try {
      return statSync(path.join(target, n)).isFile();
    } catch {
      return false;
    }
  };
  if (names.some(isWanted)) return { ok: true, batch: false, entries: [{ name, path: target, gradable: true }] };
  if (options.single) {
    const dirs = names.filter((n) => {
      try {
        return statSync(path.join(target, n)).isDirectory();
      } catch {
        return false;
      }
    });
    const only = dirs.length === 1 && names.length === 1 ? path.join(target, dirs[0]!) : target;
    return { ok: true, batch: false, entries: [{ name, path: only, gradable: true }] };
  }
  if (names.length === 0)
    return { ok: false, error: `${target}: no submissions in this folder (expected ${[...wanted].join(', ')}, or one folder per student)` };
  const roots = [real(target) ?? path.resolve(target), ...(options.allowedRoots ?? []).map((r) => real(r) ?? path.resolve(r))];
  return { ok: true, batch: true, entries: names.map((n) => entryOf(target, n, roots)) };
}

/** Grade every entry: the gradable ones in the pool, the others as "not gradable" with the reason.
 *  One result per entry, in the entries' order. */
export async function gradeEntries(prep: PreparedAssignment, entries: SubmissionEntry[], options: PoolOptions = {}): Promise<SubmissionGrade[]> {
  const toGrade = entries.filter((e) => e.gradable);
  const graded = await gradeInPool(
    prep,
    toGrade.map((e) => e.path),
    options,
  );
  const byEntry = new Map<SubmissionEntry, SubmissionGrade>();
  toGrade.forEach((e, i) => byEntry.set(e, { ...graded[i]!, student: e.name }));
  return entries.map((e) => byEntry.get(e) ?? zeroGrade(prep, e.path, e.gradable ? 'it was not graded' : e.reason, 0, e.name));
}

/** "6 found, 5 graded, 1 not gradable": what a batch run says at the end. */
export interface BatchSummary {
  found: number;
  graded: number;
  notGradable: number;
  fullMarks: number;
}

export function summarise(grades: SubmissionGrade[]): BatchSummary {
  const graded = grades.filter((g) => g.gradable).length;
  return { found: grades.length, graded, notGradable: grades.length - graded, fullMarks: grades.filter((g) => g.gradable && g.score >= g.maxScore).length };
}

export function summaryLine(s: BatchSummary): string {
  return `${s.found} found, ${s.graded} graded, ${s.notGradable} not gradable; ${s.fullMarks} with every point`;
}
