// Output formats of a grade. Each follows its platform's published shape (the schemas in grammar/
// check that): Gradescope's results.json, PrairieLearn's external-grader results.json, the JSON the
// GitHub Classroom autograding-grading-reporter reads, and a CSV row per student for a gradebook;
// `text` is for people at a terminal.

import { points } from './common.js';
import type { SubmissionGrade, TestResult } from './types.js';

export const GRADE_FORMATS = ['text', 'gradescope', 'prairielearn', 'classroom', 'csv'] as const;
export type GradeFormat = (typeof GRADE_FORMATS)[number];

/** Gradescope autograder results.json (https://gradescope-autograders.readthedocs.io, "Output format"). */
export function toGradescope(g: SubmissionGrade): object {
  const out: Record<string, unknown> = {
    score: g.score,
    execution_time: Math.max(0, Math.round(g.seconds)),
    output: g.gradable ? `Graded by isavirt: ${points(g.score)} of ${points(g.maxScore)} points.` : g.formatErrors.join('\n'),
    stdout_visibility: 'hidden',
    tests: g.tests.map((t, i) => ({
      score: t.score,
      max_score: t.maxScore,
      name: t.name,
      number: String(i + 1),
      output: t.output,
      tags: [t.question],
      visibility: t.visibility,
    })),
  };
  return out;
}

/** PrairieLearn external grading results.json: score in [0, 1]; a submission that does not parse is
 *  `gradable: false` with `format_errors`, so the student keeps the attempt. Hidden tests are left
 *  out (PrairieLearn shows every test it is given). */
export function toPrairieLearn(g: SubmissionGrade): object {
  if (!g.gradable) return { gradable: false, format_errors: g.formatErrors, message: 'Your submission could not be graded; fix the errors below and submit again.' };
  return {
    gradable: true,
    score: g.maxScore > 0 ? Math.min(1, Math.max(0, g.score / g.maxScore)) : 1,
    message: `${points(g.score)} of ${points(g.maxScore)} points.`,
    tests: g.tests
      .filter((t) => t.visibility === 'visible')
      .map((t) => ({ name: t.name, points: t.score, max_points: t.maxScore, message: t.score === t.maxScore ? 'passed' : 'see output', output: t.output })),
  };
}

function classroomStatus(t: TestResult): 'pass' | 'fail' {
  return t.score >= t.maxScore ? 'pass' : 'fail';
}

/** The JSON the GitHub Classroom autograding-grading-reporter reads from a runner
 *  (`{ version, status, max_score, tests: [{ name, status, score, message, ... }] }`). */
export function toClassroom(g: SubmissionGrade): object {
  const tests = g.tests.map((t) => ({
    name: t.name,
    status: g.gradable ? classroomStatus(t) : 'error',
    score: t.score,
    max_score: t.maxScore,
    message: t.output,
    test_code: t.question,
    filename: '',
    line_no: 0,
    duration: 0,
  }));
  const status = !g.gradable ? 'error' : tests.every((t) => t.status === 'pass') ? 'pass' : 'fail';
  return { version: 1, status, max_score: g.maxScore, tests };
}

function csvCell(s: string): string {
  // Spreadsheet formula injection: a cell a student controls must not start with = + - @.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row per student: name, total, maximum, gradable, then one column per test (stable order). */
export function toCsv(grades: SubmissionGrade[]): string {
  const names: string[] = [];
  for (const g of grades) for (const t of g.tests) if (!names.includes(t.name)) names.push(t.name);
  const rows = [['student', 'score', 'max_score', 'gradable', ...names].map(csvCell).join(',')];
  for (const g of grades) {
    const by = new Map(g.tests.map((t) => [t.name, t.score]));
    rows.push([g.student, String(g.score), String(g.maxScore), g.gradable ? 'yes' : 'no', ...names.map((n) => (by.has(n) ? String(by.get(n)) : ''))].map(csvCell).join(','));
  }
  return rows.join('\n') + '\n';
}

/** For a terminal: each student's tests and feedback. */
export function toText(grades: SubmissionGrade[]): string {
  const L: string[] = [];
  for (const g of grades) {
    L.push(`${g.student}: ${points(g.score)} / ${points(g.maxScore)}${g.gradable ? '' : ' (not gradable)'}`);
    for (const e of g.formatErrors) L.push(`  ${e.split('\n').join('\n  ')}`);
    for (const t of g.tests) {
      L.push(`  ${t.name}: ${points(t.score)} / ${points(t.maxScore)}`);
      if (t.score < t.maxScore && t.output) L.push(`    ${t.output.split('\n').join('\n    ')}`);
    }
  }
  return L.join('\n') + '\n';
}

/** One submission's result in a JSON format. */
export function renderOne(format: Exclude<GradeFormat, 'csv' | 'text'>, g: SubmissionGrade): object {
  switch (format) {
    case 'gradescope':
      return toGradescope(g);
    case 'prairielearn':
      return toPrairieLearn(g);
    case 'classroom':
      return toClassroom(g);
  }
}
