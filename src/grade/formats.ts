// Output formats of a grade. Each follows its platform's published shape (the schemas in grammar/
// check that): Gradescope's results.json, PrairieLearn's external-grader results.json, the runner
// results GitHub Classroom's autograding-grading-reporter reads, and a CSV row per student for a
// gradebook; `text` is for people at a terminal. A batch is always an array (or rows) in the order
// found: a submission's name is data, never a key.

import { stringify } from 'csv-stringify/sync';
import { points } from './common.js';
import type { SubmissionGrade, TestResult } from './types.js';

export const GRADE_FORMATS = ['text', 'gradescope', 'prairielearn', 'classroom', 'csv'] as const;
export type GradeFormat = (typeof GRADE_FORMATS)[number];

/** Markdown text that shows as written: the characters Markdown gives meaning escaped, one line. */
function mdText(s: string): string {
  return s.replace(/[\\`*_{}[\]()#+\-.!|<>~]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** A block Markdown shows verbatim (feedback with caret excerpts). */
function mdBlock(s: string): string {
  const fence = '~~~~';
  return `${fence}text\n${s.split(fence).join('~ ~ ~ ~')}\n${fence}`;
}

/** Gradescope autograder results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/,
 *  "Output format"): a top-level score, and per test score, max_score, name, number, output, tags,
 *  visibility, and the optional `status` ("passed" or "failed", shown beside the test) and
 *  `output_format` (one of text, html, simple_format, md, ansi: "Output String Formatting"). The
 *  summary is Markdown (a table of the visible tests); each test's feedback stays `text`, which
 *  Gradescope shows in a <pre> block as written, caret excerpts and all. */
export function toGradescope(g: SubmissionGrade): object {
  const summary = g.gradable
    ? [
        `**Graded by isavirt: ${points(g.score)} of ${points(g.maxScore)} points.**`,
        '',
        '| test | points |',
        '|---|---|',
        ...g.tests.filter((t) => t.visibility === 'visible').map((t) => `| ${mdText(t.name)} | ${points(t.score)} / ${points(t.maxScore)} |`),
      ].join('\n')
    : ['**Your submission could not be graded:**', '', mdBlock(g.formatErrors.join('\n'))].join('\n');
  return {
    score: g.score,
    execution_time: Math.max(0, Math.round(g.seconds)),
    output: summary,
    output_format: 'md',
    stdout_visibility: 'hidden',
    tests: g.tests.map((t, i) => ({
      score: t.score,
      max_score: t.maxScore,
      status: t.score >= t.maxScore ? 'passed' : 'failed',
      name: t.name,
      number: String(i + 1),
      output: t.output,
      output_format: 'text',
      tags: [t.question],
      visibility: t.visibility,
    })),
  };
}

/** PrairieLearn external grading results.json (PrairieLearn docs, externalGrading.md, "Grading
 *  results"): score in [0, 1]; a submission that does not parse is `gradable: false` with
 *  `format_errors`, so the student keeps the attempt. PrairieLearn shows every test it is given and
 *  has no hidden tests of its own, so a hidden test is listed with its points (the tests then add
 *  up to the score) and its feedback withheld. */
export function toPrairieLearn(g: SubmissionGrade): object {
  if (!g.gradable)
    return { gradable: false, format_errors: g.formatErrors, message: 'Your submission could not be graded; fix the errors below and submit again.' };
  return {
    gradable: true,
    score: g.maxScore > 0 ? Math.min(1, Math.max(0, g.score / g.maxScore)) : 1,
    message: `${points(g.score)} of ${points(g.maxScore)} points.`,
    tests: g.tests.map((t) => {
      const shown = t.visibility === 'visible';
      return {
        name: t.name,
        points: t.score,
        max_points: t.maxScore,
        message: !shown ? 'feedback hidden for now' : t.score >= t.maxScore ? 'passed' : 'see output',
        output: shown ? t.output : 'The feedback on this test is hidden for now.',
      };
    }),
  };
}

// ---- GitHub Classroom ----
//
// classroom-resources/autograding-grading-reporter (src/main.js) reads, for each id in its
// `runners` input, the environment variable `<ID>_RESULTS` (the id upper-cased): base64 of one
// runner result `{ version, status, max_score, tests: [{ name, status, score, message, test_code,
// line_no, ... }] }`. Its log (src/console-results.js) prints each test's name with a tick or a
// cross and, when present, its `test_code`; `message` only for status "error". Its table and log
// total count a runner as (tests passed / tests) × max_score (src/helpers/test-helpers.js,
// getTestScore), while the points it records add up every test's `score` (src/notify-classroom.js).
// So that the two agree, every isavirt test becomes one runner whose tests are its equal parts (a
// claim, an instruction, an offender), each passed or not, and the feedback travels in `test_code`.

export interface ClassroomTest {
  name: string;
  status: 'pass' | 'fail' | 'error';
  score: number;
  max_score: number;
  message: string;
  test_code: string;
  filename: string;
  line_no: number;
  duration: number;
}

export interface ClassroomResult {
  version: 1;
  status: 'pass' | 'fail' | 'error';
  max_score: number;
  tests: ClassroomTest[];
}

export interface ClassroomRunner {
  /** The runner id the reporter is given: letters and digits only (the reporter's own check). */
  id: string;
  /** The isavirt test it stands for. */
  test: string;
  result: ClassroomResult;
}

/** Runner ids from test names: letters and digits, lower case, unique within the submission. */
function runnerIds(tests: TestResult[]): string[] {
  const seen = new Set<string>();
  return tests.map((t, i) => {
    const base =
      t.name
        .normalize('NFKD')
        .replace(/[^A-Za-z0-9]/g, '')
        .toLowerCase()
        .slice(0, 40) || `test${i + 1}`;
    let id = base;
    for (let n = 2; seen.has(id); n++) id = `${base}${n}`;
    seen.add(id);
    return id;
  });
}

function classroomRunner(g: SubmissionGrade, t: TestResult, id: string): ClassroomRunner {
  const parts = t.parts && t.parts.of > 0 ? t.parts : { passed: t.score >= t.maxScore ? 1 : 0, of: 1 };
  const each = t.maxScore / parts.of;
  const feedback = t.visibility === 'visible' ? t.output : 'The feedback on this test is hidden for now.';
  const tests: ClassroomTest[] = [];
  for (let k = 0; k < parts.of; k++) {
    const passed = g.gradable && k < parts.passed;
    tests.push({
      name: parts.of === 1 ? t.name : `${t.name} (part ${k + 1} of ${parts.of})`,
      status: !g.gradable ? 'error' : passed ? 'pass' : 'fail',
      score: passed ? each : 0,
      max_score: each,
      message: k === 0 ? feedback : '',
      // The reporter prints test_code for every test that has one: the feedback, once per test.
      test_code: k === 0 && (t.score < t.maxScore || !g.gradable) ? feedback : '',
      filename: '',
      line_no: 0,
      duration: 0,
    });
  }
  const status = !g.gradable ? 'error' : t.score >= t.maxScore ? 'pass' : 'fail';
  return { id, test: t.name, result: { version: 1, status, max_score: t.maxScore, tests } };
}

/** One runner per test (see above), in the tests' order. */
export function toClassroomRunners(g: SubmissionGrade): ClassroomRunner[] {
  const ids = runnerIds(g.tests);
  return g.tests.map((t, i) => classroomRunner(g, t, ids[i]!));
}

/** The classroom format of one submission: its runners, and the totals the reporter will show. */
export function toClassroom(g: SubmissionGrade): object {
  return { runners: toClassroomRunners(g), score: g.score, max_score: g.maxScore };
}

/** What a workflow step hands the reporter: `<ID>_RESULTS=<base64>` lines for $GITHUB_ENV (the
 *  environment of every later step in the job) and `runners=<ids>` for $GITHUB_OUTPUT (the
 *  reporter's `runners` input). */
export function classroomEnvironment(g: SubmissionGrade): { env: string; output: string } {
  const runners = toClassroomRunners(g);
  return {
    env: runners.map((r) => `${r.id.toUpperCase()}_RESULTS=${Buffer.from(JSON.stringify(r.result)).toString('base64')}\n`).join(''),
    output: `runners=${runners.map((r) => r.id).join(',')}\n`,
  };
}

/** One row per student: name, total, maximum, gradable, then one column per test (stable order).
 *  csv-stringify quotes; `escape_formulas` defuses spreadsheet formula injection (a cell a student
 *  controls must not start with = + - @, tab or CR: it gets a leading '). */
export function toCsv(grades: SubmissionGrade[]): string {
  const names: string[] = [];
  for (const g of grades) for (const t of g.tests) if (!names.includes(t.name)) names.push(t.name);
  const rows = [['student', 'score', 'max_score', 'gradable', ...names]];
  for (const g of grades) {
    const by = new Map(g.tests.map((t) => [t.name, t.score]));
    rows.push([g.student, String(g.score), String(g.maxScore), g.gradable ? 'yes' : 'no', ...names.map((n) => (by.has(n) ? String(by.get(n)) : ''))]);
  }
  return stringify(rows, { escape_formulas: true });
}

/** For a terminal: each student's tests and feedback. */
export function toText(grades: SubmissionGrade[]): string {
  const L: string[] = [];
  for (const g of grades) {
    // A name with control characters (a newline could fake another student's line) is quoted.
    const name = [...g.student].some((c) => c < ' ' || c === '\u007f') ? JSON.stringify(g.student) : g.student;
    L.push(`${name}: ${points(g.score)} / ${points(g.maxScore)}${g.gradable ? '' : ' (not gradable)'}`);
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

/** A batch in a JSON format: one entry per submission found, in order, each naming its submission. */
export function renderBatch(
  format: Exclude<GradeFormat, 'csv' | 'text'>,
  grades: SubmissionGrade[],
): { submission: string; gradable: boolean; result: object }[] {
  return grades.map((g) => ({ submission: g.student, gradable: g.gradable, result: renderOne(format, g) }));
}

/** File names for a batch written one file per submission: the submission's name, made safe as a
 *  file name and unique even where the file system ignores case (`Alice` and `alice`). */
export function batchFileNames(grades: SubmissionGrade[]): string[] {
  const taken = new Set<string>();
  return grades.map((g) => {
    const base = g.student.replace(/[/\\\0]/g, '_').replace(/^\.+/, (dots) => '_'.repeat(dots.length)) || '_';
    let name = `${base}.json`;
    for (let n = 2; taken.has(name.toLowerCase()) || name.toLowerCase() === 'index.json'; n++) name = `${base}~${n}.json`;
    taken.add(name.toLowerCase());
    return name;
  });
}
