// Symbolic execution of semantics into Z3 bit-vector terms. Every path is merged: each write is
// guarded by the condition under which it happens, so the final value of an element is one term
// over the initial state and the operands. Registers are bit-vectors, register files and memories
// are arrays; translations and helper functions are inlined; a translation's trap becomes a trap
// condition. The same engine serves every question in classify.ts.

import type { Bool, BitVec, Context, Model, Tactic } from 'z3-solver';
import { type Expr, type Instruction, type Isa, type LValue, type Stmt, assertNever } from '../ir/index.js';
import { isaIndex } from '../ir/index.js';

export type Z3 = Context<'main'>;
export type BV = BitVec<number, 'main'>;
export type B = Bool<'main'>;

/** One read of an array's initial contents: the address term and the fresh variable it names. */
export interface ArrayRead {
  base: ArrayBase;
  addr: BV;
  val: BV;
  /** Word `off` of a multi-word access at `root` (distinct words of one access need no constraint). */
  root?: BV;
  off?: number;
}

/** The reads made while a recorder is active (symbolic runs, query building). */
let recorder: Set<ArrayRead> | undefined;

/** Run `f`, collecting every array read it makes (an enclosing recorder sees them too). A query
 *  needs the read consistency of the reads its terms contain and no others: the constraints of
 *  reads from other runs only bloat it. */
export function recordReads<T>(f: () => T): { value: T; reads: Set<ArrayRead> } {
  const outer = recorder;
  const mine = new Set<ArrayRead>();
  recorder = mine;
  try {
    return { value: f(), reads: mine };
  } finally {
    recorder = outer;
    if (outer) for (const r of mine) outer.add(r);
  }
}

/** Read consistency of a set of reads: a_i = a_j → v_i = v_j for two reads of one array. */
export function readConsistency(z3: Z3, reads: Iterable<ArrayRead>): B[] {
  const byBase = new Map<ArrayBase, ArrayRead[]>();
  for (const r of reads) {
    let l = byBase.get(r.base);
    if (!l) byBase.set(r.base, (l = []));
    l.push(r);
  }
  const out: B[] = [];
  for (const l of byBase.values()) {
    for (let j = 1; j < l.length; j++) {
      for (let i = 0; i < j; i++) {
        const c = pairConstraint(z3, l[i]!, l[j]!);
        if (c) out.push(c);
      }
    }
  }
  return out;
}

/** The constraint of two reads, built once (every question about an instruction asks again). */
const pairs = new WeakMap<ArrayRead, Map<ArrayRead, B | null>>();

function pairConstraint(z3: Z3, a: ArrayRead, b: ArrayRead): B | null {
  let m = pairs.get(a);
  if (!m) pairs.set(a, (m = new Map()));
  let c = m.get(b);
  if (c !== undefined) return c;
  if (z3.isBitVecVal(a.addr) && z3.isBitVecVal(b.addr))
    c = null; // distinct constants (reads are deduplicated)
  // Words i and j of one multi-word access are distinct addresses (sizes are powers of two > n).
  else if (a.root && b.root && a.off !== b.off && a.root.ast === b.root.ast) c = null;
  else c = z3.Implies(a.addr.eq(b.addr), a.val.eq(b.val));
  m.set(b, c);
  return c;
}

/** The reads a model's query constrained: a witness reads array contents from these alone (another
 *  read's variables are unconstrained in that model and may name the same address wrongly). */
export const modelReads = new WeakMap<Model<'main'>, Set<ArrayRead>>();

/** The values of many terms in a model, with one evaluation: each evaluation is a round trip into
 *  the solver and a few wrapper objects, and a witness needs hundreds. */
export function evalMany(model: Model<'main'>, terms: BV[]): bigint[] {
  if (terms.length === 0) return [];
  const z3 = model.ctx;
  const all = terms.length === 1 ? terms[0]! : (z3.Concat(...terms) as BV);
  let v = (model.eval(all, true) as unknown as { value(): bigint }).value();
  const out: bigint[] = new Array(terms.length);
  for (let i = terms.length - 1; i >= 0; i--) {
    const w = width(terms[i]!);
    out[i] = v & ((1n << BigInt(w)) - 1n);
    v >>= BigInt(w);
  }
  return out;
}

/** The initial contents of a memory or register file: one fresh variable per distinct address
 *  term read, with read-over-read consistency (a_i = a_j → v_i = v_j) added to every query that
 *  contains both reads. This keeps every query in pure bit-vector logic, which Z3 bit-blasts
 *  quickly (its array theory was 10–100× slower on these queries). */
export class ArrayBase {
  readonly reads: ArrayRead[] = [];
  private byId = new Map<number, ArrayRead>();
  constructor(
    readonly z3: Z3,
    readonly name: string,
    readonly idxW: number,
    readonly valW: number,
  ) {}

  read(addr: BV, root?: BV, off?: number): BV {
    // Z3 hash-conses terms: equal ids are the same term.
    const id = addr.id();
    let r = this.byId.get(id);
    if (!r) {
      const val = this.z3.BitVec.const(`${this.name}!${this.reads.length}`, this.valW);
      r = { base: this, addr, val, root, off };
      this.reads.push(r);
      this.byId.set(id, r);
    }
    recorder?.add(r);
    return r.val;
  }

  /** Consistency of every pair of reads of this array (all of them, whichever query made them). */
  constraints(): B[] {
    return readConsistency(this.z3, this.reads);
  }

  /** The initial word at concrete address p in a model (undefined: never read, so free). */
  valueAt(model: Model<'main'>, p: bigint): bigint | undefined {
    let byAddr = this.evaluated.get(model);
    if (!byAddr) {
      // Evaluate every read once per model: witnesses look up many addresses.
      byAddr = new Map();
      const used = modelReads.get(model);
      const reads = this.reads.filter((r) => !used || used.has(r));
      const vs = evalMany(
        model,
        reads.flatMap((r) => [r.addr, r.val]),
      );
      reads.forEach((_, i) => {
        if (!byAddr!.has(vs[2 * i]!)) byAddr!.set(vs[2 * i]!, vs[2 * i + 1]!);
      });
      this.evaluated.set(model, byAddr);
    }
    return byAddr.get(p);
  }
  private evaluated = new WeakMap<Model<'main'>, Map<bigint, bigint>>();
}

/** A memory or register file: its initial contents and the (guarded) writes made to it since. */
export class SymArray {
  constructor(
    readonly base: ArrayBase,
    readonly writes: readonly { addr: BV; val: BV; guard: B }[] = [],
  ) {}

  static fresh(z3: Z3, name: string, idxW: number, valW: number, registry?: ArrayBase[]): SymArray {
    const b = new ArrayBase(z3, name, idxW, valW);
    registry?.push(b);
    return new SymArray(b);
  }

  select(a: BV, L: Logic, root?: BV, off?: number): BV {
    let out: BV | undefined;
    const layers: { c: B; v: BV }[] = [];
    for (let i = this.writes.length - 1; i >= 0; i--) {
      const w = this.writes[i]!;
      const same = w.addr.eqIdentity(a);
      if (same && L.isT(w.guard)) {
        out = w.val;
        break;
      }
      const c = same ? w.guard : L.and(w.addr.eq(a), w.guard);
      if (!L.isF(c)) layers.push({ c, v: w.val });
    }
    let v = out ?? this.base.read(a, root, off);
    for (let i = layers.length - 1; i >= 0; i--) v = L.ite(layers[i]!.c, layers[i]!.v, v);
    return v;
  }

  store(a: BV, v: BV, guard: B): SymArray {
    return new SymArray(this.base, [...this.writes, { addr: a, val: v, guard }]);
  }

  /** Same base and the same writes (as terms): equal without asking anyone. */
  sameAs(o: SymArray): boolean {
    return (
      this.base === o.base &&
      this.writes.length === o.writes.length &&
      this.writes.every((w, i) => {
        const x = o.writes[i]!;
        return w === x || (w.addr.eqIdentity(x.addr) && w.val.eqIdentity(x.val) && w.guard.eqIdentity(x.guard));
      })
    );
  }
}

let z3Promise: Promise<{ terms: Z3; solving: Z3 }> | undefined;
let newSolving: (() => Z3) | undefined;
let lowLevel: { get_estimated_alloc_size(): bigint | number; del_context(c: unknown): void } | undefined;
/** Solving contexts already deleted (see solve): their wrappers are kept so that the garbage
 *  collector never finalizes them, which would delete them a second time. */
const retired: Z3[] = [];

function start(): Promise<{ terms: Z3; solving: Z3 }> {
  if (!z3Promise) {
    z3Promise = (async () => {
      const { init } = await import('z3-solver');
      const { Context, Z3: api } = await init();
      lowLevel = api as unknown as typeof lowLevel;
      newSolving = () => Context('main');
      // Two contexts: terms are built in the first, queries are solved in the second. z3-solver
      // frees a term when the JavaScript garbage collector finalizes its wrapper, on the main
      // thread, while `check` runs on a worker thread; a finalizer that frees a term of the context
      // the worker is solving in corrupts it (seen as "memory access out of bounds" or a runaway
      // heap "Cannot enlarge memory arrays"). The solving context holds no garbage-collected
      // wrappers at all: solvers and models there are released explicitly.
      return { terms: Context('main'), solving: Context('main') };
    })();
  }
  return z3Promise;
}

/** Solve the next query in a fresh context, so that what the solver answers (which model) depends
 *  only on the queries asked from here on, not on the history of the process: Z3 numbers terms in
 *  the order it meets them and breaks ties by those numbers. Called before each instruction, this
 *  makes an instruction's witnesses the same whichever worker, or however many specs before it,
 *  ran. Lazy: a run of instructions that never asks the solver costs no context. */
export function isolateSolving(): void {
  isolatePending = true;
}
let isolatePending = false;

/** The Z3 context terms are built in, initialised once per process (the WebAssembly start-up is
 *  the expensive part). Solve its queries with `solve`, not with `Solver.check` in this context. */
export async function getZ3(): Promise<Z3> {
  return (await start()).terms;
}

export type Answer = { r: 'sat'; model: Model<'main'> } | { r: 'unsat' } | { r: 'unknown' };

export interface SolveOptions {
  /** Wall-clock bound in milliseconds. */
  timeoutMs: number;
  /** Z3 resource limit (deterministic); 0 or absent: none. */
  rlimit?: number;
  /** Called with the query in SMT-LIB form (debugging). */
  dump?: (smt2: string) => void;
}

let tactic: Tactic<'main'> | undefined;

/** Decide whether the conjunction of `assertions` (terms of getZ3()'s context) is satisfiable,
 *  safely: the query is copied into the solving context and checked there; the model (sat) is
 *  copied back, and the caller releases it. A solver failure answers unknown. */
export async function solve(assertions: B[], options: SolveOptions): Promise<Answer> {
  const z = await start();
  if (isolatePending) {
    // The old context holds nothing (solvers and models there are released explicitly), and no
    // query runs in it: delete it now, not when the collector gets to its wrapper (a context is a
    // few MiB of the solver's heap, and the collector may not run for hundreds of them).
    const old = z.solving;
    z.solving = newSolving!();
    isolatePending = false;
    retired.push(old);
    lowLevel!.del_context((old as unknown as { ptr: unknown }).ptr);
  }
  const { terms, solving } = z;
  // Simplify, solve equations away (most of a query is definitions: final = ite(...)), then
  // bit-blast and run the SAT solver without its clause preprocessing (variable elimination,
  // subsumption, probing): these queries are one-shot and mostly easy, and on them this is 2-3x
  // faster than with it, and 3-10x faster than Z3's default QF_BV strategy. (Built in the terms
  // context; translating the solver carries the tactic over.)
  tactic ??= terms.AndThen(
    'simplify',
    'propagate-values',
    'solve-eqs',
    'simplify',
    'bit-blast',
    terms.With('sat', { 'sat.elim_vars': false, 'sat.subsumption': false, 'sat.probing': false, 'sat.scc': false, 'sat.propagate.prefetch': false }),
  );
  const here = tactic.solver();
  let there: ReturnType<Tactic<'main'>['solver']> | undefined;
  try {
    for (const a of assertions) here.add(a);
    if (options.dump) options.dump(here.toString());
    there = here.translate(solving);
    there.set('timeout', options.timeoutMs);
    // Bounded memory: a query that needs more answers unknown instead of aborting the process.
    there.set('max_memory', 1024);
    if (options.rlimit) there.set('rlimit', options.rlimit);
    const r = await there.check();
    if (r === 'sat') {
      const m = there.model();
      try {
        return { r: 'sat', model: m.translate(terms) };
      } finally {
        m.release();
      }
    }
    return r === 'unsat' ? { r: 'unsat' } : { r: 'unknown' };
  } catch {
    // A solver failure is not a verdict.
    return { r: 'unknown' };
  } finally {
    here.release();
    there?.release();
  }
}

/** Bytes Z3 has allocated in its WebAssembly heap (bounded at 2 GiB), or 0 before start-up. */
export function solverHeapBytes(): number {
  return lowLevel ? Number(lowLevel.get_estimated_alloc_size()) : 0;
}

/** Index bits of an array with `count` entries (count a power of two; at least one bit). */
export function indexBits(count: number): number {
  return Math.max(1, Math.round(Math.log2(count)));
}

/** A symbolic machine state. */
export interface SymState {
  regs: Map<string, BV>;
  files: Map<string, SymArray>;
  mems: Map<string, SymArray>;
  /** Two-state questions: view name -> the shared virtual array the view reads and writes. */
  virt?: Map<string, SymArray>;
}

export function copyState(s: SymState): SymState {
  return {
    regs: new Map(s.regs),
    files: new Map(s.files),
    mems: new Map(s.mems),
    virt: s.virt ? new Map(s.virt) : undefined,
  };
}

/** Fresh constants for every element, named `${prefix}.${element}`. */
export function freshState(z3: Z3, isa: Isa, prefix: string, registry?: ArrayBase[]): SymState {
  const regs = new Map<string, BV>();
  for (const r of isa.registers) regs.set(r.name, z3.BitVec.const(`${prefix}.${r.name}`, r.width));
  const files = new Map<string, SymArray>();
  for (const f of isa.files) files.set(f.name, SymArray.fresh(z3, `${prefix}.${f.name}`, indexBits(f.count), f.width, registry));
  const mems = new Map<string, SymArray>();
  for (const m of isa.memories) mems.set(m.name, SymArray.fresh(z3, `${prefix}.${m.name}`, indexBits(m.size), m.wordWidth, registry));
  return { regs, files, mems };
}

/** One memory or file access, kept so a model can be turned into a concrete state. */
export type Access =
  | { k: 'file'; file: string; index: BV }
  | { k: 'mem'; mem: string; addr: BV; write: boolean }
  /** A word read or written through a view in the virtual model: virtual address, and the
   *  physical word it names in this state. */
  | { k: 'view'; view: string; mem: string; vaddr: BV; phys: BV; write: boolean };

/** A word accessed through a view in the physical model: the virtual address, the physical word
 *  it names in the run's state and whether the translation let it through. */
export interface ViewAccess {
  view: string;
  mem: string;
  vaddr: BV;
  phys: BV;
  write: boolean;
}

export interface SymResult {
  /** Each `trap` reached, with the condition (over the initial state) under which it is raised. */
  traps: { trap: string; cond: B }[];
  halted: B;
  final: SymState;
  accesses: Access[];
  /** Physical model only: every word accessed through a view (the storage correspondence of the
   *  two-state questions is instantiated at these virtual addresses). */
  viewAccesses: ViewAccess[];
  /** The conditions under which a clock register is read (reached, no trap raised before). */
  clockReads: B[];
  /** The array reads the run made (their consistency goes into every query about the run). */
  reads: Set<ArrayRead>;
}

/** 1-bit values made from a Bool (comparisons, connectives), and that Bool. */
const asBool = new WeakMap<BV, B>();

/** Builder helpers that fold the constants true/false (keeps terms small). */
export class Logic {
  readonly T: B;
  readonly F: B;
  constructor(readonly z3: Z3) {
    this.T = z3.Bool.val(true);
    this.F = z3.Bool.val(false);
  }
  // Z3 hash-conses terms: true and false are single nodes, so pointer equality decides (and costs
  // no round trip into the solver, unlike isTrue/isFalse).
  isT(b: B): boolean {
    return b.ast === this.T.ast;
  }
  isF(b: B): boolean {
    return b.ast === this.F.ast;
  }
  and(...xs: B[]): B {
    const ys = xs.filter((x) => !this.isT(x));
    if (ys.some((x) => this.isF(x))) return this.F;
    if (ys.length === 0) return this.T;
    return ys.length === 1 ? ys[0]! : this.z3.And(...ys);
  }
  or(...xs: B[]): B {
    const ys = xs.filter((x) => !this.isF(x));
    if (ys.some((x) => this.isT(x))) return this.T;
    if (ys.length === 0) return this.F;
    return ys.length === 1 ? ys[0]! : this.z3.Or(...ys);
  }
  not(x: B): B {
    if (this.isT(x)) return this.F;
    if (this.isF(x)) return this.T;
    return this.z3.Not(x);
  }
  ite(c: B, a: BV, b: BV): BV {
    if (this.isT(c)) return a;
    if (this.isF(c)) return b;
    if (a.ast === b.ast) return a; // equal arms (hash-consed: the same node)
    return this.z3.If(c, a, b) as BV;
  }
}

const widths = new WeakMap<BV, number>();

/** The width of a bit-vector term (cached: asking Z3 costs a round trip and two wrapper objects). */
export function width(x: BV): number {
  let w = widths.get(x);
  if (w === undefined) widths.set(x, (w = x.size()));
  return w;
}

/** Resize a bit-vector to `w` bits (truncate or zero-extend). */
export function resize(x: BV, w: number): BV {
  const n = width(x);
  if (n === w) return x;
  return n > w ? x.extract(w - 1, 0) : x.zeroExt(w - n);
}

/** Runs statements over a symbolic state. */
export class SymExec {
  readonly L: Logic;
  st: SymState;
  /** Reached and no trap raised so far: the exact condition a new trap is raised under. */
  guard: B;
  /** Reached by the branch conditions alone (no halt before). Writes are guarded by this only:
   *  every question about final values also asks that no trap was raised, and leaving the trap
   *  conditions (page walks, bounds checks) out of every write keeps the final terms small. */
  path: B;
  traps: { trap: string; cond: B }[] = [];
  halted: B;
  pcWritten: B;
  accesses: Access[] = [];
  viewAccesses: ViewAccess[] = [];
  clockReads: B[] = [];
  locals = new Map<string, BV>();
  params = new Map<string, BV>();
  private one: BV;
  private zero: BV;

  constructor(
    readonly z3: Z3,
    readonly isa: Isa,
    init: SymState,
    readonly operands: Map<string, BV> = new Map(),
    readonly builtins: { nextPc?: BV; trapVector?: BV; returnPc?: BV } = {},
  ) {
    this.L = new Logic(z3);
    this.st = copyState(init);
    this.guard = this.L.T;
    this.path = this.L.T;
    this.halted = this.L.F;
    this.pcWritten = this.L.F;
    this.one = z3.BitVec.val(1, 1);
    this.zero = z3.BitVec.val(0, 1);
  }

  private bool(x: B): BV {
    if (this.L.isT(x)) return this.one;
    if (this.L.isF(x)) return this.zero;
    const v = this.L.ite(x, this.one, this.zero);
    asBool.set(v, x);
    return v;
  }

  /** A 1-bit value as a Bool: the comparison it came from when there is one, so conditions
   *  reach the solver as `a < b`, not `ite(a < b, 1, 0) = 1`. */
  private truth(v: BV): B {
    const b = asBool.get(v);
    if (b) return b;
    if (v.ast === this.one.ast) return this.L.T;
    if (v.ast === this.zero.ast) return this.L.F;
    return v.eq(this.one);
  }

  cond(e: Expr): B {
    return this.truth(this.expr(e));
  }

  private clocks?: Set<string>;
  /** A clock read counts where it is reached with no trap raised before it (timing dependence). */
  private noteClock(reg: string): void {
    this.clocks ??= new Set(this.isa.registers.filter((r) => r.clock).map((r) => r.name));
    if (this.clocks.has(reg) && !this.L.isF(this.guard)) this.clockReads.push(this.guard);
  }

  private raise(trap: string, when: B): void {
    const c = this.L.and(this.guard, when);
    if (!this.L.isF(c)) this.traps.push({ trap, cond: c });
    this.guard = this.L.and(this.guard, this.L.not(when));
  }

  /** Word addresses of an n-word access, translated when `space` is a view. */
  private words(space: string, addr: BV, n: number, write: boolean): { mem: string; phys: BV[]; root?: BV; virt?: { view: string; vaddr: BV[] } } {
    const isa = this.isa;
    const m = isaIndex(isa).memories.get(space);
    if (m) {
      const bits = indexBits(m.size);
      const base = resize(addr, Math.max(bits, width(addr)));
      const phys: BV[] = [];
      for (let i = 0; i < n; i++) {
        const a = resize(i === 0 ? base : base.add(this.z3.BitVec.val(i, width(base))), bits);
        // A memory of one word: every address names word 0.
        phys.push(m.size === 1 ? this.z3.BitVec.val(0, 1) : a);
        this.accesses.push({ k: 'mem', mem: m.name, addr: phys[i]!, write });
      }
      // Word i of the access is root + i: distinct words, which the read consistency can skip.
      return { mem: m.name, phys, root: n > 1 && n < m.size ? base : undefined };
    }
    const v = isaIndex(isa).views.get(space)!;
    const t = isaIndex(isa).translations.get(v.translation)!;
    const pm = isaIndex(isa).memories.get(v.memory)!;
    const bits = indexBits(pm.size);
    const va0 = resize(addr, t.param.width);
    const phys: BV[] = [];
    const vaddr: BV[] = [];
    for (let i = 0; i < n; i++) {
      const va = i === 0 ? va0 : va0.add(this.z3.BitVec.val(i, t.param.width));
      vaddr.push(va);
      const pa = this.translate(t, va);
      phys.push(pm.size === 1 ? this.z3.BitVec.val(0, 1) : resize(pa, bits));
    }
    if (this.st.virt) {
      vaddr.forEach((va, i) => this.accesses.push({ k: 'view', view: v.name, mem: pm.name, vaddr: va, phys: phys[i]!, write }));
      return { mem: pm.name, phys, root: n > 1 ? va0 : undefined, virt: { view: v.name, vaddr } };
    }
    for (const p of phys) this.accesses.push({ k: 'mem', mem: pm.name, addr: p, write });
    vaddr.forEach((va, i) => this.viewAccesses.push({ view: v.name, mem: pm.name, vaddr: va, phys: phys[i]!, write }));
    return { mem: pm.name, phys };
  }

  /** Translate one virtual address of a view in the current state, outside any instruction: the
   *  physical word index and whether the translation lets it through (raises no trap). */
  translateView(view: string, va: BV): { phys: BV; valid: B } {
    const isa = this.isa;
    const v = isaIndex(isa).views.get(view)!;
    const t = isaIndex(isa).translations.get(v.translation)!;
    const pm = isaIndex(isa).memories.get(v.memory)!;
    const n = this.traps.length;
    const g = this.guard;
    const pa = this.translate(t, resize(va, t.param.width));
    const raised = this.traps.splice(n).map((x) => x.cond);
    this.guard = g;
    const phys = pm.size === 1 ? this.z3.BitVec.val(0, 1) : resize(pa, indexBits(pm.size));
    return { phys, valid: this.L.not(this.L.or(...raised)) };
  }

  private translate(t: Isa['translations'][number], va: BV): BV {
    const savedLocals = this.locals;
    const savedParams = this.params;
    this.locals = new Map();
    this.params = new Map([[t.param.name, va]]);
    this.stmts(t.body);
    const r = resize(this.expr(t.result), t.resultWidth);
    this.locals = savedLocals;
    this.params = savedParams;
    return r;
  }

  private combine(ws: BV[]): BV {
    if (ws.length === 1) return ws[0]!;
    const ordered = this.isa.endian === 'big' ? ws : [...ws].reverse();
    return this.z3.Concat(...ordered) as BV;
  }

  private split(v: BV, n: number, ww: number): BV[] {
    const out: BV[] = [];
    for (let i = 0; i < n; i++) {
      const k = this.isa.endian === 'little' ? i : n - 1 - i;
      out.push(v.extract(k * ww + ww - 1, k * ww));
    }
    return out;
  }

  expr(e: Expr): BV {
    const r = this.expr0(e);
    return resize(r, e.width);
  }

  private expr0(e: Expr): BV {
    const z3 = this.z3;
    switch (e.k) {
      case 'const':
        return z3.BitVec.val(BigInt(e.value), e.width);
      case 'reg':
        this.noteClock(e.reg);
        return this.st.regs.get(e.reg)!;
      case 'field':
        this.noteClock(e.reg);
        return this.st.regs.get(e.reg)!.extract(e.hi, e.lo);
      case 'file': {
        const f = isaIndex(this.isa).files.get(e.file)!;
        const idx = f.count === 1 ? z3.BitVec.val(0, 1) : resize(this.expr(e.index), indexBits(f.count));
        this.accesses.push({ k: 'file', file: f.name, index: idx });
        return this.st.files.get(f.name)!.select(idx, this.L);
      }
      case 'mem': {
        const a = this.expr(e.addr);
        const w = this.words(e.space, a, e.words, false);
        if (w.virt) {
          const arr = this.st.virt!.get(w.virt.view)!;
          return this.combine(w.virt.vaddr.map((va, i) => arr.select(va, this.L, w.root, i)));
        }
        const arr = this.st.mems.get(w.mem)!;
        return this.combine(w.phys.map((p, i) => arr.select(p, this.L, w.root, i)));
      }
      case 'operand': {
        const v = this.operands.get(e.name);
        if (!v) throw new Error(`symbolic: operand ${e.name} has no term`);
        return v;
      }
      case 'local': {
        const v = this.locals.get(e.name);
        if (!v) throw new Error(`symbolic: ${e.name} is not bound`);
        return v;
      }
      case 'param': {
        const v = this.params.get(e.name);
        if (!v) throw new Error(`symbolic: parameter ${e.name} is not bound`);
        return v;
      }
      case 'builtin': {
        const v = e.name === 'next_pc' ? this.builtins.nextPc : e.name === 'trap_vector' ? this.builtins.trapVector : this.builtins.returnPc;
        if (!v) throw new Error(`symbolic: ${e.name} is not available here`);
        return v;
      }
      case 'unop': {
        const a = this.expr(e.a);
        if (e.width === 1 && e.op === 'not') return this.bool(this.L.not(this.truth(a)));
        return e.op === 'not' ? a.not() : a.neg();
      }
      case 'binop': {
        const a = this.expr(e.a),
          b = this.expr(e.b);
        // Logical connectives on 1-bit values stay Boolean (smaller terms, no bit-vector detour).
        if (e.width === 1 && width(a) === 1 && (e.op === 'and' || e.op === 'or')) {
          const x = this.truth(a),
            y = this.truth(b);
          return this.bool(e.op === 'and' ? this.L.and(x, y) : this.L.or(x, y));
        }
        return this.binop(e.op, a, b, e.width);
      }
      case 'concat':
        return e.parts.length === 1 ? this.expr(e.parts[0]!) : (z3.Concat(...e.parts.map((p) => this.expr(p))) as BV);
      case 'slice':
        return this.expr(e.a).extract(e.hi, e.lo);
      case 'zext': {
        const a = this.expr(e.a);
        return e.width > width(a) ? a.zeroExt(e.width - width(a)) : a;
      }
      case 'sext': {
        const a = this.expr(e.a);
        return e.width > width(a) ? a.signExt(e.width - width(a)) : a;
      }
      case 'ite': {
        const c = this.cond(e.cond);
        // Only the chosen branch runs: a translation trap in the other branch must not count.
        const g = this.guard;
        const p = this.path;
        const n = this.traps.length;
        this.guard = this.L.and(g, c);
        this.path = this.L.and(p, c);
        const a = this.expr(e.then);
        const gThen = this.guard;
        this.guard = this.L.and(g, this.L.not(c));
        this.path = this.L.and(p, this.L.not(c));
        const b = this.expr(e.else);
        const gElse = this.guard;
        // Without a trap in either branch the guard is unchanged; keep the term small.
        this.guard = this.traps.length === n ? g : this.L.or(gThen, gElse);
        this.path = p;
        return this.L.ite(c, a, b);
      }
      case 'call': {
        const f = isaIndex(this.isa).functions.get(e.fn)!;
        const args = e.args.map((a, i) => resize(this.expr(a), f.params[i]!.width));
        const savedLocals = this.locals;
        const savedParams = this.params;
        this.locals = new Map();
        this.params = new Map(f.params.map((p, i) => [p.name, args[i]!]));
        this.stmts(f.body);
        const r = resize(this.expr(f.result), f.resultWidth);
        this.locals = savedLocals;
        this.params = savedParams;
        return r;
      }
      default:
        return assertNever(e, 'expression');
    }
  }

  private binop(op: string, a: BV, b: BV, rw: number): BV {
    const w = width(a);
    switch (op) {
      case 'add':
        return a.add(b);
      case 'sub':
        return a.sub(b);
      case 'mul':
        return a.mul(b);
      case 'udiv':
        return a.udiv(b);
      case 'urem':
        return a.urem(b);
      case 'sdiv':
        return a.sdiv(b);
      case 'srem':
        return a.srem(b);
      case 'and':
        return a.and(b);
      case 'or':
        return a.or(b);
      case 'xor':
        return a.xor(b);
      case 'shl':
      case 'lshr':
      case 'ashr': {
        // The amount may have any width: shift in max(width, amount width) bits, keep the low part.
        const W = Math.max(w, width(b));
        const amt = resize(b, W);
        if (op === 'ashr') return (W > w ? a.signExt(W - w) : a).shr(amt).extract(rw - 1, 0);
        const wide = resize(a, W);
        return (op === 'shl' ? wide.shl(amt) : wide.lshr(amt)).extract(rw - 1, 0);
      }
      case 'eq':
        return this.bool(a.eq(b));
      case 'ne':
        return this.bool(a.neq(b));
      case 'ult':
        return this.bool(a.ult(b));
      case 'ule':
        return this.bool(a.ule(b));
      case 'ugt':
        return this.bool(a.ugt(b));
      case 'uge':
        return this.bool(a.uge(b));
      case 'slt':
        return this.bool(a.slt(b));
      case 'sle':
        return this.bool(a.sle(b));
      case 'sgt':
        return this.bool(a.sgt(b));
      case 'sge':
        return this.bool(a.sge(b));
    }
    throw new Error(`symbolic: unknown operator ${op}`);
  }

  private assign(t: LValue, v: BV): void {
    const z3 = this.z3;
    const g = this.path;
    switch (t.k) {
      case 'reg': {
        const old = this.st.regs.get(t.reg)!;
        this.st.regs.set(t.reg, this.L.ite(g, resize(v, width(old)), old));
        if (t.reg === this.isa.fetch.pc) this.pcWritten = this.L.or(this.pcWritten, g);
        return;
      }
      case 'field': {
        const old = this.st.regs.get(t.reg)!;
        const w = width(old);
        const parts: BV[] = [];
        if (t.hi < w - 1) parts.push(old.extract(w - 1, t.hi + 1));
        parts.push(resize(v, t.hi - t.lo + 1));
        if (t.lo > 0) parts.push(old.extract(t.lo - 1, 0));
        const nv = parts.length === 1 ? parts[0]! : (z3.Concat(...parts) as BV);
        this.st.regs.set(t.reg, this.L.ite(g, nv, old));
        if (t.reg === this.isa.fetch.pc) this.pcWritten = this.L.or(this.pcWritten, g);
        return;
      }
      case 'file': {
        const f = isaIndex(this.isa).files.get(t.file)!;
        const idx = f.count === 1 ? z3.BitVec.val(0, 1) : resize(this.expr(t.index), indexBits(f.count));
        this.accesses.push({ k: 'file', file: f.name, index: idx });
        const arr = this.st.files.get(f.name)!;
        this.st.files.set(f.name, arr.store(idx, resize(v, f.width), this.path));
        return;
      }
      case 'mem': {
        const a = this.expr(t.addr);
        const w = this.words(t.space, a, t.words, true);
        const gg = this.path;
        const ww = isaIndex(this.isa).memories.get(w.mem)!.wordWidth;
        const parts = this.split(resize(v, t.words * ww), t.words, ww);
        if (w.virt) {
          let arr = this.st.virt!.get(w.virt.view)!;
          w.virt.vaddr.forEach((va, i) => {
            arr = arr.store(va, parts[i]!, gg);
          });
          this.st.virt!.set(w.virt.view, arr);
          return;
        }
        let arr = this.st.mems.get(w.mem)!;
        w.phys.forEach((p, i) => {
          arr = arr.store(p, parts[i]!, gg);
        });
        this.st.mems.set(w.mem, arr);
        return;
      }
      default:
        assertNever(t, 'lvalue');
    }
  }

  stmts(body: Stmt[]): void {
    for (const s of body) {
      if (this.L.isF(this.guard) || this.L.isF(this.path)) return; // unreachable from here on
      switch (s.k) {
        case 'let':
          this.locals.set(s.name, this.expr(s.value));
          break;
        case 'assign': {
          const v = this.expr(s.value);
          this.assign(s.target, v);
          break;
        }
        case 'if': {
          const c = this.cond(s.cond);
          const g = this.guard;
          const p = this.path;
          const n = this.traps.length;
          const h = this.halted;
          this.guard = this.L.and(g, c);
          this.path = this.L.and(p, c);
          this.stmts(s.then);
          const gThen = this.guard,
            pThen = this.path;
          this.guard = this.L.and(g, this.L.not(c));
          this.path = this.L.and(p, this.L.not(c));
          this.stmts(s.else);
          const gElse = this.guard,
            pElse = this.path;
          // Neither branch aborted: every path continues, so the guard is what it was.
          this.guard = this.traps.length === n && h === this.halted ? g : this.L.or(gThen, gElse);
          this.path = h === this.halted ? p : this.L.or(pThen, pElse);
          break;
        }
        case 'trap':
          this.raise(s.trap, this.L.T);
          break;
        case 'halt':
          this.halted = this.L.or(this.halted, this.guard);
          this.guard = this.L.F;
          this.path = this.L.F;
          break;
        default:
          assertNever(s, 'statement');
      }
    }
  }
}

/** Words of fetch space one instruction occupies (as the interpreter counts them). */
function instrWords(isa: Isa, instr: Instruction): number {
  const sp = isaIndex(isa).memories.get(isa.fetch.space) ?? isaIndex(isa).memories.get(isaIndex(isa).views.get(isa.fetch.space)?.memory);
  return Math.max(1, Math.ceil(instr.encoding.width / (sp?.wordWidth ?? 8)));
}

/** Run one instruction's semantics symbolically from `init`. The pc register's initial value is
 *  the instruction's address; if the semantics leave it unwritten it becomes next_pc. */
export function runSymbolic(z3: Z3, isa: Isa, instr: Instruction, init: SymState, operands: Map<string, BV>): SymResult {
  const pc0 = init.regs.get(isa.fetch.pc)!;
  const nextPc = pc0.add(z3.BitVec.val(instrWords(isa, instr), width(pc0)));
  const x = new SymExec(z3, isa, init, operands, { nextPc });
  const { reads } = recordReads(() => x.stmts(instr.semantics));
  const final = x.st;
  final.regs.set(isa.fetch.pc, x.L.ite(x.pcWritten, final.regs.get(isa.fetch.pc)!, nextPc));
  return { traps: x.traps, halted: x.halted, final, accesses: x.accesses, viewAccesses: x.viewAccesses, clockReads: x.clockReads, reads };
}

/** The physical word and validity of virtual address `va` of `view` in state `st`. */
export function translateIn(z3: Z3, isa: Isa, st: SymState, view: string, va: BV): { phys: BV; valid: B } {
  return new SymExec(z3, isa, { ...st, virt: undefined }).translateView(view, va);
}

/** A 1-bit predicate over a state (mode `when`, assumption) as a Bool; traps inside are ignored. */
export function predicate(z3: Z3, isa: Isa, st: SymState, e: Expr): B {
  const x = new SymExec(z3, isa, st);
  return x.cond(e);
}

/** Operand constants for an instruction. */
export function operandTerms(z3: Z3, instr: Instruction): Map<string, BV> {
  return new Map(instr.operands.map((o) => [o.name, z3.BitVec.const(`op.${o.name}`, o.width)]));
}
