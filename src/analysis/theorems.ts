// Popek and Goldberg's theorems decided from the per-instruction verdicts. A theorem holds when no
// instruction breaks it and every verdict it depends on is decided; it fails on the first proved
// offender; otherwise it is unknown, naming the undecided instructions.

import type { InstructionClassification, TheoremVerdict } from './types.js';

type Check = (c: InstructionClassification) => 'offends' | 'fine' | 'undecided';

function decide(cs: InstructionClassification[], statement: string, check: Check): TheoremVerdict {
  const offenders: TheoremVerdict['offenders'] = [];
  const undecided: string[] = [];
  for (const c of cs) {
    const r = check(c);
    if (r === 'offends') offenders.push({ mnemonic: c.mnemonic, reason: c.reason, span: c.span });
    else if (r === 'undecided') undecided.push(c.mnemonic);
  }
  const value = offenders.length ? 'fails' : undecided.length ? 'unknown' : 'holds';
  return { value, offenders, undecided, statement };
}

/** An instruction offends when `bad` is proved and it is not proved privileged. */
function notCoveredBy(bad: (c: InstructionClassification) => 'yes' | 'no' | 'unknown'): Check {
  return (c) => {
    const b = bad(c);
    const p = c.privileged.value;
    if (b === 'no' || p === 'yes') return 'fine';
    if (b === 'yes' && p !== 'unknown') return 'offends';
    return 'undecided';
  };
}

export function theorem1(cs: InstructionClassification[]): TheoremVerdict {
  return decide(
    cs,
    'Theorem 1 (Popek and Goldberg 1974): a trap-and-emulate virtual machine monitor can be built if every sensitive instruction is privileged.',
    notCoveredBy((c) => c.sensitive),
  );
}

export function theorem3(cs: InstructionClassification[]): TheoremVerdict {
  return decide(
    cs,
    'Theorem 3 (Popek and Goldberg 1974): a hybrid virtual machine monitor can be built if every user-sensitive instruction is privileged.',
    notCoveredBy((c) => c.userSensitive.value),
  );
}

export function theorem2(cs: InstructionClassification[], t1: TheoremVerdict): TheoremVerdict {
  const timing = decide(cs, '', (c) => (c.timingDependent.value === 'yes' ? 'offends' : c.timingDependent.value === 'unknown' ? 'undecided' : 'fine'));
  const offenders = [...t1.offenders];
  for (const o of timing.offenders) if (!offenders.some((x) => x.mnemonic === o.mnemonic)) offenders.push(o);
  const undecided = [...new Set([...t1.undecided, ...timing.undecided])];
  return {
    value: offenders.length ? 'fails' : undecided.length ? 'unknown' : 'holds',
    offenders,
    undecided,
    statement:
      'Theorem 2 (Popek and Goldberg 1974): the machine is recursively virtualizable if Theorem 1 holds and no instruction is timing dependent.',
  };
}
