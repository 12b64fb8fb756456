// Small helpers every question kind shares.

import { realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Assignment, FeedbackLevel, Question, SubmissionGrade, Visibility } from './types.js';

/** Cut long text (a trap condition of a 386 segment load) to `n` characters. */
export function clip(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

/** A score as people write it: at most two decimals, no trailing zeros. */
export function points(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Scores are sums of fractions of points: round so 0.1 + 0.2 shows (and compares) as 0.3. */
export function roundScore(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export function resolveFeedback(a: Assignment, q: Question): FeedbackLevel {
  return q.feedback ?? a.feedback ?? 'evidence';
}

/** Whether feedback at this level states the expected answer (answer and evidence do). */
export function showsAnswer(level: FeedbackLevel): boolean {
  return level === 'answer' || level === 'evidence';
}

export function resolveVisibility(a: Assignment, q: Question): Visibility {
  return q.visibility ?? a.visibility ?? 'visible';
}

/** Total points an assignment offers per question kind, as the rubric promises them. */
export function questionMax(q: Question): number {
  switch (q.kind) {
    case 'classification':
      return q.instructions.length * q.pointsPerInstruction + (q.theorems ?? []).reduce((s, t) => s + t.verdictPoints + (t.offendersPoints ?? 0), 0);
    case 'spec':
      return q.points.parses + q.points.verdicts + q.points.semantics + (q.goal === 'fix' ? (q.points.minimal ?? 0) : 0);
    case 'redpill':
      return q.points;
  }
}

/** Folders of the grading machine whose names must never reach a student: the submission's own
 *  folder (shown as the paths the student knows, relative to it), where the batch and the
 *  assignment live, the working directory, the temporary and home folders. Longest first, so a
 *  path is cut at its most specific root. */
export function hostRoots(submission: string, assignmentFile: string): string[] {
  const roots = new Set<string>();
  const add = (p: string | undefined) => {
    if (!p || p === path.sep) return;
    roots.add(path.resolve(p));
    try {
      roots.add(realpathSync(p));
    } catch {
      // Not there (any more): the resolved form is enough.
    }
  };
  const abs = path.resolve(submission);
  add(abs);
  add(path.dirname(abs));
  add(path.dirname(path.resolve(assignmentFile)));
  add(process.cwd());
  add(os.tmpdir());
  add(os.homedir());
  return [...roots].filter((r) => r !== path.sep).sort((a, b) => b.length - a.length);
}

/** `text` with every path under one of `roots` made relative to it (the root itself: "."). */
export function withoutHostPaths(text: string, roots: string[]): string {
  let out = text;
  for (const r of roots) {
    out = out.split(r + path.sep).join('');
    // The root on its own, not as the start of a longer name ("/root" in "/rooted").
    out = out.replace(new RegExp(r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?![\\w.-])', 'g'), '.');
  }
  return out;
}

/** A grade with no host path in anything a student reads. */
export function hideHostPaths(g: SubmissionGrade, assignmentFile: string): SubmissionGrade {
  const roots = hostRoots(g.path, assignmentFile);
  return {
    ...g,
    formatErrors: g.formatErrors.map((e) => withoutHostPaths(e, roots)),
    tests: g.tests.map((t) => ({ ...t, output: withoutHostPaths(t.output, roots) })),
  };
}
