// Popek and Goldberg's theorems, and the exact monitor question, decided from the per-instance
// verdicts. A theorem holds when no instruction breaks it and every verdict it depends on is
// decided; it fails on the first proved offender; otherwise it is unknown, naming the undecided
// instructions.
//
// Theorems 1–3 are the paper's sufficient conditions, decided per instance (an opcode offends
// only if one of its instances is sensitive and not privileged). `trapAndEmulate` and
// `hybridMonitor` answer the question users ask: does such a monitor exist at all (DESIGN.md,
// "The model")? Theorem 1 implies the first; where Theorem 1 fails and the monitor exists anyway,
// the note says why.

import type { InstructionClassification, TheoremVerdict, Verdict } from './types.js';

type Check = (c: InstructionClassification) => Verdict;

function decide(cs: InstructionClassification[], statement: string, check: Check, withWitness = false): TheoremVerdict {
  const offenders: TheoremVerdict['offenders'] = [];
  const undecided: string[] = [];
  for (const c of cs) {
    const v = check(c);
    if (v.value === 'yes') {
      const o: TheoremVerdict['offenders'][number] = { mnemonic: c.mnemonic, reason: `${c.mnemonic}: ${v.evidence.text}`, span: c.span };
      if (c.instances.length > 1) {
        const bad = c.instances.filter((i) => i.sensitive === 'yes' && i.privileged !== 'yes').map((i) => i.condition);
        if (bad.length) o.condition = bad.length === 1 ? bad[0]! : bad.map((b) => `(${b})`).join(' || ');
      }
      if (withWitness && v.evidence.k === 'witness') o.witness = v.evidence.witness;
      offenders.push(o);
    } else if (v.value === 'unknown') undecided.push(c.mnemonic);
  }
  const value = offenders.length ? 'fails' : undecided.length ? 'unknown' : 'holds';
  return { value, offenders, undecided, statement };
}

export function theorem1(cs: InstructionClassification[]): TheoremVerdict {
  const t = decide(
    cs,
    'Theorem 1 (Popek and Goldberg 1974): a trap-and-emulate virtual machine monitor can be built if every sensitive instruction is privileged.',
    (c) => c.offendsTheorem1,
  );
  // The offender's reason is the instruction's own (it names the instance and the split).
  for (const o of t.offenders) o.reason = cs.find((c) => c.mnemonic === o.mnemonic)!.reason;
  return t;
}

export function theorem3(cs: InstructionClassification[]): TheoremVerdict {
  return decide(
    cs,
    'Theorem 3 (Popek and Goldberg 1974): a hybrid virtual machine monitor can be built if every user-sensitive instruction is privileged.',
    (c) => c.offendsTheorem3,
  );
}

export function theorem2(cs: InstructionClassification[], t1: TheoremVerdict): TheoremVerdict {
  const timing = decide(cs, '', (c) => c.timingDependent);
  const offenders = [...t1.offenders];
  for (const o of timing.offenders) if (!offenders.some((x) => x.mnemonic === o.mnemonic)) offenders.push(o);
  const undecided = [...new Set([...t1.undecided, ...timing.undecided])];
  return {
    value: offenders.length ? 'fails' : undecided.length ? 'unknown' : 'holds',
    offenders,
    undecided,
    statement:
      'Theorem 2 (Popek and Goldberg 1974): the machine is recursively virtualizable if Theorem 1 holds and no instruction is timing dependent (reads a clock where it does not trap).',
  };
}

/** Why an instruction that breaks a theorem's premise does not break the monitor. */
function whyNotBreaking(c: InstructionClassification): string {
  const split = c.instances.length > 1 && c.instances.some((i) => i.privileged === 'yes');
  if (split)
    return `${c.mnemonic}: its instances split (${c.instances.map((i) => `${i.summary} where ${i.condition}`).join('; ')}), and wherever an instance behaves differently on the real machine it traps, so the monitor emulates it`;
  return `${c.mnemonic}: it is sensitive and not privileged, but every execution in which the real and the virtual machine would differ traps (the trap depends on the data), so the monitor emulates it`;
}

function exact(cs: InstructionClassification[], premise: TheoremVerdict, hybrid: boolean): TheoremVerdict & { note?: string } {
  const t = decide(
    cs,
    hybrid
      ? 'Hybrid monitor (exact): no instruction, run directly in the real guest mode for a guest in virtual user mode, behaves differently from the virtual machine without trapping.'
      : 'Trap-and-emulate monitor (exact): no instruction, run directly in the real guest mode, behaves differently from the virtual machine without trapping.',
    (c) => (hybrid ? c.breaksHybrid : c.breaksMonitor),
    true,
  );
  const spared = premise.offenders.filter((o) => !t.offenders.some((x) => x.mnemonic === o.mnemonic));
  if (t.value === 'holds' && spared.length) {
    const name = hybrid ? 'Theorem 3' : 'Theorem 1';
    const why = spared.map((o) => whyNotBreaking(cs.find((c) => c.mnemonic === o.mnemonic)!));
    return { ...t, note: `${name} fails, but the monitor exists: ${why.join('; ')}.` };
  }
  return t;
}

export function trapAndEmulate(cs: InstructionClassification[], t1: TheoremVerdict): TheoremVerdict & { note?: string } {
  return exact(cs, t1, false);
}

export function hybridMonitor(cs: InstructionClassification[], t3: TheoremVerdict): TheoremVerdict & { note?: string } {
  return exact(cs, t3, true);
}
