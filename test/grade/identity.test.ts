// A batch never loses a student: every entry found yields exactly one result under its exact
// name, in every output format, whatever the names are (dots, unicode, `__proto__`, names that
// differ only in case); symbolic links are followed inside the allowed roots and reported
// otherwise; the run says "N found, N graded, K not gradable" and exits non-zero when anything was
// skipped; no feedback names a folder of the grading machine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchFileNames,
  gradeEntries,
  gradeSubmission,
  listSubmissions,
  renderBatch,
  summarise,
  summaryLine,
  toCsv,
  toText,
  type PreparedAssignment,
  type SubmissionGrade,
} from '../../src/grade/index.js';
import { course, ROOT, submission, tempDir, TOY_FIXED } from './fixture.js';

const CLI = path.join(ROOT, 'dist/cli/main.js');
const ANSWERS = JSON.stringify({ instructions: { ADD: ['innocuous'] } });

let prep: PreparedAssignment;
let assignmentFile: string;
let spec: PreparedAssignment;

beforeAll(async () => {
  ({ prep, file: assignmentFile } = await course('identity', {
    title: 'one claim',
    limits: { timeoutMs: 30_000, memoryMb: 256 },
    questions: [{ id: 'q', kind: 'classification', instructions: ['ADD'], pointsPerInstruction: 1 }],
  }));
  ({ prep: spec } = await course('hostpaths', {
    title: 'fix the toy',
    questions: [{ id: 'fix', kind: 'spec', file: 'toy-fixed.isa', goal: 'fix', points: { parses: 1, verdicts: 1, semantics: 1 } }],
  }));
}, 120_000);

const HOSTILE = [
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'alice.v1',
  'alice.v2',
  'Alice',
  'alice',
  '.hidden',
  '..dots',
  'café',
  'cafe\u0301',
  '名前',
  'a b',
  'x.json',
  'index.json',
  '-rf',
  '=1+1',
];
const nameArb = fc
  .oneof(
    fc.constantFrom(...HOSTILE),
    fc.string({ unit: fc.constantFrom('a', 'B', '.', '_', '-', ' ', 'é', 'ß', '名', '😀', '$', '%'), minLength: 1, maxLength: 8 }),
  )
  .filter((n) => n !== '.' && n !== '..');

/** Every format's rendering of a batch, as the list of submission names each one carries. */
function namesInEveryFormat(grades: SubmissionGrade[]): Record<string, string[]> {
  const csvRows = toCsv(grades).trimEnd().split('\n').length - 1;
  return {
    gradescope: renderBatch('gradescope', grades).map((e) => e.submission),
    prairielearn: renderBatch('prairielearn', grades).map((e) => e.submission),
    classroom: renderBatch('classroom', grades).map((e) => e.submission),
    csv: grades.slice(0, csvRows).map((g) => g.student),
    files: batchFileNames(grades).map((_, i) => grades[i]!.student),
  };
}

describe('submission identity', () => {
  it('property: random batch folder names give one result per folder, under its exact name, in every format', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(nameArb, { minLength: 1, maxLength: 6 }), async (names) => {
        const dir = tempDir('prop');
        for (const [i, n] of names.entries()) submission(dir, n, { 'answers.json': i % 3 === 2 ? '{ not json' : ANSWERS });
        const listed = listSubmissions(dir, prep.assignment);
        expect(listed.ok).toBe(true);
        if (!listed.ok) return;
        const grades = await gradeEntries(prep, listed.entries, { workers: 2 });
        const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(grades.map((g) => g.student)).toEqual(sorted);
        for (const [format, got] of Object.entries(namesInEveryFormat(grades))) expect(got, format).toEqual(sorted);
        // Names a file system may fold together still get files of their own.
        const files = batchFileNames(grades).map((f) => f.toLowerCase());
        expect(new Set(files).size).toBe(files.length);
        const text = toText(grades);
        for (const n of names) expect(text).toContain(`${n}: `);
        // The JSON of a batch is an array: a name like __proto__ cannot vanish into a prototype.
        const parsed = JSON.parse(JSON.stringify(renderBatch('gradescope', grades))) as { submission: string }[];
        expect(parsed.map((e) => e.submission)).toEqual(sorted);
        expect(summarise(grades).found).toBe(names.length);
      }),
      { numRuns: 6 },
    );
  }, 180_000);

  it('the exact folder or file name is the identity: alice.v1 and alice.v2 are two submissions', async () => {
    const dir = tempDir('versions');
    submission(dir, 'alice.v1', { 'answers.json': ANSWERS });
    submission(dir, 'alice.v2', { 'answers.json': ANSWERS });
    writeFileSync(path.join(dir, 'bob.answers.json'), ANSWERS);
    const listed = listSubmissions(dir, prep.assignment);
    if (!listed.ok) throw new Error(listed.error);
    expect(listed.entries.map((e) => e.name)).toEqual(['alice.v1', 'alice.v2', 'bob.answers.json']);
  });
});

describe('one submission, never a batch (--single)', () => {
  it('an uploaded folder one level down is the submission; anything else is graded as it is', () => {
    const dir = tempDir('single');
    submission(dir, 'upload', { 'answers.json': ANSWERS });
    const one = listSubmissions(dir, prep.assignment, { single: true });
    if (!one.ok) throw new Error(one.error);
    expect(one.batch).toBe(false);
    expect(one.entries).toEqual([{ name: path.basename(dir), path: path.join(dir, 'upload'), gradable: true }]);
    submission(dir, 'other', { 'notes.txt': 'x' });
    const two = listSubmissions(dir, prep.assignment, { single: true });
    if (!two.ok) throw new Error(two.error);
    expect(two.entries.map((e) => e.path)).toEqual([dir]);
    // Without --single the same folder is a batch of two.
    const batch = listSubmissions(dir, prep.assignment);
    expect(batch.ok && batch.entries.map((e) => e.name)).toEqual(['other', 'upload']);
  });
});

describe('symbolic links and skipped entries', () => {
  let batch: string;
  let outside: string;
  beforeAll(() => {
    batch = tempDir('links');
    outside = tempDir('elsewhere');
    const store = path.join(batch, '..', path.basename(batch) + '-store');
    mkdirSync(store, { recursive: true });
    submission(batch, 'alice', { 'answers.json': ANSWERS });
    submission(batch, '__proto__', { 'answers.json': ANSWERS });
    submission(batch, '.dotted', { 'answers.json': ANSWERS });
    // A link to a folder inside the batch is followed; one to a folder elsewhere is reported.
    submission(batch, 'real-carol', { 'answers.json': ANSWERS });
    symlinkSync(path.join(batch, 'real-carol'), path.join(batch, 'carol'));
    submission(outside, 'dave', { 'answers.json': ANSWERS });
    symlinkSync(path.join(outside, 'dave'), path.join(batch, 'dave'));
    symlinkSync(path.join(batch, 'nowhere'), path.join(batch, 'erin'));
  });

  it('follows links inside the allowed roots and reports the others, one result each', async () => {
    const listed = listSubmissions(batch, prep.assignment);
    if (!listed.ok) throw new Error(listed.error);
    const byName = new Map(listed.entries.map((e) => [e.name, e]));
    expect([...byName.keys()]).toEqual(['.dotted', '__proto__', 'alice', 'carol', 'dave', 'erin', 'real-carol']);
    expect(byName.get('carol')!.gradable).toBe(true);
    expect(byName.get('dave')).toMatchObject({ gradable: false, reason: expect.stringContaining('leads outside the batch folder') });
    expect(byName.get('erin')).toMatchObject({ gradable: false, reason: 'it is a symbolic link to nothing' });
    const grades = await gradeEntries(prep, listed.entries, { workers: 2 });
    expect(grades.map((g) => [g.student, g.gradable])).toEqual([
      ['.dotted', true],
      ['__proto__', true],
      ['alice', true],
      ['carol', true],
      ['dave', false],
      ['erin', false],
      ['real-carol', true],
    ]);
    expect(grades[4]!.formatErrors[0]).toMatch(/^not gradable: it is a symbolic link that leads outside/);
    expect(summaryLine(summarise(grades))).toBe('7 found, 5 graded, 2 not gradable; 5 with every point');
    // Allowed explicitly, the link outside is followed.
    const allowed = listSubmissions(batch, prep.assignment, { allowedRoots: [outside] });
    if (!allowed.ok) throw new Error(allowed.error);
    expect(allowed.entries.find((e) => e.name === 'dave')!.gradable).toBe(true);
  }, 60_000);

  it('isavirt grade: one result per entry in every format, the summary line, exit 1 when an entry was skipped', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'grade', '-a', assignmentFile, batch, ...args], { encoding: 'utf8' });
    const expected = ['.dotted', '__proto__', 'alice', 'carol', 'dave', 'erin', 'real-carol'];
    for (const format of ['gradescope', 'prairielearn', 'classroom']) {
      const r = run('-f', format, '--workers', '2');
      expect(r.status, r.stderr).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe('7 found, 5 graded, 2 not gradable; 5 with every point');
      const out = JSON.parse(r.stdout) as { submission: string; gradable: boolean }[];
      expect(
        out.map((e) => e.submission),
        format,
      ).toEqual(expected);
    }
    const csv = run('-f', 'csv', '--workers', '2');
    expect(
      csv.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).toEqual(expected);
    const text = run('--workers', '2');
    for (const n of expected) expect(text.stdout).toContain(`${n}: `);
    // One file per submission and an index naming each one's file.
    const outDir = tempDir('outdir');
    const files = run('-f', 'gradescope', '-o', outDir, '--workers', '2');
    expect(files.status).toBe(1);
    const index = JSON.parse(readFileSync(path.join(outDir, 'index.json'), 'utf8')) as { submission: string; file: string }[];
    expect(index.map((e) => e.submission)).toEqual(expected);
    expect(readdirSync(outDir).sort()).toEqual([...index.map((e) => e.file), 'index.json'].sort());
    // Everything allowed and every point earned: exit 0.
    const all = spawnSync(process.execPath, [CLI, 'grade', '-a', assignmentFile, path.join(batch, 'alice')], { encoding: 'utf8' });
    expect(all.status).toBe(0);
  }, 120_000);
});

describe('feedback never names a folder of the grading machine', () => {
  it('spec errors in an extended file and refused reads are shown relative to the submission', async () => {
    const subs = tempDir('paths');
    const dir = submission(subs, 'mallory', {
      'toy-fixed.isa': 'isa mine;\nextends "parts/base.isa";\n',
      'parts/base.isa': TOY_FIXED.replace('instruction HALT() {', 'instruction HALT( {'),
    });
    const sneaky = submission(subs, 'sneaky', { 'toy-fixed.isa': 'isa sneaky;\nextends "../../ref.isa";\n' });
    const texts: string[] = [];
    for (const g of [await gradeSubmission(spec, dir), await gradeSubmission(spec, sneaky)]) {
      const text = [...g.formatErrors, ...g.tests.map((t) => t.output)].join('\n');
      texts.push(text);
      for (const host of [subs, path.dirname(spec.assignmentFile), ROOT, path.dirname(subs)]) expect(text).not.toContain(host);
      expect(text).not.toMatch(/(^|[\s(])\/(tmp|work|home|root)\//m);
    }
    // The places are still named, as the student knows them.
    expect(texts[0]).toMatch(/parts\/base\.isa:\d+:\d+/);
    // The checker confines `extends` to the spec's own folder before the grader's host is asked.
    expect(texts[1]).toMatch(/cannot extend '\.\.\/\.\.\/ref\.isa': it is outside the folder/);
  }, 60_000);
});
