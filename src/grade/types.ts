// Coursework grading: the shapes of an assignment (what the teacher writes), an answer file (what a
// student writes for classification questions) and a grade (what every output format renders).
// Everything here is plain JSON so a grade can cross a worker boundary and be written as is.

import type { IsaAnalysis } from '../analysis/index.js';
import type { Isa } from '../ir/index.js';

/** Gradescope's visibility words; the other formats show or hide a test by the same setting. */
export type Visibility = 'visible' | 'hidden' | 'after_due_date' | 'after_published';

/** How much a student is told about a lost point: nothing but the score; which claim is wrong;
 *  also the right answer; also the evidence (the witness, the reason) behind it. */
export type FeedbackLevel = 'score' | 'wrong' | 'answer' | 'evidence';

/** The properties a classification answer may claim of an instruction. */
export const PROPERTIES = ['privileged', 'control-sensitive', 'behaviour-sensitive', 'innocuous'] as const;
export type Property = (typeof PROPERTIES)[number];

export interface TheoremQuestion {
  theorem: 1 | 3;
  /** Points for "holds" / "fails". */
  verdictPoints: number;
  /** Points for the offending instructions, scaled by the overlap of the student's set with the derived one. */
  offendersPoints?: number;
  /** Ask only about these instructions as offenders (the others are not expected in the answer). */
  among?: string[];
}

interface QuestionBase {
  /** Stable identifier; test names derive from it. */
  id: string;
  title?: string;
  visibility?: Visibility;
  feedback?: FeedbackLevel;
}

export interface ClassificationQuestion extends QuestionBase {
  kind: 'classification';
  /** The student's answer file inside the submission (default answers.json). */
  file?: string;
  instructions: string[];
  /** The properties asked (default all four). */
  properties?: Property[];
  /** Points per instruction, split evenly over the properties asked (partial credit). */
  pointsPerInstruction: number;
  theorems?: TheoremQuestion[];
}

export interface SpecQuestion extends QuestionBase {
  kind: 'spec';
  /** The student's spec inside the submission. */
  file: string;
  /** match: write a spec of the reference machine; fix: make the reference virtualizable (Theorem 1)
   *  changing as few instructions as possible. */
  goal: 'match' | 'fix';
  points: {
    /** The spec parses and checks. */
    parses: number;
    /** Theorem 1 and 3 verdicts (fix: Theorem 1 holds) and each instruction's classification (match). */
    verdicts: number;
    /** Each instruction's semantics against the reference, split evenly over the instructions. */
    semantics: number;
    /** fix only: no more instructions changed than the reference has offenders. */
    minimal?: number;
  };
}

export interface RedPillQuestion extends QuestionBase {
  kind: 'redpill';
  /** The guest program inside the submission (assembly, `.s`). */
  file: string;
  points: number;
  /** Step budget of each run (default 100000). */
  steps?: number;
  /** Where a student says no program can tell (default answers.json, field `redpill`). */
  claimFile?: string;
}

export type Question = ClassificationQuestion | SpecQuestion | RedPillQuestion;

/** `Limits.timeoutMs` when the assignment gives none. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface Limits {
  /** Wall-clock time for one submission, milliseconds (default 60000). */
  timeoutMs?: number;
  /** V8 old-generation heap for the worker grading one submission, MiB (default 512). */
  memoryMb?: number;
  /** Each solver query, milliseconds (default 2000). */
  solverMs?: number;
}

export interface Assignment {
  title: string;
  /** The reference spec, relative to the assignment file. */
  reference: string;
  /** Default visibility of every test (default visible). */
  visibility?: Visibility;
  /** Default feedback level (default evidence). */
  feedback?: FeedbackLevel;
  limits?: Limits;
  questions: Question[];
}

// ---- the answer file ----

export type InstructionAnswer = Partial<Record<Property, boolean>> | Property[];

export interface Answers {
  student?: string;
  instructions?: Record<string, InstructionAnswer>;
  theorems?: Record<string, { holds?: boolean; offenders?: string[] }>;
  /** Red-pill questions on a virtualizable machine: "impossible" claims no program can tell. */
  redpill?: 'impossible';
}

// ---- a prepared assignment (what every worker receives) ----

export interface PreparedAssignment {
  assignment: Assignment;
  /** Absolute path of the assignment file. */
  assignmentFile: string;
  reference: Isa;
  analysis: IsaAnalysis;
  /** Problems the teacher should know about (undecided verdicts left out of the rubric). */
  warnings: string[];
}

// ---- a grade ----

export interface TestResult {
  /** Stable: `<question id>: <part>`. */
  name: string;
  question: string;
  score: number;
  maxScore: number;
  visibility: Visibility;
  /** What the student reads (already cut to the question's feedback level). */
  output: string;
  /** The score as `passed` of `of` equal parts (claims, instructions, offenders): GitHub
   *  Classroom counts whole tests, so its output lists the parts (absent: one part). */
  parts?: { passed: number; of: number };
}

export interface SubmissionGrade {
  /** The submission's exact folder or file name (its identity; never cut at a dot). */
  student: string;
  /** The submission's path as given. */
  path: string;
  gradable: boolean;
  /** Why the submission could not be graded (parse errors, a crash, a bound hit). */
  formatErrors: string[];
  tests: TestResult[];
  score: number;
  maxScore: number;
  /** Seconds spent grading it. */
  seconds: number;
}
