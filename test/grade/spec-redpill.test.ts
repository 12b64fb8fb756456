import { beforeAll, describe, expect, it } from 'vitest';
import { gradeSubmission, type PreparedAssignment } from '../../src/grade/index.js';
import { course, submission, tempDir, TOY, TOY_FIXED } from './fixture.js';

let fix: PreparedAssignment;
let match: PreparedAssignment;
let virt: PreparedAssignment;
let subs: string;

const REDPILL = `        .kernel
        .org 0x10
start:  GETMODE r0
        STORE r0, [0x40]
        HALT
`;
const NO_DETECT = `        .kernel
        .org 0x10
start:  LOADI r0, 7
        STORE r0, [0x40]
        HALT
`;

beforeAll(async () => {
  ({ prep: fix } = await course('fix', {
    title: 'fix the toy',
    questions: [
      { id: 'fix', kind: 'spec', file: 'toy-fixed.isa', goal: 'fix', points: { parses: 1, verdicts: 3, semantics: 4, minimal: 2 } },
      { id: 'pill', kind: 'redpill', file: 'redpill.s', points: 4, steps: 1000 },
    ],
  }));
  ({ prep: match } = await course('match', {
    title: 'write the toy',
    questions: [{ id: 'spec', kind: 'spec', file: 'toy.isa', goal: 'match', points: { parses: 1, verdicts: 2, semantics: 10 } }],
  }));
  // The fixed machine is virtualizable: a red pill there is impossible.
  ({ prep: virt } = await course(
    'virt',
    { title: 'virtualizable toy', questions: [{ id: 'pill', kind: 'redpill', file: 'redpill.s', points: 5 }] },
    TOY_FIXED,
  ));
  subs = tempDir('spec-subs');
}, 120_000);

const tests = (g: Awaited<ReturnType<typeof gradeSubmission>>) => Object.fromEntries(g.tests.map((t) => [t.name, t]));

describe('submitted specs', () => {
  it('gives full marks to the minimal fix', async () => {
    const g = await gradeSubmission(fix, submission(subs, 'good', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': REDPILL }));
    expect(g.gradable).toBe(true);
    expect(g.tests.map((t) => [t.name, t.score])).toEqual([
      ['fix: parses', 1],
      ['fix: verdicts', 3],
      ['fix: semantics', 4],
      ['fix: fewest changes', 2],
      ['pill: red pill', 4],
    ]);
    expect(tests(g)['fix: verdicts']!.output).toBe('Theorem 1 holds for your spec: every sensitive instruction is privileged.');
  });

  it('gives partial credit with a concrete counterexample for each changed instruction', async () => {
    // GETMODE fixed but returns 0 in supervisor mode too; ADD subtracts.
    const wrong = TOY_FIXED.replace('    r[rd] = zext(M, 16);\n  }\n}', '    r[rd] = 0;\n  }\n}').replace('r[rd] = r[rd] + r[rs];', 'r[rd] = r[rd] - r[rs];');
    const g = await gradeSubmission(fix, submission(subs, 'partial', { 'toy-fixed.isa': wrong, 'redpill.s': NO_DETECT }));
    const t = tests(g);
    expect(t['fix: parses']!.score).toBe(1);
    expect(t['fix: verdicts']!.score).toBe(3);
    // 8 of 10 instructions right: 4 * 8 / 10.
    expect(t['fix: semantics']!.score).toBe(3.2);
    // Two changed where one had to: 2 * 1 / 2.
    expect(t['fix: fewest changes']!.score).toBe(1);
    expect(t['fix: fewest changes']!.output).toBe('You changed 2 instructions (ADD, GETMODE); only 1 had to change (GETMODE).');
    const sem = t['fix: semantics']!.output;
    expect(sem).toMatch(/ADD differs from the reference: with rd = 0x\w+, rs = 0x\w+ in the state .*: r\[\d\]: reference 0x\w+, yours 0x\w+\./);
    expect(sem).toMatch(/GETMODE differs from the reference in mode supervisor: with rd = 0x\w+ in the state M = 0x1.*: r\[\d\]: reference 0x1, yours 0x0\./);
    expect(g.score).toBe(8.2);
  });

  it('gives no verdict points when Theorem 1 still fails', async () => {
    const g = await gradeSubmission(fix, submission(subs, 'unfixed', { 'toy-fixed.isa': TOY, 'redpill.s': REDPILL }));
    const t = tests(g);
    expect(t['fix: verdicts']!.score).toBe(0);
    expect(t['fix: verdicts']!.output).toMatch(/^Theorem 1 still fails for your spec:\n- GETMODE: /);
    expect(t['fix: semantics']!.output).toContain('GETMODE still breaks Theorem 1');
    expect(t['fix: fewest changes']!.score).toBe(2);
  });

  it('reports a spec that does not parse as not gradable, with the diagnostic', async () => {
    const g = await gradeSubmission(
      fix,
      submission(subs, 'broken', {
        'toy-fixed.isa': TOY.replace('instruction GETMODE(rd : reg r) {', 'instruction GETMODE(rd : reg r {'),
        'redpill.s': REDPILL,
      }),
    );
    expect(g.gradable).toBe(false);
    expect(g.formatErrors[0]).toMatch(/^toy-fixed\.isa:\d+:\d+: error ISA1010: expected '\)'/);
    expect(tests(g)['fix: parses']!.score).toBe(0);
    expect(tests(g)['fix: semantics']!.output).toBe('not graded: see "fix: parses"');
    // The other question is still graded.
    expect(tests(g)['pill: red pill']!.score).toBe(4);
  });

  it('compares a written spec with the reference: verdicts and semantics', async () => {
    const same = await gradeSubmission(match, submission(subs, 'same', { 'toy.isa': TOY }));
    expect(same.score).toBe(13);
    // A spec that makes SETR unprivileged: verdicts and SETR's semantics differ.
    const loose = TOY.replace('    R = r[rs];', '    R = r[rs];\n    M = 1;').replace(
      'instruction SETR(rs : reg r) {\n  syntax "SETR {rs}";\n  encoding 0x9:4 0:2 rs:2 0:8;\n  semantics {\n    if M == 0 {\n      trap privileged_trap;\n    }',
      'instruction SETR(rs : reg r) {\n  syntax "SETR {rs}";\n  encoding 0x9:4 0:2 rs:2 0:8;\n  semantics {',
    );
    const g = await gradeSubmission(match, submission(subs, 'loose', { 'toy.isa': loose }));
    const t = tests(g);
    expect(t['spec: semantics']!.score).toBe(9);
    expect(t['spec: semantics']!.output).toMatch(
      /SETR differs from the reference: with rs = 0x\w+ in the state .*M = 0x\d.*: (the reference raises trap privileged_trap, yours completes|M: reference 0x\w+, yours 0x1)/,
    );
    expect(t['spec: verdicts']!.score).toBeLessThan(2);
    expect(t['spec: verdicts']!.output).toContain('SETR: privileged: reference yes, yours no');
  });

  it('refuses to read files outside the submission through extends', async () => {
    const dir = submission(subs, 'sneaky', { 'toy.isa': 'isa sneaky;\nextends "../../ref.isa";\n' });
    const g = await gradeSubmission(match, dir);
    expect(g.gradable).toBe(false);
    expect(g.formatErrors.join('\n')).toContain("cannot extend '../../ref.isa': it is outside the folder");
    expect(g.formatErrors.join('\n')).toMatch(/outside the (submission|folder)/);
  });
});

describe('red-pill programs', () => {
  it('credits a program whose two runs end in different states, naming the difference', async () => {
    const g = await gradeSubmission(fix, submission(subs, 'pill', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': REDPILL }));
    const out = tests(g)['pill: red pill']!.output;
    expect(out).toMatch(
      /^Detected: the two runs end differently\. On the bare machine it halted after 3 steps; under the trap-and-emulate monitor it halted after 3 steps\./,
    );
    expect(out).toMatch(/r\[0\]: 0x1 natively, 0x0 under the monitor/);
    expect(out).toContain('Your program uses GETMODE, which breaks the monitor.');
  });

  it('explains a program that cannot tell', async () => {
    const g = await gradeSubmission(fix, submission(subs, 'nopill', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': NO_DETECT }));
    const t = tests(g)['pill: red pill']!;
    expect(t.score).toBe(0);
    expect(t.output).toBe(
      'Not detected: both runs end in the same state. On the bare machine it halted after 3 steps; under the trap-and-emulate monitor it halted after 3 steps.\n' +
        'Your program uses none of the instructions that break the monitor (GETMODE); only those behave differently under the monitor.\n' +
        'Expected: a guest program that ends differently under the monitor, using an instruction that breaks it (GETMODE).',
    );
  });

  it('credits a program that ends natively but hangs under the monitor: a hang is a fidelity failure', async () => {
    // GETMODE reads 1 natively (supervisor) and 0 in the guest mode the monitor runs it in.
    const hang = '        .kernel\n        .org 0x10\nstart:  GETMODE r0\n        JNZ r0, done\nagain:  LOADI r1, 1\n        JNZ r1, again\ndone:   HALT\n';
    const g = await gradeSubmission(fix, submission(subs, 'hang', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': hang }));
    const t = tests(g)['pill: red pill']!;
    expect(t.score).toBe(4);
    expect(t.output).toMatch(
      /^Detected: it ends on the bare machine but not under the monitor\. On the bare machine it halted after \d+ steps; under the trap-and-emulate monitor it did not finish within 1000 steps\./,
    );
  });

  it('states the expected answer only at feedback levels answer and evidence', async () => {
    for (const [feedback, shown] of [
      ['score', false],
      ['wrong', false],
      ['answer', true],
      ['evidence', true],
    ] as const) {
      const p: PreparedAssignment = { ...fix, assignment: { ...fix.assignment, feedback } };
      const g = await gradeSubmission(p, submission(subs, `level-${feedback}`, { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': NO_DETECT }));
      expect(tests(g)['pill: red pill']!.output.includes('Expected: '), feedback).toBe(shown);
      const c = await gradeSubmission(
        p,
        submission(subs, `claim-${feedback}`, { 'toy-fixed.isa': TOY_FIXED, 'answers.json': JSON.stringify({ redpill: 'impossible' }) }),
      );
      expect(tests(c)['pill: red pill']!.output.includes('Expected: '), feedback).toBe(shown);
    }
  });

  it('bounds a program that loops forever by the clock when the step budget would not', async () => {
    // A quarter of the submission's time limit for each run (the budget here is past any schema's).
    const questions = fix.assignment.questions.map((q) => (q.kind === 'redpill' ? { ...q, steps: Number.MAX_SAFE_INTEGER } : q));
    const p: PreparedAssignment = { ...fix, assignment: { ...fix.assignment, questions, limits: { timeoutMs: 400 } } };
    const loop = '        .kernel\n        .org 0x10\nstart:  LOADI r0, 1\nagain:  JNZ r0, again\n';
    const g = await gradeSubmission(p, submission(subs, 'clock', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': loop }));
    const t = tests(g)['pill: red pill']!;
    expect(t.score).toBe(0);
    expect(t.output).toMatch(
      /^On the bare machine it was stopped by the time limit of 0\.1 s after \d+ steps; under the trap-and-emulate monitor it was stopped by the time limit of 0\.1 s after \d+ steps\. A red pill must end within the time limit on both/,
    );
  });

  it('bounds a program that loops forever by the step budget', async () => {
    const loop = '        .kernel\n        .org 0x10\nstart:  LOADI r0, 1\nagain:  JNZ r0, again\n';
    const g = await gradeSubmission(fix, submission(subs, 'loop', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': loop }));
    const t = tests(g)['pill: red pill']!;
    expect(t.score).toBe(0);
    expect(t.output).toContain('did not finish within 1000 steps');
    expect(t.output).toContain('A red pill must end on the bare machine');
  });

  it('on a virtualizable machine: the claim "impossible" earns the points, a program cannot', async () => {
    const claim = await gradeSubmission(virt, submission(subs, 'claim', { 'answers.json': JSON.stringify({ redpill: 'impossible' }) }));
    expect(claim.score).toBe(5);
    expect(claim.tests[0]!.output).toMatch(/^Right: no program can tell\. .*toy: every sensitive instruction \([A-Z, ]*LPSW[A-Z, ]*\) is privileged/);
    const prog = await gradeSubmission(virt, submission(subs, 'tries', { 'redpill.s': REDPILL }));
    expect(prog.score).toBe(0);
    expect(prog.tests[0]!.output).toMatch(/^Not detected: both runs end in the same state\..*\nNo program could: .*toy/);
    // The same claim on the non-virtualizable machine is wrong.
    const wrongClaim = await gradeSubmission(
      fix,
      submission(subs, 'wrongclaim', { 'toy-fixed.isa': TOY_FIXED, 'answers.json': JSON.stringify({ redpill: 'impossible' }) }),
    );
    expect(tests(wrongClaim)['pill: red pill']!.output).toMatch(/^A program can tell: no trap-and-emulate monitor .*toy.*, e\.g\. GETMODE: /);
  });

  it('decides "possible" by the exact monitor verdict where the analysis has one, else Theorem 1', async () => {
    // Theorem 1 fails for the toy (GETMODE), but suppose the analysis proved the monitor exists.
    const exists: PreparedAssignment = {
      ...fix,
      analysis: {
        ...fix.analysis,
        trapAndEmulate: {
          value: 'holds',
          offenders: [],
          undecided: [],
          statement: 'a trap-and-emulate monitor exists',
          note: 'GETMODE traps wherever it could tell',
        },
      },
    };
    const claim = await gradeSubmission(
      exists,
      submission(subs, 'exact-claim', { 'toy-fixed.isa': TOY_FIXED, 'answers.json': JSON.stringify({ redpill: 'impossible' }) }),
    );
    const t = tests(claim)['pill: red pill']!;
    expect(t.score).toBe(4);
    expect(t.output).toContain('A trap-and-emulate monitor exists for toy: GETMODE traps wherever it could tell');
    // And where the exact verdict says it does not exist, a claim of "impossible" is wrong.
    const none: PreparedAssignment = { ...fix, analysis: { ...fix.analysis, trapAndEmulate: { ...fix.analysis.theorem1, value: 'fails' } } };
    const wrong = await gradeSubmission(
      none,
      submission(subs, 'exact-wrong', { 'toy-fixed.isa': TOY_FIXED, 'answers.json': JSON.stringify({ redpill: 'impossible' }) }),
    );
    expect(tests(wrong)['pill: red pill']!.score).toBe(0);
    expect(tests(wrong)['pill: red pill']!.output).toMatch(/^A program can tell: no trap-and-emulate monitor exists for toy/);
  });

  it('reports a program that does not assemble', async () => {
    const g = await gradeSubmission(fix, submission(subs, 'badasm', { 'toy-fixed.isa': TOY_FIXED, 'redpill.s': '        .kernel\nstart:  FROB r0\n' }));
    expect(g.gradable).toBe(false);
    expect(g.formatErrors.join('\n')).toMatch(/redpill\.s:2:9: error ISA6001: unknown instruction 'FROB'/);
  });
});
