// Witnesses: a Z3 model turned into concrete states and operands, then replayed on the reference
// interpreter. A witness is reported only when the replay shows exactly what the query claimed
// (a change of control state, or two runs whose results differ); otherwise the caller records a
// bug and reports the verdict as unknown.

import type { Model } from 'z3-solver';
import type { Instruction, Isa } from '../ir/index.js';
import { type ConcreteState, modeOf, toHex, translateAddress, zeroState } from '../exec/index.js';
import { evalMany, type Access, type BV, type SymState } from './symbolic.js';
import type { Witness, WitnessOutcome, WitnessState } from './types.js';
import { isaIndex } from '../ir/index.js';

type M = Model<'main'>;

function numOf(model: M, t: BV): bigint {
  const v = model.eval(t, true) as unknown as { value(): bigint };
  return v.value();
}

/** A concrete state from a model: every register, and the file entries and memory words the
 *  instruction accessed (everything else zero: it cannot matter to the instruction). */
export interface ModelState {
  state: ConcreteState;
  /** Element -> hex, for the report ("r[3]", "E[0x40]"). */
  values: Record<string, string>;
  conflicts: string[];
}

export function stateFromModel(
  isa: Isa,
  model: M,
  sym: SymState,
  accesses: Access[],
  /** The other run's accesses (two-state questions): words it touches must exist here too. */
  other: Access[] = [],
): ModelState {
  const state = zeroState(isa);
  const values: Record<string, string> = {};
  const conflicts: string[] = [];
  const regValues = evalMany(
    model,
    isa.registers.map((r) => sym.regs.get(r.name)!),
  );
  isa.registers.forEach((r, i) => {
    state.regs[r.name] = regValues[i]!;
    values[r.name] = toHex(regValues[i]!);
  });
  const setWord = (mem: string, addr: number, v: bigint) => {
    const m = state.mem[mem]!;
    const key = `${mem}[${toHex(BigInt(addr))}]`;
    if (key in values) {
      if (BigInt(values[key]!) !== v) conflicts.push(`${key}: ${values[key]} and ${toHex(v)}`);
      return;
    }
    if (v !== 0n) m.set(addr, v);
    values[key] = toHex(v);
  };
  // Every address term, evaluated at once.
  const terms: BV[] = [];
  for (const a of [...accesses, ...other]) {
    if (a.k === 'file') terms.push(a.index);
    else if (a.k === 'mem') terms.push(a.addr);
    else terms.push(a.phys, a.vaddr);
  }
  const known = new Map<BV, bigint>();
  evalMany(model, terms).forEach((v, i) => known.set(terms[i]!, v));
  const num = (t: BV): bigint => known.get(t) ?? numOf(model, t);
  // Files and raw memory are read at every index either run touches (the arrays are this state's).
  for (const a of [...accesses, ...other]) {
    if (a.k === 'file') {
      const i = Number(num(a.index));
      const v = sym.files.get(a.file)!.base.valueAt(model, BigInt(i)) ?? 0n;
      state.files[a.file]![i] = v;
      values[`${a.file}[${i}]`] = toHex(v);
    } else if (a.k === 'mem') {
      const addr = Number(num(a.addr));
      setWord(a.mem, addr, sym.mems.get(a.mem)!.base.valueAt(model, BigInt(addr)) ?? 0n);
    }
  }
  // Virtual model: the word a view shows at vaddr lives at this state's physical address.
  for (const a of accesses) {
    if (a.k !== 'view') continue;
    setWord(a.mem, Number(num(a.phys)), sym.virt!.get(a.view)!.base.valueAt(model, num(a.vaddr)) ?? 0n);
  }
  // Words the other run saw through a view: place them where this state's translation puts them.
  for (const a of other) {
    if (a.k !== 'view') continue;
    const t = translateAddress(isa, state, a.view, num(a.vaddr));
    if ('addr' in t) setWord(a.mem, t.addr, sym.virt!.get(a.view)!.base.valueAt(model, num(a.vaddr)) ?? 0n);
  }
  return { state, values, conflicts };
}

export function operandsFromModel(model: M, instr: Instruction, ops: Map<string, BV>): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const o of instr.operands) out[o.name] = numOf(model, ops.get(o.name)!);
  return out;
}

// ---- naming differences ----

const maskOf = (w: number) => (1n << BigInt(w)) - 1n;

/** Names for the differing bits of a register: its fields where they cover the bits. */
function regBitNames(isa: Isa, reg: string, bits: bigint): string[] {
  const r = isaIndex(isa).registers.get(reg)!;
  const names: string[] = [];
  let covered = 0n;
  for (const f of r.fields) {
    const fm = maskOf(f.hi - f.lo + 1) << BigInt(f.lo);
    if (fm & bits) {
      names.push(`${reg}.${f.name}`);
      covered |= fm;
    }
  }
  if (bits & ~covered || names.length === 0) return [reg];
  return names;
}

function fieldValue(isa: Isa, name: string, s: ConcreteState): bigint {
  const [reg, field] = name.split('.');
  const v = s.regs[reg!] ?? 0n;
  if (!field) return v;
  const f = isaIndex(isa)
    .registers.get(reg)!
    .fields.find((x) => x.name === field)!;
  return (v >> BigInt(f.lo)) & maskOf(f.hi - f.lo + 1);
}

export interface Diff {
  /** Element name ("EFLAGS.IF", "r[2]", "E[0x10]", "halt"). */
  name: string;
  a: string;
  b: string;
}

/** Register differences restricted to bits in `bitsOf(reg)`. */
export function modelRegDiffs(isa: Isa, x: ConcreteState, y: ConcreteState, bitsOf: (reg: string) => bigint): Diff[] {
  return regDiffs(isa, x, y, bitsOf);
}

function regDiffs(isa: Isa, x: ConcreteState, y: ConcreteState, bitsOf: (reg: string) => bigint): Diff[] {
  const out: Diff[] = [];
  for (const r of isa.registers) {
    const d = ((x.regs[r.name] ?? 0n) ^ (y.regs[r.name] ?? 0n)) & bitsOf(r.name) & maskOf(r.width);
    if (!d) continue;
    for (const n of regBitNames(isa, r.name, d)) {
      out.push({ name: n, a: toHex(fieldValue(isa, n, x)), b: toHex(fieldValue(isa, n, y)) });
    }
  }
  return out;
}

export function fileDiffsOf(isa: Isa, x: ConcreteState, y: ConcreteState, include: (role: string) => boolean): Diff[] {
  return fileDiffs(isa, x, y, include);
}

function fileDiffs(isa: Isa, x: ConcreteState, y: ConcreteState, include: (role: string) => boolean): Diff[] {
  const out: Diff[] = [];
  for (const f of isa.files) {
    if (!include(f.role)) continue;
    for (let i = 0; i < f.count; i++) {
      const a = x.files[f.name]?.[i] ?? 0n,
        b = y.files[f.name]?.[i] ?? 0n;
      if (a !== b) out.push({ name: `${f.name}[${i}]`, a: toHex(a), b: toHex(b) });
    }
  }
  return out;
}

export function memDiffs(isa: Isa, x: ConcreteState, y: ConcreteState, include: (role: string) => boolean): Diff[] {
  const out: Diff[] = [];
  for (const m of isa.memories) {
    if (!include(m.role)) continue;
    const mx = x.mem[m.name] ?? new Map(),
      my = y.mem[m.name] ?? new Map();
    const addrs = [...new Set([...mx.keys(), ...my.keys()])].sort((p, q) => p - q);
    for (const ad of addrs) {
      const a = mx.get(ad) ?? 0n,
        b = my.get(ad) ?? 0n;
      if (a !== b) out.push({ name: `${m.name}[${toHex(BigInt(ad))}]`, a: toHex(a), b: toHex(b) });
    }
  }
  return out;
}

// ---- JSON form ----

export function witnessState(isa: Isa, ms: ModelState): WitnessState {
  return { mode: modeOf(isa, ms.state) ?? '(no mode)', values: ms.values };
}

export function makeWitness(ops: Record<string, bigint>, states: WitnessState[], outcomes: WitnessOutcome[], differs: string[], replayed: boolean): Witness {
  const operands: Record<string, string> = {};
  for (const [k, v] of Object.entries(ops)) operands[k] = toHex(v);
  return { operands, states, outcomes, differs, replayed };
}

/** Rebuild the concrete states of a witness from its JSON form (absent = zero). */
export function statesOfWitness(isa: Isa, w: Witness): ConcreteState[] {
  return w.states.map((ws) => {
    const s = zeroState(isa);
    for (const [k, v] of Object.entries(ws.values)) {
      const m = /^(\w+)\[(0x[0-9a-f]+|\d+)\]$/.exec(k);
      if (!m) {
        s.regs[k] = BigInt(v);
        continue;
      }
      const [, name, idx] = m;
      if (s.files[name!]) s.files[name!]![Number(idx)] = BigInt(v);
      else if (s.mem[name!] && BigInt(v) !== 0n) s.mem[name!]!.set(Number(idx), BigInt(v));
    }
    return s;
  });
}

export function operandsOfWitness(w: Witness): Record<string, bigint> {
  const out: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(w.operands)) out[k] = BigInt(v);
  return out;
}
