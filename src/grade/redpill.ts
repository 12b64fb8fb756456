// Grading a red-pill program: the student's guest program runs on the bare machine and under the
// trap-and-emulate monitor (src/vmm); it detects the monitor when the two runs end differently: in
// different states, one trapping and the other not, or one ending and the other hanging (a guest
// that ends natively but never finishes under the monitor is a fidelity failure too). Where the
// monitor exists no program can: there the student earns the points by saying so (`"redpill":
// "impossible"` in the answer file), and the grader explains why a program handed in anyway could
// not tell. Whether it exists is the analysis's exact verdict (`trapAndEmulate`) where it has one,
// else Theorem 1, its sufficient condition.

import { assemble, disassembleProgram, formatAsmDiagnostic } from '../asm/index.js';
import { diffStates, type ConcreteState, type RunOutcome } from '../exec/index.js';
import { runGuest, type GuestRun } from '../vmm/index.js';
import { parseAnswers } from './assignment.js';
import { resolveFeedback, resolveVisibility, showsAnswer } from './common.js';
import { DEFAULT_TIMEOUT_MS, type PreparedAssignment, type RedPillQuestion, type TestResult } from './types.js';
import { assertNever } from '../ir/index.js';

export const DEFAULT_REDPILL_STEPS = 100_000;

/** Each of the two runs may take this share of the submission's time limit (`limits.timeoutMs`):
 *  a program that outlasts it is told so, before the grading worker is stopped for it. */
const REDPILL_TIME_SHARE = 1 / 4;

export interface RedPillInput {
  program: string | undefined;
  programFile: string;
  /** The answer file holding the "impossible" claim, if any. */
  claimText: string | undefined;
  claimFile: string;
}

function ended(o: RunOutcome): string {
  switch (o.kind) {
    case 'halted':
      return `halted after ${o.steps} steps`;
    case 'trap':
      return `stopped on trap ${o.trap} after ${o.steps} steps`;
    case 'illegal':
      return `stopped on an illegal instruction word after ${o.steps} steps`;
    case 'budget':
      return `did not finish within ${o.steps} steps`;
    case 'time':
      return `was stopped by the time limit of ${o.limitMs / 1000} s after ${o.steps} steps`;
    default:
      return assertNever(o, 'run outcome');
  }
}

function valueOf(s: ConcreteState, name: string): string {
  const m = /^([^[]+)\[(.+)\]$/.exec(name);
  let v: bigint | undefined;
  if (!m) v = s.regs[name];
  else if (s.files[m[1]!]) v = s.files[m[1]!]![Number(m[2])];
  else v = s.mem[m[1]!]?.get(Number(m[2]));
  return '0x' + (v ?? 0n).toString(16);
}

/** Run the program both ways; a VmmError or MachineError becomes a message. */
function runBoth(prep: PreparedAssignment, program: Parameters<typeof runGuest>[2], steps: number): { native: GuestRun; trap: GuestRun } | { error: string } {
  const timeLimitMs = (prep.assignment.limits?.timeoutMs ?? DEFAULT_TIMEOUT_MS) * REDPILL_TIME_SHARE;
  try {
    const native = runGuest(prep.reference, 'none', program, { maxSteps: steps, timeLimitMs });
    const trap = runGuest(prep.reference, 'trap', program, { maxSteps: steps, timeLimitMs });
    return { native, trap };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

export function gradeRedPill(prep: PreparedAssignment, q: RedPillQuestion, input: RedPillInput, formatErrors: string[]): TestResult[] {
  const level = resolveFeedback(prep.assignment, q);
  const visibility = resolveVisibility(prep.assignment, q);
  const name = `${q.id}: red pill`;
  // Named t1 for the theorem the course teaches; the exact verdict decides where the analysis has it.
  const t1 = prep.analysis.trapAndEmulate ?? prep.analysis.theorem1;
  const isa = prep.reference;
  const exact = prep.analysis.trapAndEmulate !== undefined;
  const holdsText = exact ? `a trap-and-emulate monitor exists for ${isa.name}` : `Theorem 1 holds for ${isa.name}`;
  const failsText = exact ? `no trap-and-emulate monitor exists for ${isa.name}` : `Theorem 1 fails for ${isa.name}`;
  const breaks = exact ? 'the monitor' : 'Theorem 1';
  const expected = (): string =>
    t1.value === 'holds'
      ? `Expected: "redpill": "impossible" in ${input.claimFile}.`
      : `Expected: a guest program that ends differently under the monitor, using an instruction that breaks it (${t1.offenders.map((o) => o.mnemonic).join(', ')}).`;
  const result = (score: number, output: string): TestResult[] => [
    {
      name,
      question: q.id,
      score,
      maxScore: q.points,
      visibility,
      output:
        level === 'score'
          ? `${score} of ${q.points} points.`
          : score < q.points && showsAnswer(level) && t1.value !== 'unknown'
            ? `${output}\n${expected()}`
            : output,
    },
  ];

  let claimsImpossible = false;
  if (input.claimText !== undefined) {
    const a = parseAnswers(input.claimText, input.claimFile);
    if (a.ok) claimsImpossible = a.answers.redpill === 'impossible';
    else if (input.program === undefined) {
      formatErrors.push(...a.errors);
      return result(0, `not graded: ${a.errors.join('; ')}`);
    }
  }
  const whyImpossible = () => {
    const priv = prep.analysis.instructions.filter((c) => c.sensitive === 'yes').map((c) => c.mnemonic);
    // The monitor exists although Theorem 1 fails (a trap that depends on data, a split by operand):
    // the analysis says why, and "every sensitive instruction is privileged" would not be true.
    if (exact && prep.analysis.theorem1.value !== 'holds')
      return `${holdsText[0]!.toUpperCase()}${holdsText.slice(1)}${prep.analysis.trapAndEmulate?.note ? `: ${prep.analysis.trapAndEmulate.note}` : ''}. No program can tell the two apart.`;
    return `${holdsText[0]!.toUpperCase()}${holdsText.slice(1)}: every sensitive instruction (${priv.join(', ') || 'none'}) is privileged, so in the guest mode each one traps to the monitor, which runs it against the virtual state exactly as the bare machine would; every other instruction touches neither mode nor control state and runs directly with the same effect. No program can tell the two apart.`;
  };
  if (claimsImpossible) {
    if (t1.value === 'holds') return result(q.points, `Right: no program can tell. ${level === 'evidence' ? whyImpossible() : ''}`.trim());
    if (t1.value === 'fails') {
      return result(
        0,
        level === 'wrong'
          ? 'You said no program can tell; that is not right.'
          : `A program can tell: ${failsText}${level === 'evidence' ? `, e.g. ${t1.offenders[0]!.reason}` : ''}.`,
      );
    }
  }
  if (input.program === undefined) {
    const why = `no program ${input.programFile} in the submission${t1.value === 'holds' ? ` (or "redpill": "impossible" in ${input.claimFile})` : ''}`;
    formatErrors.push(why);
    return result(0, `not graded: ${why}`);
  }
  const asm = assemble(isa, input.program, input.programFile);
  if (!asm.ok) {
    const msgs = asm.diagnostics.slice(0, 10).map((d) => formatAsmDiagnostic(d, input.program));
    formatErrors.push(...msgs);
    return result(0, `${input.programFile} does not assemble:\n${msgs.join('\n')}`);
  }
  const steps = q.steps ?? DEFAULT_REDPILL_STEPS;
  const runs = runBoth(prep, { program: asm.program }, steps);
  if ('error' in runs) {
    formatErrors.push(`${input.programFile}: ${runs.error}`);
    return result(0, `${input.programFile} could not be run: ${runs.error}`);
  }
  const { native, trap } = runs;
  const both = `On the bare machine it ${ended(native.outcome)}; under the trap-and-emulate monitor it ${ended(trap.outcome)}.`;
  const used = new Set(
    disassembleProgram(isa, asm.program)
      .map((l) => l.instruction)
      .filter((m): m is string => m !== undefined),
  );
  const offenders = t1.offenders.map((o) => o.mnemonic);
  const usedOffenders = offenders.filter((m) => used.has(m));
  // Where a run stopped by the clock depends on the host's speed: no verdict can rest on it.
  if (native.outcome.kind === 'time' || trap.outcome.kind === 'time') {
    return result(0, `${both} A red pill must end within the time limit on both, so that the runs can be compared (ask your instructor if it should).`);
  }
  if (native.outcome.kind === 'budget') {
    return result(0, `${both} A red pill must end on the bare machine (within ${steps} steps) so that the monitor's run can be compared with it.`);
  }
  // Ends natively but not under the monitor: the monitor changed what the guest does (a hang is a
  // fidelity failure), so the program tells the two apart.
  const hangs = trap.outcome.kind === 'budget';
  const diff = hangs ? [] : diffStates(native.guestState, trap.guestState);
  const kindDiffers = native.outcome.kind !== trap.outcome.kind;
  if (diff.length > 0 || kindDiffers) {
    const shown = diff.slice(0, 6).map((n) => `${n}: ${valueOf(native.guestState, n)} natively, ${valueOf(trap.guestState, n)} under the monitor`);
    const L = [hangs ? `Detected: it ends on the bare machine but not under the monitor. ${both}` : `Detected: the two runs end differently. ${both}`];
    if (shown.length) L.push(`They differ in ${shown.join('; ')}${diff.length > 6 ? `; and ${diff.length - 6} more` : ''}.`);
    if (usedOffenders.length && level === 'evidence')
      L.push(`Your program uses ${usedOffenders.join(', ')}, which break${usedOffenders.length === 1 ? 's' : ''} ${breaks}.`);
    if (t1.value === 'holds') L.push(`This contradicts the analysis (${holdsText}): please show your instructor.`);
    return result(q.points, L.join('\n'));
  }
  const L = [`Not detected: both runs end in the same state. ${both}`];
  if (t1.value === 'holds') {
    L.push(level === 'evidence' ? `No program could: ${whyImpossible()}` : `No program could: ${holdsText}.`);
  } else if (level === 'evidence' || level === 'answer') {
    if (usedOffenders.length === 0)
      L.push(`Your program uses none of the instructions that break ${breaks} (${offenders.join(', ')}); only those behave differently under the monitor.`);
    else
      L.push(
        `Your program uses ${usedOffenders.join(', ')}, but what ${usedOffenders.length === 1 ? 'it does differently' : 'they do differently'} never reaches the final state (store the result, or branch on it). ${
          level === 'evidence'
            ? t1.offenders
                .filter((o) => usedOffenders.includes(o.mnemonic))
                .map((o) => o.reason)
                .join(' ')
            : ''
        }`.trim(),
      );
  }
  return result(0, L.join('\n'));
}
