// The output formats of a grade, from literal grades: Gradescope's optional fields, PrairieLearn's
// hidden tests, GitHub Classroom's runners and parts, one entry per submission in a batch.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchFileNames,
  classroomEnvironment,
  renderBatch,
  toClassroom,
  toClassroomRunners,
  toCsv,
  toGradescope,
  toPrairieLearn,
  type SubmissionGrade,
} from '../../src/grade/index.js';
import { ROOT } from './fixture.js';

const schema = (name: string) =>
  new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path.join(ROOT, 'grammar', name), 'utf8')) as object);

const grade: SubmissionGrade = {
  student: 'ana|lyst',
  path: '/tmp/x/ana|lyst',
  gradable: true,
  formatErrors: [],
  score: 5 + 4 / 3,
  maxScore: 10,
  seconds: 1.2,
  tests: [
    { name: 'q: ADD', question: 'q', score: 2, maxScore: 2, visibility: 'visible', output: 'ADD: every claim is right.', parts: { passed: 4, of: 4 } },
    {
      name: 'q: Theorem 1 offenders',
      question: 'q',
      score: 4 / 3,
      maxScore: 4,
      visibility: 'visible',
      output: 'Theorem 1 offenders: 1 of 3 right.',
      parts: { passed: 1, of: 3 },
    },
    { name: 'pill: red pill', question: 'pill', score: 3, maxScore: 3, visibility: 'hidden', output: 'Detected.' },
    { name: 'pill: later', question: 'pill', score: 0, maxScore: 1, visibility: 'after_due_date', output: 'secret feedback' },
  ],
};

describe('Gradescope', () => {
  it('per-test status, Markdown summary of the visible tests, text test output; the schema accepts them', () => {
    const r = toGradescope(grade) as any;
    expect(schema('gradescope-results.schema.json')(r)).toBe(true);
    expect(r.output_format).toBe('md');
    expect(r.tests.map((t: any) => t.status)).toEqual(['passed', 'failed', 'passed', 'failed']);
    expect(r.tests.every((t: any) => t.output_format === 'text')).toBe(true);
    expect(r.output).toContain('| q: ADD | 2 / 2 |');
    expect(r.output).not.toContain('red pill');
    const bad = schema('gradescope-results.schema.json');
    expect(bad({ ...r, output_format: 'markdown' })).toBe(false);
    expect(bad({ ...r, tests: [{ ...r.tests[0], status: 'ok' }] })).toBe(false);
  });
});

describe('PrairieLearn', () => {
  it('hidden tests are in `tests` with their points (so they add up to the score), feedback withheld', () => {
    const r = toPrairieLearn(grade) as any;
    expect(schema('prairielearn-results.schema.json')(r)).toBe(true);
    expect(r.tests.map((t: any) => t.name)).toEqual(grade.tests.map((t) => t.name));
    const sum = r.tests.reduce((s: number, t: any) => s + t.points, 0);
    const max = r.tests.reduce((s: number, t: any) => s + t.max_points, 0);
    expect(sum / max).toBeCloseTo(r.score, 12);
    expect(JSON.stringify(r)).not.toContain('secret feedback');
    expect(JSON.stringify(r)).not.toContain('Detected.');
  });
});

describe('GitHub Classroom', () => {
  it('one runner per test, its parts as the tests, so (passed / tests) x max_score is the score', () => {
    const runners = toClassroomRunners(grade);
    expect(runners.map((r) => r.id)).toEqual(['qadd', 'qtheorem1offenders', 'pillredpill', 'pilllater']);
    const off = runners[1]!.result;
    expect(off.tests.map((t) => [t.name, t.status])).toEqual([
      ['q: Theorem 1 offenders (part 1 of 3)', 'pass'],
      ['q: Theorem 1 offenders (part 2 of 3)', 'fail'],
      ['q: Theorem 1 offenders (part 3 of 3)', 'fail'],
    ]);
    expect((off.tests.filter((t) => t.status === 'pass').length / off.tests.length) * off.max_score).toBeCloseTo(4 / 3, 12);
    expect(off.tests[0]!.test_code).toBe('Theorem 1 offenders: 1 of 3 right.');
    // Classroom has no hidden tests: their feedback is withheld.
    expect(JSON.stringify(runners)).not.toContain('secret feedback');
    expect(schema('classroom-results.schema.json')(toClassroom(grade))).toBe(true);
    const { env, output } = classroomEnvironment(grade);
    expect(output).toBe('runners=qadd,qtheorem1offenders,pillredpill,pilllater\n');
    expect(
      env
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('=')[0]),
    ).toEqual(['QADD_RESULTS', 'QTHEOREM1OFFENDERS_RESULTS', 'PILLREDPILL_RESULTS', 'PILLLATER_RESULTS']);
  });
});

describe('batches', () => {
  it('an array entry per submission, names as data; file names unique where case is folded', () => {
    const names = ['__proto__', 'Alice', 'alice', 'index', '.x', 'a/b'];
    const grades = names.map((student) => ({ ...grade, student }));
    expect(renderBatch('gradescope', grades).map((e) => e.submission)).toEqual(names);
    const files = batchFileNames(grades);
    expect(files).toEqual(['__proto__.json', 'Alice.json', 'alice~2.json', 'index~2.json', '_x.json', 'a_b.json']);
  });
});

describe('CSV', () => {
  it('property: any student and test names come back from a CSV parser cell for cell, formulas defused', () => {
    // Commas, quotes, line breaks and formula prefixes are what a hostile name would use.
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', ',', '"', '\n', '\r', '=', '+', '-', '@', '\t', ' ', ';', 'é', '😀'), maxLength: 10 });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 5 }), text, (students, testName) => {
        const grades = students.map((student, i) => ({ ...grade, student, tests: [{ ...grade.tests[0]!, name: testName, score: i }] }));
        const rows = parse(toCsv(grades), { relax_column_count: false }) as string[][];
        const defused = (s: string) => (/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
        expect(rows[0]).toEqual(['student', 'score', 'max_score', 'gradable', defused(testName)]);
        expect(rows.slice(1).map((r) => r[0])).toEqual(students.map(defused));
        expect(rows.slice(1).map((r) => r[4])).toEqual(students.map((_, i) => String(i)));
      }),
      { numRuns: 300 },
    );
  });
});
