// Is a student's instruction the reference's instruction? One solver query per instruction: both
// semantics run symbolically from one shared initial state (elements with the same name and shape
// share their terms) with shared operands, and the solver looks for a state where the outcomes
// differ (a different trap, a halt, or a different value of any common element). A difference is
// replayed on the reference interpreter before it is reported, with the concrete state.

import type { Model } from 'z3-solver';
import {
  instructionEffects,
  stateFromModel,
  freshState,
  indexBits,
  Logic,
  SymArray,
  operandTerms,
  predicate,
  runSymbolic,
  solve,
  type ArrayBase,
  type B,
  type BV,
  type SymState,
  type Z3,
} from '../analysis/index.js';
import { runSemantics, toHex, zeroState, type ConcreteState, type Outcome } from '../exec/index.js';
import type { Instruction, Isa } from '../ir/index.js';
import { isaIndex } from '../ir/index.js';

export type EquivStatus = 'equal' | 'differs' | 'unknown' | 'missing';

export interface EquivResult {
  mnemonic: string;
  status: EquivStatus;
  /** One paragraph for the student: why it differs, with the concrete state. */
  message: string;
}

/** Register, file and memory shapes that differ between the two specs, by element name. */
export function stateMismatches(ref: Isa, stu: Isa): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of ref.registers) {
    const s = isaIndex(stu).registers.get(r.name);
    if (!s) out.set(r.name, `register ${r.name} is missing`);
    else if (s.width !== r.width) out.set(r.name, `register ${r.name} has ${s.width} bits, the reference's has ${r.width}`);
  }
  for (const f of ref.files) {
    const s = isaIndex(stu).files.get(f.name);
    if (!s) out.set(f.name, `register file ${f.name} is missing`);
    else if (s.width !== f.width || s.count !== f.count)
      out.set(f.name, `register file ${f.name} is ${s.count} × ${s.width} bits, the reference's is ${f.count} × ${f.width}`);
  }
  for (const m of ref.memories) {
    const s = isaIndex(stu).memories.get(m.name);
    if (!s) out.set(m.name, `memory ${m.name} is missing`);
    else if (s.wordWidth !== m.wordWidth || s.size !== m.size)
      out.set(m.name, `memory ${m.name} is ${s.size} words of ${s.wordWidth} bits, the reference's is ${m.size} of ${m.wordWidth}`);
  }
  return out;
}

/** The student's initial symbolic state: the reference's terms wherever the element matches. */
function sharedState(z3: Z3, ref: Isa, stu: Isa, sRef: SymState, registry: ArrayBase[]): SymState {
  const own = freshState(z3, stu, 'T', registry);
  for (const r of stu.registers) {
    const x = isaIndex(ref).registers.get(r.name);
    if (x && x.width === r.width) own.regs.set(r.name, sRef.regs.get(r.name)!);
  }
  for (const f of stu.files) {
    const x = isaIndex(ref).files.get(f.name);
    if (x && x.width === f.width && x.count === f.count) own.files.set(f.name, sRef.files.get(f.name)!);
  }
  for (const m of stu.memories) {
    const x = isaIndex(ref).memories.get(m.name);
    if (x && x.wordWidth === m.wordWidth && x.size === m.size) own.mems.set(m.name, sRef.mems.get(m.name)!);
  }
  return own;
}

function signature(i: Instruction): string {
  return i.operands.map((o) => `${o.name}: ${o.kind}${o.kind === 'reg' ? ` ${o.file}` : ` ${o.width}`}`).join(', ');
}

/** Element names an instruction touches, reduced to the state element ("R.bound" -> "R"). */
function touched(isa: Isa, i: Instruction): Set<string> {
  const e = instructionEffects(isa, i).effects;
  const out = new Set<string>();
  for (const n of [...e.reads, ...e.writes]) out.add(n.split(/[.[]/)[0]!);
  // A view stands for its memory.
  for (const n of [...out]) {
    const v = isaIndex(isa).views.get(n);
    if (v) out.add(v.memory);
  }
  return out;
}

function num(model: Model<'main'>, t: BV): bigint {
  return (model.eval(t, true) as unknown as { value(): bigint }).value();
}

/** The student's concrete state for a counterexample: the reference state's values by name. */
function studentState(stu: Isa, refState: ConcreteState, model: Model<'main'>, sStu: SymState): ConcreteState {
  const s = zeroState(stu);
  for (const r of stu.registers) s.regs[r.name] = r.name in refState.regs && sStu.regs.get(r.name) ? num(model, sStu.regs.get(r.name)!) : 0n;
  for (const f of stu.files) if (refState.files[f.name] && refState.files[f.name]!.length === f.count) s.files[f.name] = [...refState.files[f.name]!];
  for (const m of stu.memories) if (refState.mem[m.name]) s.mem[m.name] = new Map(refState.mem[m.name]!);
  return s;
}

function outcomeWords(o: Outcome): string {
  return o.kind === 'trap' ? `raises trap ${o.trap}` : o.kind === 'halt' ? 'halts' : 'completes';
}

/** Differences between the two replayed outcomes, as "element: reference 0x1, yours 0x0". */
function outcomeDiffs(ref: Isa, a: Outcome, b: Outcome): string[] {
  const out: string[] = [];
  if (a.kind !== b.kind || (a.kind === 'trap' && b.kind === 'trap' && a.trap !== b.trap)) {
    out.push(`the reference ${outcomeWords(a)}, yours ${outcomeWords(b)}`);
    return out;
  }
  if (a.kind === 'trap') return out; // both raise the same trap: writes are discarded in both
  for (const r of ref.registers) {
    const x = a.state.regs[r.name] ?? 0n;
    const y = b.state.regs[r.name];
    if (y !== undefined && x !== y) out.push(`${r.name}: reference ${toHex(x)}, yours ${toHex(y)}`);
  }
  for (const f of ref.files) {
    const fa = a.state.files[f.name] ?? [];
    const fb = b.state.files[f.name];
    if (!fb) continue;
    for (let i = 0; i < f.count; i++)
      if ((fa[i] ?? 0n) !== (fb[i] ?? 0n)) out.push(`${f.name}[${i}]: reference ${toHex(fa[i] ?? 0n)}, yours ${toHex(fb[i] ?? 0n)}`);
  }
  for (const m of ref.memories) {
    const ma = a.state.mem[m.name] ?? new Map<number, bigint>();
    const mb = b.state.mem[m.name];
    if (!mb) continue;
    const addrs = [...new Set([...ma.keys(), ...mb.keys()])].sort((x, y) => x - y);
    for (const ad of addrs) {
      const x = ma.get(ad) ?? 0n;
      const y = mb.get(ad) ?? 0n;
      if (x !== y) out.push(`${m.name}[${toHex(BigInt(ad))}]: reference ${toHex(x)}, yours ${toHex(y)}`);
    }
  }
  return out;
}

export interface CompareOptions {
  timeoutMs: number;
  /** Compare only in states of this mode of the reference (a fixed instruction must keep its
   *  behaviour where it is allowed to run). */
  inMode?: string;
}

/** Compare one reference instruction with the student's instruction of the same mnemonic. */
export async function compareInstruction(z3: Z3, ref: Isa, stu: Isa, ri: Instruction, opts: CompareOptions): Promise<EquivResult> {
  const m = ri.mnemonic;
  const si = isaIndex(stu).instructions.get(m);
  if (!si) return { mnemonic: m, status: 'missing', message: `${m} is missing from your spec.` };
  if (signature(si) !== signature(ri)) {
    return { mnemonic: m, status: 'differs', message: `${m} takes operands (${signature(si)}); the reference's takes (${signature(ri)}).` };
  }
  const mism = stateMismatches(ref, stu);
  const bad = [...touched(ref, ri), ...touched(stu, si)].filter((n) => mism.has(n));
  if (bad.length)
    return {
      mnemonic: m,
      status: 'differs',
      message: `${m} uses state your spec declares differently: ${[...new Set(bad)].map((n) => mism.get(n)).join('; ')}.`,
    };

  const L = new Logic(z3);
  // Every array's initial words are read-consistent variables; their constraints join the query.
  const registry: ArrayBase[] = [];
  const sRef = freshState(z3, ref, 'S', registry);
  const sStu = sharedState(z3, ref, stu, sRef, registry);
  const ops = operandTerms(z3, ri);
  const rr = runSymbolic(z3, ref, ri, sRef, ops);
  const rs = runSymbolic(z3, stu, si, sStu, ops);
  const trapOf = (r: typeof rr, n: string): B => L.or(...r.traps.filter((t) => t.trap === n).map((t) => t.cond));
  const names = [...new Set([...rr.traps.map((t) => t.trap), ...rs.traps.map((t) => t.trap)])];
  const anyR = L.or(...rr.traps.map((t) => t.cond));
  const anyS = L.or(...rs.traps.map((t) => t.cond));
  const diffs: B[] = [];
  for (const n of names) diffs.push(z3.Xor(trapOf(rr, n), trapOf(rs, n)) as B);
  const values: B[] = [z3.Xor(rr.halted, rs.halted) as B];
  for (const r of ref.registers) {
    const b = rs.final.regs.get(r.name);
    if (b && b.size() === r.width) values.push(rr.final.regs.get(r.name)!.neq(b));
  }
  // Arrays of the same shape: a fresh index k where they differ (the model then names the word).
  const compareArray = (name: string, bits: number, a: SymArray | undefined, b: SymArray | undefined) => {
    if (!a || !b || a.sameAs(b)) return;
    const k = z3.BitVec.const(`k.${name}`, bits);
    values.push(a.select(k, L).neq(b.select(k, L)));
  };
  for (const f of ref.files) {
    const g = isaIndex(stu).files.get(f.name);
    if (g && g.count === f.count && g.width === f.width) compareArray(f.name, indexBits(f.count), rr.final.files.get(f.name), rs.final.files.get(f.name));
  }
  for (const mm of ref.memories) {
    const g = isaIndex(stu).memories.get(mm.name);
    if (g && g.size === mm.size && g.wordWidth === mm.wordWidth)
      compareArray(mm.name, indexBits(mm.size), rr.final.mems.get(mm.name), rs.final.mems.get(mm.name));
  }
  diffs.push(L.and(L.not(anyR), L.not(anyS), L.or(...values)));
  // Solved through the analysis' solve(): it copies the query into a context the garbage
  // collector never frees terms of while a check runs (z3-solver's finalizers corrupt the heap).
  const assertions = [L.or(...diffs)];
  const modeIx = opts.inMode ? ref.modes.findIndex((x) => x.name === opts.inMode) : -1;
  if (modeIx >= 0) assertions.push(predicate(z3, ref, sRef, ref.modes[modeIx]!.when));
  for (const b of registry) for (const c of b.constraints()) assertions.push(c);
  const answer = await solve(assertions, { timeoutMs: opts.timeoutMs });
  const where = modeIx >= 0 ? ` in mode ${opts.inMode}` : '';
  if (answer.r === 'unsat') return { mnemonic: m, status: 'equal', message: `${m}: same as the reference in every state${where} (proved by the solver).` };
  if (answer.r !== 'sat')
    return {
      mnemonic: m,
      status: 'unknown',
      message: `${m}: the solver could not decide within ${opts.timeoutMs} ms whether it matches the reference${where}; not credited (ask your instructor to review).`,
    };

  // A counterexample: make it concrete and replay both instructions on the interpreter.
  const model = answer.model;
  const ms = stateFromModel(ref, model, sRef, rr.accesses, rs.accesses);
  const opVals: Record<string, bigint> = {};
  for (const o of ri.operands) opVals[o.name] = num(model, ops.get(o.name)!);
  const stateS = studentState(stu, ms.state, model, sStu);
  const pc = ms.state.regs[ref.fetch.pc] ?? 0n;
  let a: Outcome;
  let b: Outcome;
  try {
    a = runSemantics(ref, ms.state, ri, opVals, pc);
    b = runSemantics(stu, stateS, si, opVals, stateS.regs[stu.fetch.pc] ?? pc);
  } catch (e) {
    return {
      mnemonic: m,
      status: 'unknown',
      message: `${m}: the counterexample could not be replayed (${(e as Error).message}); not credited (ask your instructor to review).`,
    };
  }
  const d = outcomeDiffs(ref, a, b);
  if (d.length === 0) {
    return {
      mnemonic: m,
      status: 'unknown',
      message: `${m}: the solver's counterexample did not replay as a difference; not credited (ask your instructor to review).`,
    };
  }
  const opText = ri.operands.map((o) => `${o.name} = ${toHex(opVals[o.name]!)}`).join(', ');
  const read = touched(ref, ri);
  const shown = Object.entries(ms.values).filter(([k]) => read.has(k.split(/[.[]/)[0]!) || k === ref.fetch.pc);
  const stateText =
    shown
      .slice(0, 12)
      .map(([k, v]) => `${k} = ${v}`)
      .join(', ') + (shown.length > 12 ? ', …' : '');
  return {
    mnemonic: m,
    status: 'differs',
    message: `${m} differs from the reference${where}: ${opText ? `with ${opText} ` : ''}in the state ${stateText || '(all zero)'}: ${d.slice(0, 4).join('; ')}${d.length > 4 ? '; …' : ''}.`,
  };
}
