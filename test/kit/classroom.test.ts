// The GitHub Classroom kit: run the grading step of isas/course/classroom/classroom.yml as GitHub
// Actions would (a checkout of the template repository with a student's files, $GITHUB_ENV and
// $GITHUB_OUTPUT files), then read the results exactly as classroom-resources/
// autograding-grading-reporter does (src/main.js: for each id in `runners`, base64 JSON from
// <ID>_RESULTS) and total them both ways it does: the log's (passed / tests) × max_score per
// runner (src/helpers/test-helpers.js getTestScore, summed in src/aggregate-results.js) and the
// recorded points, every test's score added up (src/notify-classroom.js). Both must be isavirt's
// score, and each failed test must carry its feedback where the log prints it (test_code).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gradeSubmission, prepareAssignment } from '../../src/grade/index.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WORKFLOW = readFileSync(path.join(ROOT, 'isas/course/classroom/classroom.yml'), 'utf8');
const TOY = path.join(ROOT, 'isas/course/toy');

interface RunnerTest {
  name: string;
  status: string;
  score: number;
  test_code?: string;
}
interface RunnerResult {
  status: string;
  max_score: number;
  tests: RunnerTest[];
}

/** The grading step's shell command, as written in the workflow. */
function gradeCommand(): string {
  const m = /^\s*run: '(.*isavirt" grade .*)'$/m.exec(WORKFLOW);
  if (!m) throw new Error('classroom.yml has no isavirt grade step');
  return m[1]!;
}

/** Run the step in a fresh "checkout" holding the kit's files and `submission`'s; what the
 *  reporter then reads. */
function runStep(submission: string): { status: number | null; runners: { runner: string; results: RunnerResult }[] } {
  const work = mkdtempSync(path.join(os.tmpdir(), 'isavirt-classroom-'));
  const repo = path.join(work, 'repo');
  mkdirSync(path.join(repo, '.autograder'), { recursive: true });
  cpSync(path.join(TOY, 'toy.isa'), path.join(repo, '.autograder/toy.isa'));
  const a = JSON.parse(readFileSync(path.join(TOY, 'assignment.json'), 'utf8'));
  writeFileSync(path.join(repo, '.autograder/assignment.json'), JSON.stringify({ ...a, $schema: undefined, reference: 'toy.isa' }));
  cpSync(submission, repo, { recursive: true });
  // The install step's result: isavirt's bin where the workflow looks for it.
  const bin = path.join(work, 'temp/isavirt/node_modules/.bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(path.join(ROOT, 'dist/cli/main.js'), path.join(bin, 'isavirt'));
  const envFile = path.join(work, 'github_env');
  const outFile = path.join(work, 'github_output');
  writeFileSync(envFile, '');
  writeFileSync(outFile, '');
  const r = spawnSync('bash', ['-e', '-c', gradeCommand()], {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, RUNNER_TEMP: path.join(work, 'temp'), GITHUB_WORKSPACE: repo, GITHUB_ENV: envFile, GITHUB_OUTPUT: outFile },
  });
  const env = Object.fromEntries(
    readFileSync(envFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  const outputs = Object.fromEntries(
    readFileSync(outFile, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  // src/main.js of the reporter, step for step.
  const runners = String(outputs.runners ?? '')
    .split(',')
    .filter(Boolean)
    .map((runner) => ({
      runner: runner.trim(),
      results: JSON.parse(Buffer.from(env[`${runner.trim().toUpperCase()}_RESULTS`]!, 'base64').toString('utf-8')) as RunnerResult,
    }));
  return { status: r.status, runners };
}

/** The reporter's two totals. */
function reporterTotals(runners: { results: RunnerResult }[]): { log: number; recorded: number; max: number } {
  const getTestScore = (r: RunnerResult) => (r.tests.reduce((acc, { status }) => (status === 'pass' ? acc + 1 : acc), 0) / r.tests.length) * (r.max_score || 0);
  const log = runners.reduce((acc, { results }) => acc + getTestScore(results), 0);
  let recorded = 0;
  let max = 0;
  for (const { results } of runners) {
    if (!results.max_score) continue;
    max += results.max_score;
    for (const { score } of results.tests) recorded += score;
  }
  return { log, recorded, max };
}

describe('the GitHub Classroom kit', () => {
  it("the workflow hands isavirt's runners to the reporter", () => {
    expect(WORKFLOW).toContain('uses: classroom-resources/autograding-grading-reporter@v1');
    expect(WORKFLOW).toContain('runners: ${{ steps.isavirt.outputs.runners }}');
    expect(WORKFLOW).toMatch(/id: isavirt\n/);
    expect(gradeCommand()).toContain('--format classroom');
  });

  it("the totals the reporter prints and records are isavirt's score, for full, partial and broken submissions", async () => {
    const prepared = await prepareAssignment(path.join(TOY, 'assignment.json'), { cache: false });
    if (!prepared.ok) throw new Error(prepared.errors.join('\n'));
    for (const name of ['dana', 'erin', 'frank']) {
      const { status, runners } = runStep(path.join(TOY, 'submissions', name));
      const g = await gradeSubmission(prepared.prepared, path.join(TOY, 'submissions', name));
      expect(status, name).toBe(0);
      expect(runners.map((r) => r.runner)).toEqual(['fixparses', 'fixverdicts', 'fixsemantics', 'fixfewestchanges', 'redpillredpill']);
      const t = reporterTotals(runners);
      expect(t.max, name).toBe(g.maxScore);
      expect(t.recorded, name).toBeCloseTo(g.score, 9);
      expect(t.log, name).toBeCloseTo(g.score, 9);
      // Where the log prints something under a failed test, it is isavirt's feedback.
      for (const [i, r] of runners.entries()) {
        const test = g.tests[i]!;
        if (test.score < test.maxScore) expect(r.results.tests[0]!.test_code, `${name} ${r.runner}`).toBe(test.output);
        expect(r.results.status).toBe(!g.gradable ? 'error' : test.score >= test.maxScore ? 'pass' : 'fail');
      }
    }
  }, 120_000);
});
