// The Gradescope kit, end to end: build the autograder zip with build-autograder.sh, unpack it into a
// temporary folder shaped like /autograder, run setup.sh (which installs isavirt from the tarball
// in the zip, with an empty npm cache and npm told to stay offline: nothing may be downloaded) and
// run_autograder on sample submissions, and validate results.json against the published shape.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTools } from './tools.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const KIT = path.join(ROOT, 'isas/course/gradescope');
const TOY = path.join(ROOT, 'isas/course/toy');

let missing: string | undefined;
let autograder: string;
let setupLog = '';

const schema = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(path.join(ROOT, 'grammar/gradescope-results.schema.json'), 'utf8')) as object,
);

function grade(
  submission: string,
  nested = false,
): { status: number | null; results: { score: number; tests: { name: string; score: number; status: string }[] }; stderr: string } {
  const sub = path.join(autograder, 'submission');
  rmSync(sub, { recursive: true, force: true });
  // A student may upload a folder: its files then sit one level down.
  cpSync(submission, nested ? path.join(sub, path.basename(submission)) : sub, { recursive: true });
  rmSync(path.join(autograder, 'results'), { recursive: true, force: true });
  const r = spawnSync(path.join(autograder, 'run_autograder'), [], { cwd: autograder, encoding: 'utf8', env: { ...process.env, AUTOGRADER_ROOT: autograder } });
  const results = JSON.parse(readFileSync(path.join(autograder, 'results/results.json'), 'utf8'));
  expect(schema(results), JSON.stringify(schema.errors)).toBe(true);
  return { status: r.status, results, stderr: r.stderr };
}

beforeAll(() => {
  missing = ensureTools({ zip: 'zip', unzip: 'unzip' });
  if (missing) return;
  const work = mkdtempSync(path.join(os.tmpdir(), 'isavirt-kit-'));
  // A copy of the course folder, so the answer key the build writes stays out of the repository.
  const course = path.join(work, 'toy');
  cpSync(TOY, course, { recursive: true });
  const zip = path.join(work, 'toy-autograder.zip');
  const built = spawnSync('bash', [path.join(KIT, 'build-autograder.sh'), path.join(course, 'assignment.json'), zip, path.join(course, 'submissions/dana')], {
    encoding: 'utf8',
    env: { ...process.env, ISAVIRT_PACK_IGNORE_SCRIPTS: '1' },
  });
  if (built.status !== 0) throw new Error(`build-autograder.sh failed:\n${built.stdout}\n${built.stderr}`);
  autograder = path.join(work, 'autograder');
  mkdirSync(path.join(autograder, 'source'), { recursive: true });
  const unzip = spawnSync('unzip', ['-q', zip, '-d', path.join(autograder, 'source')], { encoding: 'utf8' });
  if (unzip.status !== 0) throw new Error(`unzip failed: ${unzip.stderr}`);
  // What Gradescope's image build does: copy run_autograder up, then run setup.sh.
  cpSync(path.join(autograder, 'source/run_autograder'), path.join(autograder, 'run_autograder'));
  const emptyCache = path.join(work, 'empty-npm-cache');
  const setup = spawnSync('bash', [path.join(autograder, 'source/setup.sh')], {
    cwd: path.join(autograder, 'source'),
    encoding: 'utf8',
    env: { ...process.env, AUTOGRADER_ROOT: autograder, npm_config_cache: emptyCache, npm_config_offline: 'true' },
  });
  setupLog = `${setup.stdout}\n${setup.stderr}`;
  if (setup.status !== 0) throw new Error(`setup.sh failed (exit ${setup.status}):\n${setupLog}`);
}, 300_000);

describe('the Gradescope kit', () => {
  it('the zip holds the scripts, isavirt, the assignment with its reference beside it, and the answer key', () => {
    expect(missing).toBeUndefined();
    const source = path.join(autograder, 'source');
    const a = JSON.parse(readFileSync(path.join(source, 'assignment.json'), 'utf8'));
    expect(a.reference).toBe('toy.isa');
    for (const f of ['setup.sh', 'run_autograder', 'isavirt.tgz', 'toy.isa', 'assignment.analysis.json', 'sample/toy-fixed.isa']) {
      expect(() => readFileSync(path.join(source, f)), f).not.toThrow();
    }
    expect(setupLog).toContain('0.1.0');
  });

  it('grades the good sample with every point and a bad one with fewer, results.json valid', () => {
    expect(missing).toBeUndefined();
    const good = grade(path.join(TOY, 'submissions/dana'));
    expect(good.status, good.stderr).toBe(0);
    expect(good.results.score).toBe(14);
    expect(good.results.tests.every((t) => t.status === 'passed')).toBe(true);
    const uploadedFolder = grade(path.join(TOY, 'submissions/dana'), true);
    expect(uploadedFolder.results.score).toBe(14);
    const partial = grade(path.join(TOY, 'submissions/erin'));
    expect(partial.status).toBe(0);
    expect(partial.results.score).toBeLessThan(14);
    expect(partial.results.tests.some((t) => t.status === 'failed')).toBe(true);
    const broken = grade(path.join(TOY, 'submissions/frank'));
    expect(broken.results.score).toBe(0);
    expect((broken.results as unknown as { output: string }).output).toContain('could not be graded');
  });
});
