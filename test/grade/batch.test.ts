import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  gradeEntries,
  gradeInPool,
  listSubmissions,
  toClassroom,
  toCsv,
  toGradescope,
  toPrairieLearn,
  type PreparedAssignment,
  type SubmissionGrade,
} from '../../src/grade/index.js';
import { course, ROOT, submission, tempDir, TOY, TOY_FIXED } from './fixture.js';

const REDPILL = '        .kernel\n        .org 0x10\nstart:  GETMODE r0\n        STORE r0, [0x40]\n        HALT\n';
const PWNED = path.join(tempDir('pwned'), 'pwned');

let prep: PreparedAssignment;
let assignmentFile: string;
let batch: string;
let grades: SubmissionGrade[];

function schema(name: string) {
  return new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(path.join(ROOT, 'grammar', name), 'utf8')) as object);
}

beforeAll(async () => {
  ({ prep, file: assignmentFile } = await course('batch', {
    title: 'fix the toy',
    limits: { timeoutMs: 30_000, memoryMb: 256 },
    questions: [
      { id: 'fix', kind: 'spec', file: 'toy-fixed.isa', goal: 'fix', points: { parses: 1, verdicts: 3, semantics: 4, minimal: 2 } },
      { id: 'pill', kind: 'redpill', file: 'redpill.s', points: 4, steps: 5000 },
    ],
  }));
  batch = tempDir('batch-subs');
  submission(batch, 'a-good', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': REDPILL });
  // for loops nested to explode: 64^4 unrolled statements.
  submission(batch, 'b-explode', {
    'toy-fixed.isa': TOY_FIXED.replace(
      '    r[rd] = r[rd] + r[rs];',
      '    for a in 0..63 { for b in 0..63 { for c in 0..63 { for d in 0..63 { r[rd] = r[rd] + r[rs]; } } } }',
    ),
    'redpill.s': REDPILL,
  });
  // A 1 GiB memory declaration.
  submission(batch, 'c-huge', { 'toy-fixed.isa': TOY_FIXED.replace('memory E : 16 [256];', 'memory E : 16 [1073741824];'), 'redpill.s': REDPILL });
  // Text crafted to break out of generated code, in every place a spec holds text.
  const payload = `"); require('node:fs').writeFileSync(${JSON.stringify(PWNED)}, 'x'); ("`;
  const esc = (t: string) => t.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  submission(batch, 'd-inject', {
    'toy-fixed.isa': TOY_FIXED.replace('/// r[rd] <- r[rd] + r[rs].', `/// */ }); require('node:fs').writeFileSync(${JSON.stringify(PWNED)}, 'x'); //`).replace(
      'syntax "ADD {rd}, {rs}";',
      `syntax "ADD {rd}, {rs} ${esc(payload)}";`,
    ),
    'redpill.s': `; ${payload}\n${REDPILL}`,
  });
  // A red pill that loops forever (the step budget ends it).
  submission(batch, 'e-loop', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': '        .kernel\n        .org 0x10\nstart:  LOADI r0, 1\nagain:  JNZ r0, again\n' });
  const listed = listSubmissions(batch, prep.assignment);
  if (!listed.ok) throw new Error(listed.error);
  grades = await gradeEntries(prep, listed.entries, { workers: 2 });
}, 180_000);

describe('a batch with hostile submissions', () => {
  it('grades every submission, in name order', () => {
    expect(grades.map((g) => g.student)).toEqual(['a-good', 'b-explode', 'c-huge', 'd-inject', 'e-loop']);
    expect(grades[0]!.score).toBe(14);
    expect(grades[0]!.gradable).toBe(true);
  });

  it('reports the exploding spec not gradable, and still grades its red pill', () => {
    const g = grades[1]!;
    expect(g.gradable).toBe(false);
    expect(g.formatErrors.join('\n')).toMatch(/ISA\d{4}/);
    expect(g.tests.find((t) => t.name === 'pill: red pill')!.score).toBe(4);
  });

  it('grades the 1 GiB memory declaration safely', () => {
    const g = grades[2]!;
    expect(g.score).toBeLessThan(g.maxScore);
    // Either the front end refuses the size, or the memory differs from the reference's.
    const text = [...g.formatErrors, ...g.tests.map((t) => t.output)].join('\n');
    expect(text).toMatch(/memory E is 1073741824 words|ISA\d{4}/);
  });

  it('never runs text from a submission', () => {
    expect(existsSync(PWNED)).toBe(false);
    // The spec parses (the payload is just text in a doc comment and a syntax string) and is graded.
    const g = grades[3]!;
    expect(g.formatErrors).toEqual([]);
    expect(g.score).toBe(14);
  });

  it('bounds the looping red pill by the step budget', () => {
    const t = grades[4]!.tests.find((x) => x.name === 'pill: red pill')!;
    expect(t.score).toBe(0);
    expect(t.output).toContain('did not finish within 5000 steps');
  });

  it('reports a submission that overruns the time limit as not gradable; the others are graded', async () => {
    const slow: PreparedAssignment = { ...prep, assignment: { ...prep.assignment, limits: { timeoutMs: 150, memoryMb: 256 } } };
    const out = await gradeInPool(slow, [path.join(batch, 'a-good')], { workers: 1 });
    expect(out[0]!.gradable).toBe(false);
    expect(out[0]!.formatErrors).toEqual(['not gradable: grading it took longer than the 0.15 s limit']);
    expect(out[0]!.tests.map((t) => t.name)).toEqual(['fix: parses', 'fix: verdicts', 'fix: semantics', 'fix: fewest changes', 'pill: red pill']);
  });
});

describe('output formats', () => {
  it('Gradescope results.json follows its published shape', () => {
    const v = schema('gradescope-results.schema.json');
    for (const g of grades) expect(v(toGradescope(g)), JSON.stringify(v.errors)).toBe(true);
    const r = toGradescope(grades[0]!) as { score: number; tests: { name: string; max_score: number; visibility: string }[] };
    expect(r.score).toBe(14);
    expect(r.tests[0]).toMatchObject({ name: 'fix: parses', max_score: 1, visibility: 'visible' });
  });

  it('PrairieLearn: score in [0, 1]; not gradable with format_errors', () => {
    const v = schema('prairielearn-results.schema.json');
    for (const g of grades) expect(v(toPrairieLearn(g)), JSON.stringify(v.errors)).toBe(true);
    expect(toPrairieLearn(grades[0]!)).toMatchObject({ gradable: true, score: 1 });
    const bad = toPrairieLearn(grades[1]!) as { gradable: boolean; format_errors: string[]; score?: number };
    expect(bad.gradable).toBe(false);
    expect(bad.format_errors.length).toBeGreaterThan(0);
    expect(bad.score).toBeUndefined();
  });

  it('GitHub Classroom: one reporter runner per test', () => {
    const v = schema('classroom-results.schema.json');
    for (const g of grades) expect(v(toClassroom(g)), JSON.stringify(v.errors)).toBe(true);
    const runners = (g: SubmissionGrade) => (toClassroom(g) as { runners: { id: string; result: { status: string; max_score: number } }[] }).runners;
    expect(toClassroom(grades[0]!)).toMatchObject({ score: 14, max_score: 14 });
    expect(runners(grades[0]!).map((r) => r.id)).toEqual(['fixparses', 'fixverdicts', 'fixsemantics', 'fixfewestchanges', 'pillredpill']);
    expect(runners(grades[0]!).every((r) => r.result.status === 'pass')).toBe(true);
    expect(runners(grades[4]!).find((r) => r.id === 'pillredpill')!.result.status).toBe('fail');
    expect(runners(grades[1]!).every((r) => r.result.status === 'error')).toBe(true);
  });

  it('CSV: one row per student, one column per test, stable order', () => {
    const csv = toCsv(grades).trim().split('\n');
    expect(csv[0]).toBe('student,score,max_score,gradable,fix: parses,fix: verdicts,fix: semantics,fix: fewest changes,pill: red pill');
    expect(csv[1]).toBe('a-good,14,14,yes,1,3,4,2,4');
    expect(csv).toHaveLength(6);
  });
});

describe('isavirt grade', () => {
  it('writes Gradescope results.json for one submission and exits 0 on full marks, 1 otherwise', () => {
    const outDir = tempDir('cli');
    const results = path.join(outDir, 'results', 'results.json');
    const cli = path.join(ROOT, 'dist/cli/main.js');
    const r = spawnSync(process.execPath, [cli, 'grade', '-a', assignmentFile, path.join(batch, 'a-good'), '--format', 'gradescope', '--output', results], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = schema('gradescope-results.schema.json');
    const j = JSON.parse(readFileSync(results, 'utf8')) as object;
    expect(v(j)).toBe(true);
    const e = spawnSync(process.execPath, [cli, 'grade', '-a', assignmentFile, path.join(batch, 'e-loop'), '--format', 'classroom'], { encoding: 'utf8' });
    expect(e.status).toBe(1);
    expect(JSON.parse(e.stdout)).toMatchObject({ score: 10, max_score: 14 });
  });

  it('a bad assignment is exit code 2 with a message, no stack trace', () => {
    const dir = tempDir('badassign');
    const bad = path.join(dir, 'a.json');
    submission(dir, 'x', { 'answers.json': '{}' });
    require_write(bad, JSON.stringify({ title: 't', reference: 'nope.isa', questions: [{ id: 'q', kind: 'redpill', file: 'r.s', points: 'ten' }] }));
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), 'grade', '-a', bad, path.join(dir, 'x')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('/questions/0/points: must be number');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

function require_write(file: string, text: string): void {
  submission(path.dirname(file), '.', { [path.basename(file)]: text });
}

void TOY;
