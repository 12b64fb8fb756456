// The reference interpreter: a direct, slow, obviously-correct reading of the IR with bigint
// values. It is the semantic reference the compiled machine is tested against and the replayer of
// every analysis witness. It never mutates its input state.
//
// Choices the IR header leaves open, fixed here (the compiled machine must agree):
// - A multi-word access through a view translates each word's address separately: word i of
//   V[a, n] is memory[translate((a + i) mod 2^paramWidth)]; any translation trap traps the access.
// - The pc rule (pc := next_pc if unwritten) also applies when the semantics halt.
// - An address expression is taken modulo the region's size (memories) or 2^paramWidth (views).

import {
  derived,
  derivedKey,
  excluded,
  extractOperands,
  isaIndex,
  type Expr,
  type Instruction,
  type Isa,
  type IsaIndex,
  type LValue,
  type Stmt,
  type Translation,
} from '../ir/index.js';
import type { ConcreteState, Outcome } from './state.js';

/** Thrown inside the interpreter to abort an instruction; never escapes the public functions. */
class TrapSignal {
  constructor(readonly trap: string) {}
}
class HaltSignal {}

export function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

/** Interpret `v` (already masked to `width`) as a signed two's complement value. */
export function toSigned(v: bigint, width: number): bigint {
  const sign = 1n << BigInt(width - 1);
  return v & sign ? v - (1n << BigInt(width)) : v;
}

export function toHex(v: bigint): string {
  return '0x' + v.toString(16);
}

/** The declarations by name (the one index over an Isa, `isaIndex`) and what fetching needs. */
interface Index {
  regs: IsaIndex['registers'];
  files: IsaIndex['files'];
  mems: IsaIndex['memories'];
  views: IsaIndex['views'];
  translations: IsaIndex['translations'];
  functions: IsaIndex['functions'];
  traps: IsaIndex['traps'];
  pcWidth: number;
  fetchWordWidth: number;
}

const EXEC_INDEX = derivedKey<Index>('interpreter index');

export function indexIsa(isa: Isa): Index {
  return derived(isa, EXEC_INDEX, () => {
    const ix = isaIndex(isa);
    const fetchMem = ix.memories.get(isa.fetch.space) ?? ix.memories.get(ix.views.get(isa.fetch.space)?.memory);
    return {
      regs: ix.registers,
      files: ix.files,
      mems: ix.memories,
      views: ix.views,
      translations: ix.translations,
      functions: ix.functions,
      traps: ix.traps,
      pcWidth: ix.registers.get(isa.fetch.pc)?.width ?? 64,
      fetchWordWidth: fetchMem?.wordWidth ?? 8,
    };
  });
}

/** Address of the instruction after `instr` at `pc`, wrapped to the pc's width. */
export function nextPc(isa: Isa, instr: Instruction, pc: bigint): bigint {
  const ix = indexIsa(isa);
  const words = Math.max(1, Math.ceil(instr.encoding.width / ix.fetchWordWidth));
  return (pc + BigInt(words)) & mask(ix.pcWidth);
}

/** The pc a trap entry returns to: the trapping instruction, or the next one for software/interrupt traps. */
export function trapReturnPc(isa: Isa, trapName: string, pc: bigint, next: bigint): bigint {
  const t = indexIsa(isa).traps.get(trapName);
  return t && (t.kind === 'software' || t.kind === 'interrupt') ? next : pc;
}

// ---- state copies ----

/** A working copy: registers copied now, files and memories copied on first write. */
class Work {
  regs: Record<string, bigint>;
  files: Record<string, bigint[]>;
  mem: Record<string, Map<number, bigint>>;
  private copiedFiles = new Set<string>();
  private copiedMems = new Set<string>();
  pcWritten = false;
  /** The bytes stored at the console, in order. */
  readonly output: number[] = [];

  constructor(readonly base: ConcreteState) {
    this.regs = { ...base.regs };
    this.files = { ...base.files };
    this.mem = { ...base.mem };
  }

  fileForWrite(name: string, count: number): bigint[] {
    if (!this.copiedFiles.has(name)) {
      const old = this.files[name] ?? [];
      const arr = new Array<bigint>(count);
      for (let i = 0; i < count; i++) arr[i] = old[i] ?? 0n;
      this.files[name] = arr;
      this.copiedFiles.add(name);
    }
    return this.files[name]!;
  }

  memForWrite(name: string): Map<number, bigint> {
    if (!this.copiedMems.has(name)) {
      this.mem[name] = new Map(this.mem[name] ?? []);
      this.copiedMems.add(name);
    }
    return this.mem[name]!;
  }

  snapshot(): ConcreteState {
    return { regs: this.regs, files: this.files, mem: this.mem };
  }
}

/** Values the expression evaluator can see besides state. */
interface Env {
  locals: Map<string, bigint>;
  operands: Record<string, bigint>;
  params?: Map<string, bigint>;
  nextPc?: bigint;
  trapVector?: bigint;
  returnPc?: bigint;
}

/** Evaluate an expression against a state. Throws TrapSignal internally when a view's translation
 *  traps; callers outside this module should use `evalExprOutcome` or the statement runners. */
export function evalExpr(isa: Isa, state: ConcreteState, e: Expr, env: Partial<Env> = {}): bigint {
  const full: Env = { ...env, locals: env.locals ?? new Map(), operands: env.operands ?? {} };
  return ev(isa, indexIsa(isa), stateReader(state), e, full);
}

/** Like evalExpr but a translation trap becomes `{trap}` instead of an exception. */
export function evalExprOutcome(isa: Isa, state: ConcreteState, e: Expr, env: Partial<Env> = {}): { value: bigint } | { trap: string } {
  try {
    return { value: evalExpr(isa, state, e, env) };
  } catch (x) {
    if (x instanceof TrapSignal) return { trap: x.trap };
    throw x;
  }
}

type Reader = ConcreteState;
function stateReader(s: ConcreteState): Reader {
  return s;
}

function readReg(s: Reader, name: string): bigint {
  return s.regs[name] ?? 0n;
}

function readWord(s: Reader, mem: string, addr: number): bigint {
  return s.mem[mem]?.get(addr) ?? 0n;
}

/** Physical word addresses of an n-word access at `addr` in `space` (memory or view). */
function physicalAddrs(isa: Isa, ix: Index, s: Reader, space: string, addr: bigint, words: number): { mem: string; wordWidth: number; addrs: number[] } {
  const m = ix.mems.get(space);
  if (m) {
    const size = BigInt(m.size);
    const addrs: number[] = [];
    for (let i = 0; i < words; i++) addrs.push(Number((addr + BigInt(i)) % size));
    return { mem: m.name, wordWidth: m.wordWidth, addrs };
  }
  const v = ix.views.get(space);
  if (!v) throw new Error(`interpreter: unknown space ${space}`);
  const pm = ix.mems.get(v.memory)!;
  const t = ix.translations.get(v.translation)!;
  const size = BigInt(pm.size);
  const addrs: number[] = [];
  for (let i = 0; i < words; i++) {
    const va = (addr + BigInt(i)) & mask(t.param.width);
    addrs.push(Number(translate(isa, ix, s, t, va) % size));
  }
  return { mem: pm.name, wordWidth: pm.wordWidth, addrs };
}

function translate(isa: Isa, ix: Index, s: Reader, t: Translation, va: bigint): bigint {
  const env: Env = { locals: new Map(), operands: {}, params: new Map([[t.param.name, va]]) };
  runPure(isa, ix, s, t.body, env);
  return ev(isa, ix, s, t.result, env) & mask(t.resultWidth);
}

/** The physical word address view `view` names at virtual address `va` in `state`, or the trap
 *  its translation raises. */
export function translateAddress(isa: Isa, state: ConcreteState, view: string, va: bigint): { addr: number } | { trap: string } {
  const ix = indexIsa(isa);
  try {
    return { addr: physicalAddrs(isa, ix, state, view, va, 1).addrs[0]! };
  } catch (x) {
    if (x instanceof TrapSignal) return { trap: x.trap };
    throw x;
  }
}

/** Run let/if/trap statements that never write state (translation and function bodies). */
function runPure(isa: Isa, ix: Index, s: Reader, body: Stmt[], env: Env): void {
  for (const st of body) {
    switch (st.k) {
      case 'let':
        env.locals.set(st.name, ev(isa, ix, s, st.value, env));
        break;
      case 'if':
        runPure(isa, ix, s, ev(isa, ix, s, st.cond, env) ? st.then : st.else, env);
        break;
      case 'trap':
        throw new TrapSignal(st.trap);
      case 'halt':
      case 'assign':
        throw new Error('interpreter: a translation or function may not write state or halt');
    }
  }
}

/** Combine words (index 0 = lowest address) into one value in the spec's byte order. */
export function combineWords(endian: 'little' | 'big', words: bigint[], wordWidth: number): bigint {
  let v = 0n;
  const w = BigInt(wordWidth);
  if (endian === 'little') for (let i = words.length - 1; i >= 0; i--) v = (v << w) | words[i]!;
  else for (let i = 0; i < words.length; i++) v = (v << w) | words[i]!;
  return v;
}

/** Split a value into n words (index 0 = lowest address) in the spec's byte order. */
export function splitWords(endian: 'little' | 'big', value: bigint, words: number, wordWidth: number): bigint[] {
  const out: bigint[] = [];
  const w = BigInt(wordWidth);
  const m = mask(wordWidth);
  for (let i = 0; i < words; i++) {
    const shift = endian === 'little' ? BigInt(i) * w : BigInt(words - 1 - i) * w;
    out.push((value >> shift) & m);
  }
  return out;
}

function ev(isa: Isa, ix: Index, s: Reader, e: Expr, env: Env): bigint {
  const m = mask(e.width);
  switch (e.k) {
    case 'const':
      return BigInt(e.value) & m;
    case 'reg':
      return readReg(s, e.reg) & m;
    case 'field':
      return (readReg(s, e.reg) >> BigInt(e.lo)) & m;
    case 'file': {
      const f = ix.files.get(e.file)!;
      const i = Number(ev(isa, ix, s, e.index, env) % BigInt(f.count));
      return (s.files[e.file]?.[i] ?? 0n) & m;
    }
    case 'mem': {
      const a = ev(isa, ix, s, e.addr, env);
      const p = physicalAddrs(isa, ix, s, e.space, a, e.words);
      const words = p.addrs.map((x) => readWord(s, p.mem, x));
      return combineWords(isa.endian, words, p.wordWidth) & m;
    }
    case 'operand': {
      const v = env.operands[e.name];
      if (v === undefined) throw new Error(`interpreter: operand ${e.name} has no value`);
      return v & m;
    }
    case 'local': {
      const v = env.locals.get(e.name);
      if (v === undefined) throw new Error(`interpreter: ${e.name} is not bound`);
      return v & m;
    }
    case 'param': {
      const v = env.params?.get(e.name);
      if (v === undefined) throw new Error(`interpreter: parameter ${e.name} is not bound`);
      return v & m;
    }
    case 'builtin': {
      const v = e.name === 'next_pc' ? env.nextPc : e.name === 'trap_vector' ? env.trapVector : env.returnPc;
      if (v === undefined) throw new Error(`interpreter: ${e.name} is not available here`);
      return v & m;
    }
    case 'unop': {
      const a = ev(isa, ix, s, e.a, env);
      return e.op === 'not' ? ~a & m : -a & m;
    }
    case 'binop':
      return binop(e.op, ev(isa, ix, s, e.a, env), ev(isa, ix, s, e.b, env), e.a.width, e.width);
    case 'concat': {
      let v = 0n;
      for (const p of e.parts) v = (v << BigInt(p.width)) | ev(isa, ix, s, p, env);
      return v & m;
    }
    case 'slice':
      return (ev(isa, ix, s, e.a, env) >> BigInt(e.lo)) & m;
    case 'zext':
      return ev(isa, ix, s, e.a, env) & m;
    case 'sext':
      return toSigned(ev(isa, ix, s, e.a, env), e.a.width) & m;
    case 'ite':
      return ev(isa, ix, s, e.cond, env) ? ev(isa, ix, s, e.then, env) : ev(isa, ix, s, e.else, env);
    case 'call': {
      const f = ix.functions.get(e.fn);
      if (!f) throw new Error(`interpreter: unknown function ${e.fn}`);
      const params = new Map<string, bigint>();
      f.params.forEach((p, i) => params.set(p.name, ev(isa, ix, s, e.args[i]!, env) & mask(p.width)));
      const fenv: Env = { locals: new Map(), operands: {}, params };
      runPure(isa, ix, s, f.body, fenv);
      return ev(isa, ix, s, f.result, fenv) & mask(f.resultWidth) & m;
    }
  }
}

/** One binary operator on values of width `w` (operand a's width), result masked to `rw`. */
export function binop(op: string, a: bigint, b: bigint, w: number, rw: number): bigint {
  const m = mask(w);
  const bool = (x: boolean) => (x ? 1n : 0n);
  switch (op) {
    case 'add':
      return (a + b) & m;
    case 'sub':
      return (a - b) & m;
    case 'mul':
      return (a * b) & m;
    case 'udiv':
      return b === 0n ? m : a / b;
    case 'urem':
      return b === 0n ? a : a % b;
    case 'sdiv': {
      // SMT-LIB bvsdiv: divide magnitudes unsigned, negate when signs differ.
      const sa = toSigned(a, w),
        sb = toSigned(b, w);
      const ua = (sa < 0n ? -sa : sa) & m,
        ub = (sb < 0n ? -sb : sb) & m;
      const q = ub === 0n ? m : ua / ub;
      return (sa < 0n !== sb < 0n ? -q : q) & m;
    }
    case 'srem': {
      // SMT-LIB bvsrem: the sign follows the dividend.
      const sa = toSigned(a, w),
        sb = toSigned(b, w);
      const ua = (sa < 0n ? -sa : sa) & m,
        ub = (sb < 0n ? -sb : sb) & m;
      const r = ub === 0n ? ua : ua % ub;
      return (sa < 0n ? -r : r) & m;
    }
    case 'and':
      return a & b;
    case 'or':
      return a | b;
    case 'xor':
      return a ^ b;
    case 'shl':
      return b >= BigInt(rw) ? 0n : (a << b) & mask(rw);
    case 'lshr':
      return b >= BigInt(rw) ? 0n : a >> b;
    case 'ashr': {
      const sa = toSigned(a, rw);
      return (sa >> (b >= BigInt(rw) ? BigInt(rw) : b)) & mask(rw);
    }
    case 'eq':
      return bool(a === b);
    case 'ne':
      return bool(a !== b);
    case 'ult':
      return bool(a < b);
    case 'ule':
      return bool(a <= b);
    case 'ugt':
      return bool(a > b);
    case 'uge':
      return bool(a >= b);
    case 'slt':
      return bool(toSigned(a, w) < toSigned(b, w));
    case 'sle':
      return bool(toSigned(a, w) <= toSigned(b, w));
    case 'sgt':
      return bool(toSigned(a, w) > toSigned(b, w));
    case 'sge':
      return bool(toSigned(a, w) >= toSigned(b, w));
  }
  throw new Error(`interpreter: unknown operator ${op}`);
}

// ---- statements ----

function assign(isa: Isa, ix: Index, w: Work, t: LValue, value: bigint, env: Env): void {
  const s = w.snapshot();
  switch (t.k) {
    case 'reg': {
      const r = ix.regs.get(t.reg)!;
      w.regs[t.reg] = value & mask(r.width);
      if (t.reg === isa.fetch.pc) w.pcWritten = true;
      return;
    }
    case 'field': {
      const r = ix.regs.get(t.reg)!;
      const fm = mask(t.hi - t.lo + 1) << BigInt(t.lo);
      const old = readReg(s, t.reg);
      w.regs[t.reg] = ((old & ~fm) | ((value << BigInt(t.lo)) & fm)) & mask(r.width);
      if (t.reg === isa.fetch.pc) w.pcWritten = true;
      return;
    }
    case 'file': {
      const f = ix.files.get(t.file)!;
      const i = Number(ev(isa, ix, s, t.index, env) % BigInt(f.count));
      w.fileForWrite(t.file, f.count)[i] = value & mask(f.width);
      return;
    }
    case 'mem': {
      const a = ev(isa, ix, s, t.addr, env);
      // Translate every word before writing any (a translation trap aborts the whole access).
      const p = physicalAddrs(isa, ix, s, t.space, a, t.words);
      const parts = splitWords(isa.endian, value, t.words, p.wordWidth);
      const mem = w.memForWrite(p.mem);
      // The console is a word of a memory, or an address of a view before its translation.
      const con = isa.console?.space === t.space ? BigInt(isa.console.address) : undefined;
      const conAddrs =
        con === undefined
          ? []
          : ix.mems.has(t.space)
            ? p.addrs.map(BigInt)
            : p.addrs.map((_, i) => (a + BigInt(i)) & mask(ix.translations.get(ix.views.get(t.space)!.translation)!.param.width));
      p.addrs.forEach((addr, i) => {
        const v = parts[i]!;
        if (v === 0n)
          mem.delete(addr); // absent words are zero: keep the map canonical
        else mem.set(addr, v);
        if (conAddrs[i] === con) w.output.push(Number(v));
      });
      return;
    }
  }
}

function run(isa: Isa, ix: Index, w: Work, body: Stmt[], env: Env): void {
  for (const st of body) {
    switch (st.k) {
      case 'let':
        env.locals.set(st.name, ev(isa, ix, w.snapshot(), st.value, env));
        break;
      case 'assign': {
        const v = ev(isa, ix, w.snapshot(), st.value, env);
        assign(isa, ix, w, st.target, v, env);
        break;
      }
      case 'if':
        run(isa, ix, w, ev(isa, ix, w.snapshot(), st.cond, env) ? st.then : st.else, env);
        break;
      case 'trap':
        throw new TrapSignal(st.trap);
      case 'halt':
        throw new HaltSignal();
    }
  }
}

/** Run statements over a state; a trap discards every write. */
function runBlock(isa: Isa, state: ConcreteState, body: Stmt[], env: Env, before?: (w: Work) => void, after?: (w: Work) => void): Outcome {
  const ix = indexIsa(isa);
  const w = new Work(state);
  before?.(w);
  const output = () => (w.output.length ? { output: w.output } : {});
  try {
    run(isa, ix, w, body, env);
  } catch (x) {
    if (x instanceof TrapSignal) return { kind: 'trap', trap: x.trap, state };
    if (x instanceof HaltSignal) {
      after?.(w);
      return { kind: 'halt', state: w.snapshot(), ...output() };
    }
    throw x;
  }
  after?.(w);
  return { kind: 'done', state: w.snapshot(), ...output() };
}

/** Run one instruction's semantics at `pc` (the trap entry is not run). Never mutates `state`. */
export function runSemantics(isa: Isa, state: ConcreteState, instr: Instruction, operands: Record<string, bigint>, pc: bigint): Outcome {
  const ix = indexIsa(isa);
  const pcw = ix.pcWidth;
  const np = nextPc(isa, instr, pc);
  const ops: Record<string, bigint> = {};
  for (const o of instr.operands) ops[o.name] = (operands[o.name] ?? 0n) & mask(o.width);
  return runBlock(
    isa,
    state,
    instr.semantics,
    { locals: new Map(), operands: ops, nextPc: np },
    (w) => {
      w.regs[isa.fetch.pc] = pc & mask(pcw);
    },
    (w) => {
      if (!w.pcWritten) w.regs[isa.fetch.pc] = np;
    },
  );
}

/** Take trap `trapName`: run the trap entry with trap_vector and return_pc. Without an entry block
 *  taking a trap stops the machine ('halt'). If the entry itself traps the outcome is that trap. */
export function takeTrap(isa: Isa, state: ConcreteState, trapName: string, returnPc: bigint): Outcome {
  const t = indexIsa(isa).traps.get(trapName);
  if (!t) throw new Error(`interpreter: unknown trap ${trapName}`);
  if (isa.trapEntry.length === 0) return { kind: 'halt', state };
  return runBlock(isa, state, isa.trapEntry, {
    locals: new Map(),
    operands: {},
    trapVector: BigInt(t.vector) & 0xffn,
    returnPc: returnPc & mask(indexIsa(isa).pcWidth),
  });
}

/** The machine after reset: every element zero or its declared init, then the reset block. A reset
 *  block that traps leaves the zeroed state (precise traps). */
export function resetState(isa: Isa): ConcreteState {
  const s = zeroState(isa);
  if (isa.reset.length === 0) return s;
  return runBlock(isa, s, isa.reset, { locals: new Map(), operands: {} }).state;
}

/** Every element zero or its declared init; the reset block is not run. */
export function zeroState(isa: Isa): ConcreteState {
  const regs: Record<string, bigint> = {};
  for (const r of isa.registers) regs[r.name] = BigInt(r.init) & mask(r.width);
  const files: Record<string, bigint[]> = {};
  for (const f of isa.files) files[f.name] = new Array<bigint>(f.count).fill(0n);
  const mem: Record<string, Map<number, bigint>> = {};
  for (const m of isa.memories) mem[m.name] = new Map();
  return { regs, files, mem };
}

/** The name of the first mode whose predicate holds in `state`, if any. */
export function modeOf(isa: Isa, state: ConcreteState): string | undefined {
  for (const m of isa.modes) {
    const r = evalExprOutcome(isa, state, m.when);
    if ('value' in r && r.value === 1n) return m.name;
  }
  return undefined;
}

// ---- fetch, decode, step ----

export interface Decoded {
  instr: Instruction;
  operands: Record<string, bigint>;
  /** The instruction's bits. */
  bits: bigint;
}

/** Operand values from an instruction word (the fetch-order bits; an operand's fields may sit
 *  anywhere, src/ir/encoding.ts). */
export function decodeOperands(instr: Instruction, bits: bigint): Record<string, bigint> {
  const ops: Record<string, bigint> = {};
  for (const [k, v] of extractOperands(instr.encoding, bits, new Map(instr.operands.map((o) => [o.name, o.width])))) ops[k] = v;
  return ops;
}

/** Fetch and decode at `pc`: the shortest encoding that matches wins. A fetch through a view may
 *  trap; no match is `{illegal: true}`. */
export function fetchDecode(isa: Isa, state: ConcreteState, pc: bigint): { decoded: Decoded } | { trap: string } | { illegal: true } {
  const ix = indexIsa(isa);
  const ww = ix.fetchWordWidth;
  const byWords = new Map<number, Instruction[]>();
  for (const i of isa.instructions) {
    const n = Math.max(1, Math.ceil(i.encoding.width / ww));
    if (!byWords.has(n)) byWords.set(n, []);
    byWords.get(n)!.push(i);
  }
  for (const n of [...byWords.keys()].sort((a, b) => a - b)) {
    let bits: bigint;
    try {
      const p = physicalAddrs(isa, ix, state, isa.fetch.space, pc, n);
      // Instruction words combine first-fetched-most-significant whatever the data endian: an
      // encoding is written in fetch order (opcode byte first), see src/ir/types.ts.
      bits = combineWords(
        'big',
        p.addrs.map((a) => readWord(state, p.mem, a)),
        p.wordWidth,
      );
    } catch (x) {
      if (x instanceof TrapSignal) return { trap: x.trap };
      throw x;
    }
    for (const i of byWords.get(n)!) {
      const b = bits >> BigInt(n * ww - i.encoding.width);
      if ((b & BigInt(i.encoding.mask)) === BigInt(i.encoding.match) && !excluded(i.encoding, b)) {
        return { decoded: { instr: i, operands: decodeOperands(i, b), bits: b } };
      }
    }
  }
  return { illegal: true };
}

export type StepResult =
  /** The instruction completed. */
  | { kind: 'done'; state: ConcreteState; instr: Instruction; operands: Record<string, bigint>; output?: number[] }
  /** The instruction (or the machine, taking a trap without an entry block) halted. */
  | { kind: 'halt'; state: ConcreteState; instr?: Instruction; operands?: Record<string, bigint>; trap?: string; output?: number[] }
  /** A trap was raised (by the fetch, as illegal, or by the semantics) and its entry ran. */
  | { kind: 'trapped'; trap: string; state: ConcreteState; instr?: Instruction; operands?: Record<string, bigint> }
  /** A trap could not be delivered: no illegal trap declared, or the entry itself trapped. */
  | { kind: 'stuck'; state: ConcreteState; message: string };

/** Fetch, decode and run the instruction at the pc, taking any trap through the trap entry. */
export function stepInstruction(isa: Isa, state: ConcreteState): StepResult {
  const pc = state.regs[isa.fetch.pc] ?? 0n;
  const fd = fetchDecode(isa, state, pc);
  if ('trap' in fd) return deliver(isa, state, fd.trap, pc);
  if ('illegal' in fd) {
    const ill = isa.traps.find((t) => t.kind === 'illegal');
    if (!ill) return { kind: 'stuck', state, message: `no instruction matches the word at pc ${toHex(pc)}` };
    return deliver(isa, state, ill.name, pc);
  }
  const { instr, operands } = fd.decoded;
  const out = runSemantics(isa, state, instr, operands, pc);
  const output = out.kind !== 'trap' && out.output ? { output: out.output } : {};
  if (out.kind === 'done') return { kind: 'done', state: out.state, instr, operands, ...output };
  if (out.kind === 'halt') return { kind: 'halt', state: out.state, instr, operands, ...output };
  const ret = trapReturnPc(isa, out.trap, pc, nextPc(isa, instr, pc));
  const r = deliver(isa, state, out.trap, ret);
  return r.kind === 'trapped' || r.kind === 'halt' ? { ...r, instr, operands } : r;
}

function deliver(isa: Isa, state: ConcreteState, trap: string, returnPc: bigint): StepResult {
  const t = takeTrap(isa, state, trap, returnPc);
  if (t.kind === 'halt') return { kind: 'halt', state: t.state, trap };
  if (t.kind === 'trap') return { kind: 'stuck', state, message: `trap ${t.trap} while entering trap ${trap}` };
  return { kind: 'trapped', trap, state: t.state };
}

/** Names of the elements that differ: "R", "r[3]", "E[0x40]". */
export function diffStates(a: ConcreteState, b: ConcreteState): string[] {
  const out: string[] = [];
  for (const k of new Set([...Object.keys(a.regs), ...Object.keys(b.regs)])) {
    if ((a.regs[k] ?? 0n) !== (b.regs[k] ?? 0n)) out.push(k);
  }
  for (const k of new Set([...Object.keys(a.files), ...Object.keys(b.files)])) {
    const fa = a.files[k] ?? [],
      fb = b.files[k] ?? [];
    for (let i = 0; i < Math.max(fa.length, fb.length); i++) {
      if ((fa[i] ?? 0n) !== (fb[i] ?? 0n)) out.push(`${k}[${i}]`);
    }
  }
  for (const k of new Set([...Object.keys(a.mem), ...Object.keys(b.mem)])) {
    const ma = a.mem[k] ?? new Map<number, bigint>(),
      mb = b.mem[k] ?? new Map<number, bigint>();
    const addrs = [...new Set([...ma.keys(), ...mb.keys()])].sort((x, y) => x - y);
    for (const ad of addrs) if ((ma.get(ad) ?? 0n) !== (mb.get(ad) ?? 0n)) out.push(`${k}[${toHex(BigInt(ad))}]`);
  }
  return out;
}
