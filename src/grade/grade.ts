// Grading one submission in this thread: find each question's file in the submission (a folder, or
// a single file standing for the question whose file has the same extension), read it through the
// confined host, and grade every question. The pool (pool.ts) runs this inside a worker.

import { statSync } from 'node:fs';
import path from 'node:path';
import { gradeClassification } from './classification.js';
import { hideHostPaths, questionMax, roundScore } from './common.js';
import { confinedHost, type ConfinedHost } from './host.js';
import { gradeRedPill } from './redpill.js';
import { gradeSpec } from './specq.js';
import type { PreparedAssignment, Question, SubmissionGrade, TestResult } from './types.js';

/** A submission's identity: its exact folder or file name, nothing cut (`alice.v1` and `alice.v2`
 *  are two submissions). */
export function studentName(p: string): string {
  return path.basename(path.resolve(p));
}

interface Located {
  host: ConfinedHost;
  /** The absolute path of `name` in this submission, or undefined when the submission has no such file. */
  locate(name: string): string | undefined;
}

function locate(submission: string): Located {
  const abs = path.resolve(submission);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) {
    const host = confinedHost(abs);
    return { host, locate: (name) => path.join(abs, name) };
  }
  const host = confinedHost(path.dirname(abs), abs);
  const ext = (n: string) => (n.endsWith('.isa.json') ? '.isa.json' : path.extname(n));
  return { host, locate: (name) => (path.basename(abs) === name || ext(abs) === ext(name) ? abs : undefined) };
}

/** Test names and maxima of an assignment, every test scored zero with `why` (a submission that
 *  could not be graded at all still gets one row per test). */
export function zeroGrade(prep: PreparedAssignment, submission: string, why: string, seconds = 0, name = studentName(submission)): SubmissionGrade {
  const tests: TestResult[] = [];
  for (const q of prep.assignment.questions) {
    for (const t of testShapes(prep, q)) tests.push({ ...t, score: 0, output: `not gradable: ${why}` });
  }
  const maxScore = roundScore(tests.reduce((s, t) => s + t.maxScore, 0));
  return hideHostPaths(
    { student: name, path: submission, gradable: false, formatErrors: [`not gradable: ${why}`], tests, score: 0, maxScore, seconds },
    prep.assignmentFile,
  );
}

/** The tests a question produces, with their maxima (mirrors the graders' names). */
function testShapes(prep: PreparedAssignment, q: Question): Omit<TestResult, 'output'>[] {
  const visibility = q.visibility ?? prep.assignment.visibility ?? 'visible';
  const t = (name: string, maxScore: number) => ({ name, question: q.id, score: 0, maxScore, visibility });
  switch (q.kind) {
    case 'classification': {
      // Undecided parts are left out of the maxima exactly as the grader leaves them out.
      const dummy = gradeClassification(prep, q, { text: undefined, file: q.file ?? 'answers.json' }, []);
      return dummy.map((d) => t(d.name, d.maxScore));
    }
    case 'spec': {
      const out = [t(`${q.id}: parses`, q.points.parses), t(`${q.id}: verdicts`, q.points.verdicts), t(`${q.id}: semantics`, q.points.semantics)];
      if (q.goal === 'fix' && q.points.minimal !== undefined) out.push(t(`${q.id}: fewest changes`, q.points.minimal));
      return out;
    }
    case 'redpill':
      return [t(`${q.id}: red pill`, questionMax(q))];
  }
}

/** Grade one submission (folder or file) in this thread. Never throws for a bad submission. */
export async function gradeSubmission(prep: PreparedAssignment, submission: string): Promise<SubmissionGrade> {
  const t0 = performance.now();
  const loc = locate(submission);
  const formatErrors: string[] = [];
  const tests: TestResult[] = [];
  const read = (name: string): { abs: string | undefined; text: string | undefined } => {
    const abs = loc.locate(name);
    return { abs, text: abs === undefined ? undefined : loc.host.readFile(abs) };
  };
  const solverMs = prep.assignment.limits?.solverMs ?? 2000;
  for (const q of prep.assignment.questions) {
    switch (q.kind) {
      case 'classification': {
        const file = q.file ?? 'answers.json';
        tests.push(...gradeClassification(prep, q, { text: read(file).text, file }, formatErrors));
        break;
      }
      case 'spec': {
        const r = read(q.file);
        tests.push(
          ...(await gradeSpec(
            prep,
            q,
            { text: r.text, file: r.abs ?? path.join(loc.host.root, q.file), shown: q.file, host: loc.host, solverMs },
            formatErrors,
          )),
        );
        break;
      }
      case 'redpill': {
        const claimFile = q.claimFile ?? 'answers.json';
        const prog = read(q.file);
        // A one-file submission is either the program or the claim, never both.
        const claim = prog.abs !== undefined && loc.locate(claimFile) === prog.abs ? { text: undefined } : read(claimFile);
        tests.push(...gradeRedPill(prep, q, { program: prog.text, programFile: q.file, claimText: claim.text, claimFile }, formatErrors));
        break;
      }
    }
  }
  for (const t of tests) t.score = roundScore(t.score);
  const score = roundScore(tests.reduce((s, t) => s + t.score, 0));
  const maxScore = roundScore(tests.reduce((s, t) => s + t.maxScore, 0));
  return hideHostPaths(
    {
      student: studentName(submission),
      path: submission,
      gradable: formatErrors.length === 0,
      formatErrors: [...new Set(formatErrors)],
      tests,
      score,
      maxScore,
      seconds: Math.round((performance.now() - t0) / 10) / 100,
    },
    prep.assignmentFile,
  );
}
