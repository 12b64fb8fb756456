import { beforeAll, describe, expect, it } from 'vitest';
import { gradeSubmission, type PreparedAssignment } from '../../src/grade/index.js';
import { course, submission, tempDir } from './fixture.js';

let prep: PreparedAssignment;
let subs: string;

beforeAll(async () => {
  ({ prep } = await course('classify', {
    title: 'toy classification',
    questions: [
      {
        id: 'q1',
        kind: 'classification',
        instructions: ['ADD', 'GETMODE', 'SETR', 'HALT'],
        pointsPerInstruction: 4,
        theorems: [{ theorem: 1, verdictPoints: 2, offendersPoints: 4 }],
      },
    ],
  }));
  subs = tempDir('classify-subs');
});

const RIGHT = {
  instructions: {
    ADD: ['innocuous'],
    GETMODE: ['behaviour-sensitive'],
    // Privileged instructions are mode-sensitive too: they trap in user mode and run in supervisor
    // mode, and a trap on one side only is a difference (DESIGN.md, issue 10 case 9).
    SETR: ['privileged', 'control-sensitive', 'behaviour-sensitive'],
    // Halting takes the processor from the monitor: control-sensitive (issue 10 case 3).
    HALT: ['privileged', 'control-sensitive', 'behaviour-sensitive'],
  },
  theorems: { '1': { holds: false, offenders: ['GETMODE'] } },
};

const byName = (g: Awaited<ReturnType<typeof gradeSubmission>>) => Object.fromEntries(g.tests.map((t) => [t.name, t]));

describe('classification answers', () => {
  it('derives the answer key from the reference, not from a typed key', () => {
    const c = prep.analysis.instructions.find((i) => i.mnemonic === 'GETMODE')!;
    expect(c.modeSensitive.value).toBe('yes');
    expect(prep.analysis.theorem1.offenders.map((o) => o.mnemonic)).toEqual(['GETMODE']);
  });

  it('gives every point for a correct answer file', async () => {
    const g = await gradeSubmission(prep, submission(subs, 'right', { 'answers.json': JSON.stringify(RIGHT) }));
    expect(g.gradable).toBe(true);
    expect(g.score).toBe(22);
    expect(g.maxScore).toBe(22);
    expect(g.tests.map((t) => t.name)).toEqual(['q1: ADD', 'q1: GETMODE', 'q1: SETR', 'q1: HALT', 'q1: Theorem 1 verdict', 'q1: Theorem 1 offenders']);
    expect(byName(g)['q1: GETMODE']!.output).toBe('GETMODE: every claim is right.');
  });

  it('gives partial credit per property, with feedback built from the evidence', async () => {
    const answers = {
      instructions: {
        ADD: { privileged: false, 'control-sensitive': false, 'behaviour-sensitive': false, innocuous: true },
        // Says GETMODE is innocuous: two of four properties wrong.
        GETMODE: ['innocuous'],
        // Forgets SETR is control- and behaviour-sensitive: two wrong.
        SETR: ['privileged'],
        // Leaves two properties of HALT unanswered.
        HALT: { privileged: true, innocuous: true },
      },
      theorems: { '1': { holds: false, offenders: ['GETMODE', 'SETR'] } },
    };
    const g = await gradeSubmission(prep, submission(subs, 'partly', { 'answers.json': JSON.stringify(answers) }));
    const t = byName(g);
    expect(t['q1: ADD']!.score).toBe(4);
    expect(t['q1: GETMODE']!.score).toBe(2);
    expect(t['q1: SETR']!.score).toBe(2);
    // Privileged right, innocuous wrong, two unanswered.
    expect(t['q1: HALT']!.score).toBe(1);
    expect(t['q1: Theorem 1 verdict']!.score).toBe(2);
    // Jaccard overlap of {GETMODE, SETR} with {GETMODE}: 1/2 of 4 points.
    expect(t['q1: Theorem 1 offenders']!.score).toBe(2);
    expect(g.score).toBe(13);
    const gm = t['q1: GETMODE']!.output.split('\n');
    expect(gm[0]).toMatch(/^GETMODE is behaviour-sensitive \(you said it is not behaviour-sensitive\): witness: .*no trap.*\.$/);
    expect(gm[1]).toMatch(/^GETMODE is not innocuous \(you said it is innocuous\): /);
    expect(t['q1: SETR']!.output).toMatch(/^SETR is control-sensitive \(you said it is not control-sensitive\): witness: in mode \w+ it changes R/);
    expect(t['q1: HALT']!.output).toContain('you gave no answer for control-sensitive');
    expect(t['q1: Theorem 1 offenders']!.output).toContain('not an offender: SETR: control-sensitive, mode-sensitive, and privileged');
  });

  it('scores a wrong answer file zero where every claim is wrong', async () => {
    const answers = {
      instructions: {
        ADD: ['privileged', 'control-sensitive', 'behaviour-sensitive'],
        GETMODE: ['privileged', 'control-sensitive', 'innocuous'],
        SETR: ['innocuous'],
        HALT: ['innocuous'],
      },
      theorems: { '1': { holds: true, offenders: ['ADD'] } },
    };
    const g = await gradeSubmission(prep, submission(subs, 'wrong', { 'answers.json': JSON.stringify(answers) }));
    expect(g.gradable).toBe(true);
    expect(g.score).toBe(0);
    expect(byName(g)['q1: Theorem 1 verdict']!.output).toMatch(/^Theorem 1 .* fails for toy \(you said it holds\): 1 instruction breaks it, e\.g\. GETMODE: /);
  });

  it('reports a malformed answer file as not gradable, with the reason', async () => {
    const bad = await gradeSubmission(prep, submission(subs, 'badjson', { 'answers.json': '{ "instructions": { "ADD": [' }));
    expect(bad.gradable).toBe(false);
    expect(bad.formatErrors[0]).toMatch(/^answers\.json: not valid JSON/);
    expect(bad.score).toBe(0);
    const schema = await gradeSubmission(prep, submission(subs, 'badschema', { 'answers.json': JSON.stringify({ instructions: { ADD: ['harmless'] } }) }));
    expect(schema.gradable).toBe(false);
    expect(schema.formatErrors.join('\n')).toContain('answers.json: /instructions/ADD');
    const none = await gradeSubmission(prep, submission(subs, 'empty', { 'notes.txt': 'hi' }));
    expect(none.formatErrors).toEqual(['no answer file answers.json in the submission']);
  });

  it("cuts feedback to the assignment's level", async () => {
    const p2: PreparedAssignment = { ...prep, assignment: { ...prep.assignment, feedback: 'wrong' } };
    const g = await gradeSubmission(
      p2,
      submission(subs, 'levels', { 'answers.json': JSON.stringify({ ...RIGHT, instructions: { ...RIGHT.instructions, GETMODE: ['innocuous'] } }) }),
    );
    const out = byName(g)['q1: GETMODE']!.output;
    expect(out).toBe(
      'GETMODE, behaviour-sensitive: you said it is not behaviour-sensitive; that is not right.\nGETMODE, innocuous: you said it is innocuous; that is not right.',
    );
    expect(out).not.toContain('witness');
  });
});
