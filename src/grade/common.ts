// Small helpers every question kind shares.

import type { Assignment, FeedbackLevel, Question, Visibility } from './types.js';

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
