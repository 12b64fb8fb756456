// Concrete probing: before asking the solver whether some state has a property (it completes in
// guest mode, it changes control state, it traps for privilege), try a few pseudo-random states on
// the reference interpreter. A state that shows the property is a witness as good as a model (it is
// checked by the same replay); finding none proves nothing, and the solver is asked as before.
// Most satisfiable questions on simple machines are answered here, which saves a solver query
// each. The generator is seeded by the question, so every run finds the same witness.

import type { Instruction, Isa } from '../ir/index.js';
import { type ConcreteState, evalExprOutcome, mask, modeOf, toHex, zeroState } from '../exec/index.js';
import type { ModelState } from './witness.js';
import { isaIndex } from '../ir/index.js';

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A value of `w` bits, biased towards the values semantics test for: zero, all ones, small. */
function value(next: () => number, w: number): bigint {
  const r = next();
  if (r < 0.4) return 0n;
  if (r < 0.5) return mask(w);
  if (r < 0.65) return BigInt(Math.floor(next() * 8)) & mask(w);
  let v = 0n;
  for (let i = 0; i < w; i += 30) v = (v << 30n) | BigInt(Math.floor(next() * 2 ** 30));
  return v & mask(w);
}

export interface Probed {
  ms: ModelState;
  ops: Record<string, bigint>;
}

/** The first of `tries` random states (memory all zero) in the wanted mode for which `accept`
 *  holds, or undefined. `guest`: in the guest mode with the assumptions; otherwise in some mode. */
export function probe(
  isa: Isa,
  instr: Instruction,
  question: string,
  guest: boolean,
  accept: (s: ConcreteState, ops: Record<string, bigint>) => boolean,
  tries = 48,
  /** Fixed operand values (one instance), instead of random ones. */
  fixedOps?: Record<string, bigint>,
  /** A guest-mode state satisfying the assumptions: guest probes start from it and vary only the
   *  registers the mode and the assumptions do not read (random states seldom satisfy both). */
  guestBase?: { state: ConcreteState; fixed: Set<string> },
): Probed | undefined {
  const next = rng(hash(`${isa.name}/${instr.mnemonic}/${question}`));
  for (let k = 0; k < tries; k++) {
    const s = zeroState(isa);
    for (const r of isa.registers)
      s.regs[r.name] = guest && guestBase && (guestBase.fixed.has(r.name) || k === 0) ? (guestBase.state.regs[r.name] ?? 0n) : value(next, r.width);
    for (const f of isa.files) s.files[f.name] = s.files[f.name]!.map(() => value(next, f.width));
    const ops: Record<string, bigint> = {};
    for (const o of instr.operands) ops[o.name] = fixedOps?.[o.name] ?? value(next, o.width);
    if (guest ? !holds(isa, s, guestWhen(isa)) : !modeOf(isa, s)) continue;
    if (guest && !isa.assumptions.every((a) => holds(isa, s, a.holds))) continue;
    if (!accept(s, ops)) continue;
    return { ms: { state: s, values: valuesOf(isa, s), conflicts: [] }, ops };
  }
  return undefined;
}

function guestWhen(isa: Isa): Isa['modes'][number]['when'] {
  return (isaIndex(isa).modes.get(isa.guestMode) ?? isa.modes.at(-1)!).when;
}

function holds(isa: Isa, s: ConcreteState, e: Isa['assumptions'][number]['holds']): boolean {
  const r = evalExprOutcome(isa, s, e);
  return 'value' in r && r.value === 1n;
}

/** Every register, and the file entries that are not zero (absent entries read as zero). */
export function valuesOf(isa: Isa, s: ConcreteState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of isa.registers) out[r.name] = toHex(s.regs[r.name] ?? 0n);
  for (const f of isa.files) s.files[f.name]!.forEach((v, i) => v !== 0n && (out[`${f.name}[${i}]`] = toHex(v)));
  return out;
}
