// The Popek–Goldberg questions for one class (cube) of an instruction's instances, decided
// exactly as DESIGN.md ("The model") defines them. Each question is posed as data: the
// constraints whose satisfiability witnesses the property, and how to turn a model into a replayed
// witness. Posing questions as data lets the theorem queries conjoin two of them over the same
// operands (a sensitive instance that is also not privileged) without re-deriving either.
//
// Every answer is evidence: a syntactic argument, an `unsat` proof, a witness the reference
// interpreter replayed (two-state witnesses also pass the full storage check of storage.ts), or
// unknown with the reason.

import type { Model } from 'z3-solver';
import { type Expr, type Instruction, type Isa, type TrapKind, walkExpr, walkStmts, derived, derivedKey } from '../ir/index.js';
import { type ConcreteState, type Outcome, evalExprOutcome, modeOf, runSemantics, toHex } from '../exec/index.js';
import { roleMasks, type EffectsDetail } from './effects.js';
import { probe, valuesOf } from './probe.js';
import { contextDigest } from './cache.js';
import {
  freshState,
  Logic,
  modelReads,
  predicate,
  readConsistency,
  recordReads,
  runSymbolic,
  solve,
  SymArray,
  translateIn,
  type ArrayRead,
  type B,
  type BV,
  type SymResult,
  type SymState,
  type Z3,
} from './symbolic.js';
import {
  correspondence,
  guestViews,
  instantiationPoints,
  repairStorage,
  storageMismatch,
  viewBacked,
  visibleStorageDiffers,
  type Correspondence,
} from './storage.js';
import {
  statesOfWitness,
  operandsOfWitness,
  makeWitness,
  memDiffs,
  modelRegDiffs,
  fileDiffsOf,
  operandsFromModel,
  stateFromModel,
  witnessState,
  type Diff,
  type ModelState,
} from './witness.js';
import type { Verdict, Witness, WitnessOutcome } from './types.js';
import { isaIndex } from '../ir/index.js';

export interface ClassifyContext {
  z3: Z3;
  isa: Isa;
  L: Logic;
  timeoutMs: number;
  /** Z3 resource limit per query (deterministic, unlike the time bound); 0: none. */
  rlimit: number;
  /** Time spent, by kind: the solver, building the queries' terms (symbolic execution), replaying
   *  models and concrete pairs on the interpreter, and probing (bench/analyze.mjs prints them). */
  stats: { solverQueries: number; solverMs: number; symbolicMs: number; replayMs: number; probeMs: number };
  errors: string[];
  /** Models of the instruction being classified, released when it is done. */
  models: Model<'main'>[];
  /** Fresh names made for the instruction being classified (reset per instruction). */
  indices: number;
  /** Translations of the form vaddr + offset (storage.ts). */
  offsets: Map<string, boolean>;
}

type QResult = { r: 'sat'; model: Model<'main'>; ms: number } | { r: 'unsat'; ms: number } | { r: 'unknown'; reason: string; ms: number };

/** Ask whether `cs` can hold together; `reads` are the array reads the terms contain. */
export async function check(ctx: ClassifyContext, cs: B[], reads: Iterable<Set<ArrayRead>>, label = ''): Promise<QResult> {
  if (cs.some((c) => ctx.L.isF(c))) return { r: 'unsat', ms: 0 };
  const used = new Set<ArrayRead>();
  for (const rs of reads) for (const r of rs) used.add(r);
  const assertions = [...cs.filter((c) => !ctx.L.isT(c)), ...readConsistency(ctx.z3, used)];
  const debug = process.env.ISAVIRT_DEBUG_SOLVER;
  const t0 = performance.now();
  const a = await solve(assertions, { timeoutMs: ctx.timeoutMs, rlimit: ctx.rlimit });
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  ctx.stats.solverQueries++;
  ctx.stats.solverMs += ms;
  // ISAVIRT_DEBUG_SOLVER=1 prints each query's answer and time.
  if (debug) process.stderr.write(`solver ${currentInstr.get(ctx)?.mnemonic ?? '-'} ${label} ${a.r} ${ms} ms\n`);
  if (a.r === 'sat') {
    modelReads.set(a.model, used);
    ctx.models.push(a.model);
    return { r: 'sat', model: a.model, ms };
  }
  if (a.r === 'unsat') return { r: 'unsat', ms };
  return { r: 'unknown', reason: `the solver gave no answer within its bounds (${ctx.timeoutMs} ms${ctx.rlimit ? `, resource limit ${ctx.rlimit}` : ''})`, ms };
}

// ---- the cube and its runs ----

/** One class of instances: the specialised semantics, the operand terms and their condition. */
export interface Cube {
  /** The instruction as written (replay runs this: the specialisation must agree with it). */
  instr: Instruction;
  /** Semantics specialised to the cube (symbolic runs use these). */
  spec: Instruction;
  ops: Map<string, BV>;
  /** The cube's condition and the instance domain, over `ops`. */
  opsCs: B[];
  /** Operands of one instance of the cube (probing starts from it). */
  sample: Record<string, bigint>;
  /** The condition as the spec writes it ("true" for every instance). */
  text: string;
  effects: EffectsDetail;
}

interface Run {
  s: SymState;
  r: SymResult;
  modes: B[];
  assume: B;
  reads: Set<ArrayRead>;
}

function runOn(ctx: ClassifyContext, cube: Cube, s: SymState): Run {
  const built = recordReads(() => {
    const r = runSymbolic(ctx.z3, ctx.isa, cube.spec, s, cube.ops);
    const modes = ctx.isa.modes.map((m) => predicate(ctx.z3, ctx.isa, s, m.when));
    const assume = ctx.L.and(...ctx.isa.assumptions.map((a) => predicate(ctx.z3, ctx.isa, s, a.holds)));
    return { r, modes, assume };
  });
  return { s, ...built.value, reads: built.reads };
}

function kindOf(isa: Isa, trap: string): TrapKind {
  return isaIndex(isa).traps.get(trap)?.kind ?? 'illegal';
}

function anyTrap(L: Logic, r: SymResult): B {
  return L.or(...r.traps.map((t) => t.cond));
}
function memTrap(ctx: ClassifyContext, r: SymResult): B {
  return ctx.L.or(...r.traps.filter((t) => kindOf(ctx.isa, t.trap) === 'memory').map((t) => t.cond));
}
const guestIx = (isa: Isa) =>
  Math.max(
    0,
    isa.modes.findIndex((m) => m.name === isa.guestMode),
  );

/** Which control bits and arrays are free in the varied copy: all of them, those the monitor
 *  owns (the exact monitor question), or all but the translations' (one physical storage). */
type ControlScope = 'all' | 'monitor-owned' | 'non-translation' | 'monitor-owned-non-translation';

/** A copy of `s` with mode bits (when asked) and control bits (per `scope`) fresh, and view-backed
 *  memories fresh when `storage` (separate physical storage: the correspondence relates it). */
function vary(ctx: ClassifyContext, s: SymState, roles: ('mode' | 'control')[], storage: boolean, prefix: string, scope: ControlScope = 'all'): SymState {
  const z3 = ctx.z3;
  const isa = ctx.isa;
  const rm = roleMasks(isa);
  const owned = monitorOwned(isa);
  const tc = translationControl(isa);
  const ownedBits = (reg: string, m: bigint) => (scope === 'monitor-owned' || scope === 'monitor-owned-non-translation' ? m & (owned.bits.get(reg) ?? 0n) : m);
  const controlBits = (reg: string, m: bigint): bigint =>
    scope === 'all' || scope === 'monitor-owned' ? ownedBits(reg, m) : tc.regs.has(reg) ? 0n : ownedBits(reg, m);
  const controlArray = (name: string): boolean =>
    (scope === 'all' || scope === 'non-translation' || owned.arrays.has(name)) && (scope === 'all' || scope === 'monitor-owned' || !tc.arrays.has(name));
  const regs = new Map(s.regs);
  for (const role of roles) {
    for (const [reg, m0] of role === 'mode' ? rm.mode : rm.control) {
      const m = role === 'mode' ? m0 : controlBits(reg, m0);
      if (!m) continue;
      const old = regs.get(reg)!;
      const w = old.size();
      const fresh = z3.BitVec.const(`${prefix}.${reg}.${role}`, w);
      const mv = z3.BitVec.val(m, w);
      regs.set(reg, old.and(mv.not()).or(fresh.and(mv)));
    }
  }
  const freeArray = (role: string, name: string) => (roles as string[]).includes(role) && (role === 'mode' || controlArray(name));
  const files = new Map(s.files);
  for (const f of isa.files) {
    if (freeArray(f.role, f.name)) {
      const b = s.files.get(f.name)!.base;
      files.set(f.name, SymArray.fresh(z3, `${prefix}.${f.name}`, b.idxW, b.valW));
    }
  }
  const mems = new Map(s.mems);
  const backed = viewBacked(isa);
  for (const m of isa.memories) {
    if (freeArray(m.role, m.name) || (storage && backed.has(m.name))) {
      const b = s.mems.get(m.name)!.base;
      mems.set(m.name, SymArray.fresh(z3, `${prefix}.${m.name}`, b.idxW, b.valW));
    }
  }
  return { regs, files, mems };
}

/** Bits of control registers, and control arrays, that `read` expressions touch. */
function controlRead(isa: Isa, visit: (onExpr: (e: Expr) => void) => void): { bits: Map<string, bigint>; arrays: Set<string> } {
  const rm = roleMasks(isa);
  const bits = new Map<string, bigint>();
  const arrays = new Set<string>();
  const add = (reg: string, m: bigint) => {
    const c = (rm.control.get(reg) ?? 0n) & m;
    if (c) bits.set(reg, (bits.get(reg) ?? 0n) | c);
  };
  visit((e) => {
    if (e.k === 'reg') add(e.reg, -1n);
    if (e.k === 'field') add(e.reg, ((1n << BigInt(e.hi - e.lo + 1)) - 1n) << BigInt(e.lo));
    if (e.k === 'file' && isaIndex(isa).files.get(e.file)?.role === 'control') arrays.add(e.file);
    if (e.k === 'mem' && isaIndex(isa).memories.get(e.space)?.role === 'control') arrays.add(e.space);
  });
  return { bits, arrays };
}

/** Does some translation read a mode bit (the KA10's unrelocated executive mode)? Conservative: a
 *  function call counts as a read. When none does, two states that differ in mode bits alone show
 *  the same guest-visible storage by construction, and no storage query is needed. */
const TRANSLATION_MODE = derivedKey<boolean>('translation reads mode');
function translationsReadMode(isa: Isa): boolean {
  return derived(isa, TRANSLATION_MODE, () => {
    const rm = roleMasks(isa);
    let reads = false;
    const on = (e: Expr) => {
      if (e.k === 'call') reads = true;
      if (e.k === 'reg' && rm.mode.has(e.reg)) reads = true;
      if (e.k === 'field' && ((rm.mode.get(e.reg) ?? 0n) & (((1n << BigInt(e.hi - e.lo + 1)) - 1n) << BigInt(e.lo))) !== 0n) reads = true;
      if (e.k === 'file' && isaIndex(isa).files.get(e.file)?.role === 'mode') reads = true;
      if (e.k === 'mem' && isaIndex(isa).memories.get(e.space)?.role === 'mode') reads = true;
    };
    for (const t of isa.translations) {
      walkStmts(t.body, () => {}, on);
      walkExpr(t.result, on);
    }
    return reads;
  });
}

/** Control registers and arrays some translation reads (the mapping of storage). */
const TRANSLATION_CONTROL = derivedKey<{ regs: Set<string>; arrays: Set<string> }>('translation control');
function translationControl(isa: Isa): { regs: Set<string>; arrays: Set<string> } {
  return derived(isa, TRANSLATION_CONTROL, () => computeTranslationControl(isa));
}
function computeTranslationControl(isa: Isa): { regs: Set<string>; arrays: Set<string> } {
  const r = controlRead(isa, (onExpr) => {
    for (const t of isa.translations) {
      walkStmts(
        t.body,
        () => {},
        (e) => void onExpr(e),
      );
      walkExpr(t.result, (x) => void onExpr(x));
    }
  });
  return { regs: new Set(r.bits.keys()), arrays: r.arrays };
}

/** Does a change of `element` ("EFLAGS.IF", "GDTR", "spsr[3]") touch control state the monitor
 *  owns outside the translations (its vector tables, interrupt flag, what it keeps by assumption),
 *  or the mode? Such a change made directly by a guest is a break under every monitor; a change of
 *  what translations read is one only under a monitor that maps storage differently. */
export function changesOwnedState(isa: Isa, element: string): boolean {
  const owned = monitorOwned(isa);
  const tc = translationControl(isa);
  const rm = roleMasks(isa);
  const arr = /^(\w+)\[/.exec(element)?.[1];
  if (arr) return (owned.arrays.has(arr) && !tc.arrays.has(arr)) || isaIndex(isa).files.get(arr)?.role === 'mode';
  const [reg, field] = element.split('.');
  const r = isaIndex(isa).registers.get(reg);
  if (!r) return false;
  const f = field ? r.fields.find((x) => x.name === field) : undefined;
  const bits = f ? ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo) : (1n << BigInt(r.width)) - 1n;
  if ((rm.mode.get(r.name) ?? 0n) & bits) return true;
  return !tc.regs.has(r.name) && ((owned.bits.get(r.name) ?? 0n) & bits) !== 0n;
}

const MONITOR_OWNED = derivedKey<{ bits: Map<string, bigint>; arrays: Set<string> }>('monitor-owned control');
/**
 * The control state a trap-and-emulate monitor must keep for itself while a guest runs: what the
 * machine consults on its own — the trap entry (a real trap must reach the monitor, so the vector
 * tables and what the entry saves are the monitor's), timers (the monitor's clock interrupts), the
 * `assume` invariants (their values are the monitor's by declaration) — and what the translations
 * read (the monitor maps the guest's storage: the storage correspondence relates the two states
 * there). Every other control element the monitor mirrors: it holds the guest's own value, as a
 * monitor that copies the guest's alignment-check bit into the real register does. The best
 * monitor mirrors all it can, so this is the correspondence under which a monitor exists if any
 * does (DESIGN.md, "The model").
 */
export function monitorOwned(isa: Isa): { bits: Map<string, bigint>; arrays: Set<string> } {
  return derived(isa, MONITOR_OWNED, () => computeMonitorOwned(isa));
}
function computeMonitorOwned(isa: Isa): { bits: Map<string, bigint>; arrays: Set<string> } {
  return controlRead(isa, (onExpr) => {
    const inExpr = (e: Expr) => walkExpr(e, (x) => void onExpr(x));
    walkStmts(
      isa.trapEntry,
      () => {},
      (e) => void onExpr(e),
    );
    for (const t of isa.translations) {
      walkStmts(
        t.body,
        () => {},
        (e) => void onExpr(e),
      );
      inExpr(t.result);
    }
    for (const t of isa.traps) if (t.timer) inExpr(t.timer.when);
    for (const a of isa.assumptions) inExpr(a.holds);
  });
}

function regsDiffer(ctx: ClassifyContext, a: SymState, b: SymState, bitsOf: (reg: string) => bigint): B[] {
  const out: B[] = [];
  for (const r of ctx.isa.registers) {
    const m = bitsOf(r.name) & ((1n << BigInt(r.width)) - 1n);
    if (!m) continue;
    const x = a.regs.get(r.name)!,
      y = b.regs.get(r.name)!;
    if (x.eqIdentity(y)) continue;
    const mv = ctx.z3.BitVec.val(m, r.width);
    out.push(x.xor(y).and(mv).neq(ctx.z3.BitVec.val(0, r.width)));
  }
  return out;
}

function arraysDiffer(ctx: ClassifyContext, a: Map<string, SymArray>, b: Map<string, SymArray>, names: string[]): B[] {
  const out: B[] = [];
  for (const n of names) {
    const x = a.get(n)!,
      y = b.get(n)!;
    if (x.sameAs(y)) continue;
    const k = ctx.z3.BitVec.const(`k!${ctx.indices++}`, x.base.idxW);
    out.push(x.select(k, ctx.L).neq(y.select(k, ctx.L)));
  }
  return out;
}

/** Some mode or control element changed from s to the final state. */
function ownedChanged(ctx: ClassifyContext, s: SymState, f: SymState): B {
  const rm = roleMasks(ctx.isa);
  return ctx.L.or(
    ...regsDiffer(ctx, s, f, (reg) => (rm.mode.get(reg) ?? 0n) | (rm.control.get(reg) ?? 0n)),
    ...arraysDiffer(
      ctx,
      s.files,
      f.files,
      ctx.isa.files.filter((x) => x.role !== 'plain').map((x) => x.name),
    ),
    ...arraysDiffer(
      ctx,
      s.mems,
      f.mems,
      ctx.isa.memories.filter((x) => x.role !== 'plain').map((x) => x.name),
    ),
  );
}

/** The two runs' outcomes differ: a trap on one side only, a halt on one side only, or both
 *  complete with different `compare`d state. Two runs that both trap have one outcome for this
 *  purpose, whichever trap: the monitor receives either (P&G's machine has one trap; a spec's
 *  trap kinds and vectors tell the guest kernel *why*, which the monitor reflects faithfully). */
function outcomesDiffer(ctx: ClassifyContext, r1: SymResult, r2: SymResult, compare: B): B {
  const L = ctx.L;
  const out: B[] = [ctx.z3.Xor(anyTrap(L, r1), anyTrap(L, r2))];
  if (!(L.isF(r1.halted) && L.isF(r2.halted))) out.push(ctx.z3.Xor(r1.halted, r2.halted));
  const done = L.and(L.not(anyTrap(L, r1)), L.not(anyTrap(L, r2)));
  out.push(L.and(done, compare));
  return L.or(...out);
}

/** Final guest-visible state differs: registers outside `excluded` roles, plain files and plain
 *  memories no view maps, and words at the fresh virtual address `at` of each view. With the
 *  initial states `from`, control bits (which differ there by design) count where some run changed
 *  them and the two runs leave them different: what the instruction does to control state is part
 *  of its outcome (a POPF that sets IF under one IOPL and not the other). */
function visibleDiffer(
  ctx: ClassifyContext,
  f1: SymState,
  f2: SymState,
  excluded: ('mode' | 'control')[],
  at: Map<string, BV>,
  from?: [SymState, SymState],
  written: { view: string; vaddr: BV }[] = [],
): B {
  const rm = roleMasks(ctx.isa);
  const L = ctx.L;
  const backed = viewBacked(ctx.isa);
  const ex = (reg: string) => excluded.reduce((m, role) => m | ((role === 'mode' ? rm.mode : rm.control).get(reg) ?? 0n), 0n);
  const out: B[] = [...regsDiffer(ctx, f1, f2, (reg) => ~ex(reg))];
  out.push(
    ...arraysDiffer(
      ctx,
      f1.files,
      f2.files,
      ctx.isa.files.filter((x) => !(excluded as string[]).includes(x.role)).map((x) => x.name),
    ),
  );
  out.push(
    ...arraysDiffer(
      ctx,
      f1.mems,
      f2.mems,
      ctx.isa.memories.filter((x) => !(excluded as string[]).includes(x.role) && !backed.has(x.name)).map((x) => x.name),
    ),
  );
  for (const [view, a] of [...at, ...written.map((w) => [w.view, w.vaddr] as const)]) {
    const v = isaIndex(ctx.isa).views.get(view)!;
    const t1 = translateIn(ctx.z3, ctx.isa, f1, view, a),
      t2 = translateIn(ctx.z3, ctx.isa, f2, view, a);
    out.push(L.and(t1.valid, t2.valid, f1.mems.get(v.memory)!.select(t1.phys, L).neq(f2.mems.get(v.memory)!.select(t2.phys, L))));
  }
  if (from && excluded.includes('control')) {
    const z3 = ctx.z3;
    for (const [reg, m] of rm.control) {
      const [i1, i2] = [from[0].regs.get(reg)!, from[1].regs.get(reg)!];
      const [e1, e2] = [f1.regs.get(reg)!, f2.regs.get(reg)!];
      if (e1.eqIdentity(i1) && e2.eqIdentity(i2)) continue;
      const w = i1.size();
      const changed = e1.xor(i1).or(e2.xor(i2));
      out.push(
        e1
          .xor(e2)
          .and(changed)
          .and(z3.BitVec.val(m & ~(rm.mode.get(reg) ?? 0n), w))
          .neq(z3.BitVec.val(0, w)),
      );
    }
  }
  return L.or(...out);
}

/** Does the instance write physical storage behind a view directly (raw, or through a view no
 *  control state moves)? */
function writesRawStorage(isa: Isa, cube: Cube): boolean {
  const backed = viewBacked(isa);
  const guest = new Set(guestViews(isa).map((v) => v.name));
  const direct = new Set(cube.effects.directSpaces);
  return cube.effects.effects.writes.some(
    (w) => direct.has(w) && (backed.has(w) || isa.views.some((v) => v.name === w && !guest.has(w) && backed.has(v.memory))),
  );
}

/** The words an instance writes through the guest views, in either run. */
function writtenWords(isa: Isa, runs: SymResult[]): { view: string; vaddr: BV }[] {
  const guest = new Set(guestViews(isa).map((v) => v.name));
  return runs.flatMap((r) => r.viewAccesses.filter((a) => a.write && guest.has(a.view)).map((a) => ({ view: a.view, vaddr: a.vaddr })));
}

/** A fresh virtual address per view (where a difference in storage is sought). */
function probeAddresses(ctx: ClassifyContext, prefix: string, cube?: Cube): Map<string, BV> {
  const m = new Map<string, BV>();
  // An instruction that writes no storage leaves it as it was in both states, where it corresponds
  // by construction; one that writes through views changes only the words it writes, and with the
  // same sharing in both states a difference seen through any view is a difference at a written
  // address itself (compared there, see visibleDiffer). Only a raw write to storage behind a view
  // needs a free address to look for the difference through the views.
  if (cube && !writesRawStorage(ctx.isa, cube)) return m;
  for (const v of guestViews(ctx.isa)) {
    const t = isaIndex(ctx.isa).translations.get(v.translation)!;
    m.set(v.name, ctx.z3.BitVec.const(`${prefix}.at.${v.name}`, t.param.width));
  }
  return m;
}

// ---- questions ----

export interface Extracted {
  verdict?: Verdict;
  problem?: string;
}

/** A question: its constraints (satisfiable = the property is witnessed) and how a model becomes
 *  a replayed witness. */
export interface Question {
  label: string;
  cs: B[];
  reads: Set<ArrayRead>[];
  extract: (model: Model<'main'>) => Promise<Extracted>;
}

function outcomeOf(isa: Isa, instr: Instruction, s: ConcreteState, ops: Record<string, bigint>): Outcome {
  return runSemantics(isa, s, instr, ops, s.regs[isa.fetch.pc] ?? 0n);
}

function describe(o: Outcome, isa: Isa): string {
  return o.kind === 'trap' ? `trap ${o.trap} (${kindOf(isa, o.trap)})` : o.kind === 'halt' ? 'halt' : 'completes';
}

function witnessOf(isa: Isa, ops: Record<string, bigint>, states: ModelState[], outcomes: Outcome[], diffs: Diff[], relevant: string[]): Witness {
  const wo = (o: Outcome, side: 'a' | 'b'): WitnessOutcome => {
    const values: Record<string, string> = {};
    for (const d of diffs) values[d.name] = side === 'a' ? d.a : d.b;
    return o.kind === 'trap' ? { kind: 'trap', trap: o.trap, values } : { kind: o.kind, values };
  };
  // A two-state witness: each run's own values. One state: its outcome is the after side (a is
  // the value going in), so a report can say "changes CS.RPL 3 → 2".
  const w = makeWitness(
    ops,
    states.map((m) => witnessState(isa, m)),
    outcomes.map((o, i) => wo(o, i === 0 && states.length > 1 ? 'a' : 'b')),
    diffs.map((d) => (states.length > 1 ? `${d.name}: ${d.a} vs ${d.b}` : `${d.name}: ${d.a} → ${d.b}`)),
    true,
  );
  // Fields by their own name and by their register's (witness values are keyed by register).
  const named = [...relevant, ...diffs.map((d) => d.name)];
  w.relevant = [...new Set([...named, ...named.map((n) => n.split('.')[0]!.split('[')[0]!)])];
  return w;
}

function opsText(ops: Record<string, bigint>): string {
  const e = Object.entries(ops);
  return e.length ? ` (with ${e.map(([k, v]) => `${k} = ${toHex(v)}`).join(', ')})` : '';
}

function assumptionsHoldIn(isa: Isa, s: ConcreteState): boolean {
  return isa.assumptions.every((a) => {
    const r = evalExprOutcome(isa, s, a.holds);
    return 'value' in r && r.value === 1n;
  });
}

/** Single-state question: a guest-mode state (with the assumptions) where it does not trap. */
export function guestCompletes(ctx: ClassifyContext, cube: Cube): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const R = runOn(ctx, cube, freshState(ctx.z3, isa, 'pg'));
  return {
    label: 'guest-completes',
    cs: [...cube.opsCs, R.modes[guestIx(isa)]!, R.assume, L.not(anyTrap(L, R.r))],
    reads: [R.reads],
    extract: async (model) => {
      const ms = stateFromModel(isa, model, R.s, R.r.accesses);
      const ops = operandsFromModel(model, cube.instr, cube.ops);
      return confirmGuestCompletes(ctx, cube, ms, ops);
    },
  };
}

function confirmGuestCompletes(ctx: ClassifyContext, cube: Cube, ms: ModelState, ops: Record<string, bigint>): Extracted {
  const isa = ctx.isa;
  const o = outcomeOf(isa, cube.instr, ms.state, ops);
  if (modeOf(isa, ms.state) !== isa.guestMode) return { problem: 'the state is not in the guest mode' };
  if (!assumptionsHoldIn(isa, ms.state)) return { problem: 'the state breaks an assumption' };
  if (o.kind === 'trap') return { problem: `it trapped (${o.trap})` };
  const traps = cube.effects.effects.traps.filter((t) => t.kind !== 'memory');
  const only = traps.length ? `; it traps only when ${traps.map((t) => `${t.condition} (${t.trap})`).join(' or ')}` : '';
  const text = `in this ${isa.guestMode}-mode state it ${o.kind === 'halt' ? 'halts' : 'completes'} without trapping${opsText(ops)}${only}`;
  return { verdict: { value: 'no', evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [ms], [o], [], cube.effects.effects.reads) } } };
}

/** Single-state question: a most-privileged-mode state where it does not trap (the instruction
 *  is not one that traps everywhere). */
export function mostCompletes(ctx: ClassifyContext, cube: Cube): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const R = runOn(ctx, cube, freshState(ctx.z3, isa, 'pm'));
  return {
    label: 'most-completes',
    cs: [...cube.opsCs, R.modes[0]!, L.not(anyTrap(L, R.r))],
    reads: [R.reads],
    extract: async (model) => confirmMostCompletes(ctx, cube, stateFromModel(isa, model, R.s, R.r.accesses), operandsFromModel(model, cube.instr, cube.ops)),
  };
}

function confirmMostCompletes(ctx: ClassifyContext, cube: Cube, ms: ModelState, ops: Record<string, bigint>): Extracted {
  const isa = ctx.isa;
  const o = outcomeOf(isa, cube.instr, ms.state, ops);
  if (modeOf(isa, ms.state) !== isa.modes[0]!.name) return { problem: 'the state is not in the most privileged mode' };
  if (o.kind === 'trap') return { problem: `it trapped (${o.trap})` };
  const text = `in this ${isa.modes[0]!.name}-mode state it ${o.kind === 'halt' ? 'halts' : 'completes'}${opsText(ops)}`;
  return { verdict: { value: 'yes', evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [ms], [o], [], cube.effects.effects.reads) } } };
}

/** Control sensitivity: a state (guest mode with the assumptions, or any mode) where it does not
 *  trap and changes a mode or control element, or halts. */
export function controlChange(ctx: ClassifyContext, cube: Cube, user: boolean): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const R = runOn(ctx, cube, freshState(ctx.z3, isa, user ? 'cu' : 'c'));
  const where = user ? [R.modes[guestIx(isa)]!, R.assume] : [L.or(...R.modes)];
  const change = recordReads(() => ownedChanged(ctx, R.s, R.r.final));
  return {
    label: `control-${user ? 'guest' : 'any'}`,
    cs: [...cube.opsCs, ...where, L.not(anyTrap(L, R.r)), L.or(change.value, R.r.halted)],
    reads: [R.reads, change.reads],
    extract: async (model) => confirmControl(ctx, cube, stateFromModel(isa, model, R.s, R.r.accesses), operandsFromModel(model, cube.instr, cube.ops), user),
  };
}

function ownedDiffs(isa: Isa, a: ConcreteState, b: ConcreteState): Diff[] {
  const rm = roleMasks(isa);
  const owned = (role: string) => role === 'mode' || role === 'control';
  return [
    ...modelRegDiffs(isa, a, b, (r) => (rm.mode.get(r) ?? 0n) | (rm.control.get(r) ?? 0n)),
    ...fileDiffsOf(isa, a, b, owned),
    ...memDiffs(isa, a, b, owned),
  ];
}

function confirmControl(ctx: ClassifyContext, cube: Cube, ms: ModelState, ops: Record<string, bigint>, user: boolean): Extracted {
  const isa = ctx.isa;
  const mode = modeOf(isa, ms.state);
  if (user && (mode !== isa.guestMode || !assumptionsHoldIn(isa, ms.state))) return { problem: 'not a guest-mode state with the assumptions' };
  if (!mode) return { problem: 'the state is in no mode' };
  const o = outcomeOf(isa, cube.instr, ms.state, ops);
  if (o.kind === 'trap') return { problem: `it trapped (${o.trap})` };
  const diffs = ownedDiffs(isa, ms.state, o.state);
  if (o.kind !== 'halt' && diffs.length === 0) return { problem: 'no mode or control element changed' };
  const what =
    o.kind === 'halt'
      ? 'halts the machine (taking the processor from the monitor)'
      : `changes ${diffs
          .slice(0, 4)
          .map((d) => `${d.name} ${d.a} → ${d.b}`)
          .join(', ')}${diffs.length > 4 ? ` and ${diffs.length - 4} more` : ''}`;
  const text = `in mode ${mode} it ${what} without trapping${opsText(ops)}`;
  return { verdict: { value: 'yes', evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [ms], [o], diffs, cube.effects.effects.reads) } } };
}

/** Concrete outcome comparison for a two-state question. */
async function compareOutcomes(
  ctx: ClassifyContext,
  a: ConcreteState,
  b: ConcreteState,
  oa: Outcome,
  ob: Outcome,
  excluded: ('mode' | 'control')[],
): Promise<Diff[] | 'unknown'> {
  const isa = ctx.isa;
  if (oa.kind !== ob.kind) {
    return [{ name: 'outcome', a: describe(oa, isa), b: describe(ob, isa) }];
  }
  if (oa.kind === 'trap') return [];
  const rm = roleMasks(isa);
  const ex = (reg: string) => excluded.reduce((m, role) => m | ((role === 'mode' ? rm.mode : rm.control).get(reg) ?? 0n), 0n);
  const backed = viewBacked(isa);
  const diffs: Diff[] = [
    ...modelRegDiffs(isa, oa.state, ob.state, (r) => ~ex(r)),
    ...fileDiffsOf(isa, oa.state, ob.state, (role) => !(excluded as string[]).includes(role)),
    ...memDiffs(isa, oa.state, ob.state, (role) => !(excluded as string[]).includes(role)).filter((d) => !backed.has(d.name.split('[')[0]!)),
  ];
  if (excluded.includes('control') && !excluded.includes('mode')) {
    for (const r of isa.registers) {
      const cm = (rm.control.get(r.name) ?? 0n) & ~(rm.mode.get(r.name) ?? 0n);
      if (!cm) continue;
      const i1 = a.regs[r.name] ?? 0n,
        i2 = b.regs[r.name] ?? 0n,
        e1 = oa.state.regs[r.name] ?? 0n,
        e2 = ob.state.regs[r.name] ?? 0n;
      const d = (e1 ^ e2) & ((e1 ^ i1) | (e2 ^ i2)) & cm;
      if (d) diffs.push(...modelRegDiffs(isa, oa.state, ob.state, () => d));
    }
  }
  if (guestViews(isa).length) {
    const v = await visibleStorageDiffers(ctx.z3, isa, oa.state, ob.state, ctx.timeoutMs);
    if (v === 'unknown') return 'unknown';
    if (v) diffs.push({ name: `${v.view}[${toHex(v.vaddr)}]`, a: toHex(v.a), b: toHex(v.b) });
  }
  return diffs;
}

/** Mode sensitivity: two states that differ only in mode — the same plain and control state, the
 *  same guest-visible storage (each through its own mode's translation: an unrelocated executive
 *  mode sees the same words as a relocated user mode would) — neither memory-traps, and the
 *  outcomes differ outside the mode (a trap on one side only is a difference). */
export function modePair(ctx: ClassifyContext, cube: Cube, shared = false): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const prefix = shared ? 'ms' : 'm';
  const at = probeAddresses(ctx, prefix, cube);
  const P = pairSetup(ctx, cube, prefix, ['mode'], 'both', shared, at);
  const built = recordReads(() => {
    const pairs: B[] = [];
    P.A.modes.forEach((m1, i) => P.B.modes.forEach((m2, j) => i !== j && pairs.push(L.and(m1, m2))));
    return [
      L.or(...pairs),
      L.not(memTrap(ctx, P.A.r)),
      L.not(memTrap(ctx, P.B.r)),
      outcomesDiffer(ctx, P.A.r, P.B.r, visibleDiffer(ctx, P.A.r.final, P.B.r.final, ['mode'], at, undefined, writtenWords(isa, [P.A.r, P.B.r]))),
    ];
  });
  return {
    label: `mode-pair${shared ? '-shared' : ''}`,
    cs: [...cube.opsCs, ...P.cs, ...built.value],
    reads: [...P.reads, built.reads],
    extract: async (model) => {
      const c = await concretePair(ctx, model, P, 'both', shared);
      if ('problem' in c) return { problem: c.problem };
      const m1 = c.a,
        m2 = c.b;
      const ops = operandsFromModel(model, cube.instr, cube.ops);
      const o1 = outcomeOf(isa, cube.instr, m1.state, ops),
        o2 = outcomeOf(isa, cube.instr, m2.state, ops);
      const n1 = modeOf(isa, m1.state),
        n2 = modeOf(isa, m2.state);
      if (!n1 || !n2 || n1 === n2) return { problem: 'the states are not in two modes' };
      for (const o of [o1, o2]) if (o.kind === 'trap' && kindOf(isa, o.trap) === 'memory') return { problem: 'a run memory-trapped' };
      const diffs = await compareOutcomes(ctx, m1.state, m2.state, o1, o2, ['mode']);
      if (diffs === 'unknown') return { problem: 'the solver gave no answer on the storage check' };
      if (diffs.length === 0) return { problem: 'the outcomes are the same' };
      const text = modeText(ctx, n1, n2, o1, o2, diffs, m1.state, m2.state, ops);
      return {
        verdict: {
          value: 'yes',
          evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [m1, m2], [o1, o2], diffs, [...cube.effects.effects.reads, ...cube.effects.modeReads]) },
        },
      };
    },
  };
}

function modeText(
  ctx: ClassifyContext,
  n1: string,
  n2: string,
  o1: Outcome,
  o2: Outcome,
  diffs: Diff[],
  s1: ConcreteState,
  s2: ConcreteState,
  ops: Record<string, bigint>,
): string {
  const isa = ctx.isa;
  if (o1.kind !== o2.kind || (o1.kind === 'trap' && o2.kind === 'trap')) {
    const t = (o: Outcome, n: string) => `in mode ${n} it ${o.kind === 'trap' ? `traps (${o.trap})` : o.kind === 'halt' ? 'halts' : 'completes'}`;
    return `${t(o1, n1)}, ${t(o2, n2)}${opsText(ops)}`;
  }
  // A write that takes effect in one mode and is not made in the other is "dropped". Whether the
  // instruction wrote an element is seen by running it again with that element's old value
  // changed: a write it did not make leaves the changed value (a write of the old value does not).
  for (const d of diffs) {
    // Kept: the final value is the old one, and stays the old one whatever the old one is.
    const kept1 = d.a === valueIn(isa, s1, d.name) && keepsOld(isa, ctx, s1, ops, d.name);
    const kept2 = d.b === valueIn(isa, s2, d.name) && keepsOld(isa, ctx, s2, ops, d.name);
    if (kept1 && !kept2)
      return `in mode ${n1} the write to ${d.name} is silently dropped (it stays ${d.a}; in mode ${n2} it becomes ${d.b}); no trap${opsText(ops)}`;
    if (kept2 && !kept1)
      return `in mode ${n2} the write to ${d.name} is silently dropped (it stays ${d.b}; in mode ${n1} it becomes ${d.a}); no trap${opsText(ops)}`;
  }
  return `the result depends on the mode: ${diffs
    .slice(0, 3)
    .map((x) => `${x.name} is ${x.a} in mode ${n1} but ${x.b} in mode ${n2}`)
    .join('; ')}; no trap${opsText(ops)}`;
}

/** Does the instruction leave element `name` unwritten from state `s`? */
function keepsOld(isa: Isa, ctx: ClassifyContext, s: ConcreteState, ops: Record<string, bigint>, name: string): boolean {
  const instr = currentInstr.get(ctx);
  const old = valueIn(isa, s, name);
  if (!instr || old === undefined) return false;
  // Changed values (those that change it at all: a 1-bit field has one), so that a written value
  // that happens to equal one of them is not mistaken for the old value kept.
  let tried = 0;
  for (const flip of [0xffffffffffffffffn, 0x5a5a5a5a5a5a5a5an, 0xa5a5a5a5a5a5a5a5n]) {
    const t = structuredCloneState(s);
    if (!setValueIn(isa, t, name, BigInt(old) ^ flip)) return false;
    const changed = valueIn(isa, t, name);
    if (changed === old) continue;
    tried++;
    const o = outcomeOf(isa, instr, t, ops);
    if (o.kind === 'trap' || valueIn(isa, o.state, name) !== changed) return false;
  }
  return tried > 0;
}

/** The instruction being classified (witness wording replays it). */
export const currentInstr = new WeakMap<ClassifyContext, Instruction>();

function structuredCloneState(s: ConcreteState): ConcreteState {
  return {
    regs: { ...s.regs },
    files: Object.fromEntries(Object.entries(s.files).map(([k, v]) => [k, [...v]])),
    mem: Object.fromEntries(Object.entries(s.mem).map(([k, v]) => [k, new Map(v)])),
  };
}

function setValueIn(isa: Isa, s: ConcreteState, name: string, v: bigint): boolean {
  const m = /^(\w+)\[(0x[0-9a-f]+|\d+)\]$/.exec(name);
  if (m) {
    const [, el, idx] = m;
    const f = isaIndex(isa).files.get(el);
    if (f) {
      s.files[el!]![Number(idx)] = v & ((1n << BigInt(f.width)) - 1n);
      return true;
    }
    const mm = isaIndex(isa).memories.get(el);
    if (mm) {
      s.mem[el!]!.set(Number(idx), v & ((1n << BigInt(mm.wordWidth)) - 1n));
      return true;
    }
    return false;
  }
  const [reg, field] = name.split('.');
  const r = isaIndex(isa).registers.get(reg);
  if (!r) return false;
  const old = s.regs[reg!] ?? 0n;
  if (!field) {
    s.regs[reg!] = v & ((1n << BigInt(r.width)) - 1n);
    return true;
  }
  const f = r.fields.find((x) => x.name === field);
  if (!f) return false;
  const fm = ((1n << BigInt(f.hi - f.lo + 1)) - 1n) << BigInt(f.lo);
  s.regs[reg!] = (old & ~fm) | ((v << BigInt(f.lo)) & fm);
  return true;
}

function valueIn(isa: Isa, s: ConcreteState, name: string): string | undefined {
  const m = /^(\w+)\[(0x[0-9a-f]+|\d+)\]$/.exec(name);
  if (m) {
    const [, el, idx] = m;
    if (s.files[el!]) return toHex(s.files[el!]![Number(idx)] ?? 0n);
    if (s.mem[el!]) return toHex(s.mem[el!]!.get(Number(idx)) ?? 0n);
    return undefined;
  }
  const [reg, field] = name.split('.');
  const r = isaIndex(isa).registers.get(reg);
  if (!r) return undefined;
  const v = s.regs[reg!] ?? 0n;
  if (!field) return toHex(v);
  const f = r.fields.find((x) => x.name === field);
  if (!f) return undefined;
  return toHex((v >> BigInt(f.lo)) & ((1n << BigInt(f.hi - f.lo + 1)) - 1n));
}

/** Words of a model state that the model gave values (repair must not change them). */
function pinnedWords(ms: ModelState): Set<string> {
  const out = new Set<string>();
  for (const k of Object.keys(ms.values)) {
    const m = /^(\w+)\[(0x[0-9a-f]+)\]$/.exec(k);
    if (m) out.add(`${m[1]}:${Number(m[2])}`);
  }
  return out;
}

interface PairSetup {
  /** Sides: [a, b]; for the monitor a is the real state, b the virtual one. */
  A: Run;
  B: Run;
  cs: B[];
  reads: Set<ArrayRead>[];
  words: { a: { mem: string; addr: BV }[]; b: { mem: string; addr: BV }[] };
}

/** Two states that share the plain state and correspond in guest-visible storage; `varied` the
 *  roles that are free in the second (control, and mode for the monitor). `sharedStorage`: one
 *  physical storage and the translations' control kept equal (correspondence by construction). */
function pairSetup(
  ctx: ClassifyContext,
  cube: Cube,
  prefix: string,
  varied: ('mode' | 'control')[],
  mode: Correspondence,
  sharedStorage: boolean,
  at: Map<string, BV>,
  monitor = false,
): PairSetup {
  const isa = ctx.isa;
  const A = runOn(ctx, cube, freshState(ctx.z3, isa, `${prefix}a`));
  const scope: ControlScope = sharedStorage ? (monitor ? 'monitor-owned-non-translation' : 'non-translation') : monitor ? 'monitor-owned' : 'all';
  const B_ = runOn(ctx, cube, vary(ctx, A.s, varied, !sharedStorage, `${prefix}b`, scope));
  if (sharedStorage) return { A, B: B_, cs: [], reads: [A.reads, B_.reads], words: { a: [], b: [] } };
  const built = recordReads(() => {
    // Also where the next instruction is fetched (a jump's own limit check mirrors the fetch
    // translation's): any address is a sound place to instantiate the correspondence.
    const extra = new Map([...at].map(([v, a]) => [v, [a]]));
    if (guestViews(isa).some((v) => v.name === isa.fetch.space)) {
      const l = extra.get(isa.fetch.space) ?? [];
      l.push(A.r.final.regs.get(isa.fetch.pc)!, B_.r.final.regs.get(isa.fetch.pc)!);
      extra.set(isa.fetch.space, l);
    }
    const points = instantiationPoints(
      ctx.z3,
      isa,
      ctx.offsets,
      [
        { s: A.s, r: A.r },
        { s: B_.s, r: B_.r },
      ],
      extra,
    );
    // Sharing only where it can matter: the addresses written and those where a difference is
    // sought. Leaving out the rest of a premise keeps every unsat answer a proof, and the
    // concrete check of every witness includes all of the sharing.
    const keyed = new Set<number>();
    for (const a of at.values()) keyed.add(a.id());
    for (const r of [A.r, B_.r]) {
      for (const x of r.viewAccesses) {
        if (!x.write) continue;
        const t = isaIndex(isa).translations.get(isaIndex(isa).views.get(x.view)?.translation);
        if (t)
          keyed.add(
            (x.vaddr.size() === t.param.width
              ? x.vaddr
              : x.vaddr.size() > t.param.width
                ? x.vaddr.extract(t.param.width - 1, 0)
                : x.vaddr.zeroExt(t.param.width - x.vaddr.size())
            ).id(),
          );
      }
    }
    const c = correspondence(ctx.z3, isa, mode, A.s, B_.s, points, keyed);
    if (monitor || !varied.includes('mode')) return c;
    // A mode pair is one machine in two modes (Popek and Goldberg's S1 and S2 differ in the mode
    // alone, with the same relocation): the physical words an instruction reads past every
    // translation (the 386's descriptor tables) are the same in both states, so a difference comes
    // from the mode, never from storage the correspondence of guest-visible words leaves free. A
    // location pair keeps them apart (the guest moved: what lies outside it differs), and so does
    // a monitor pair (the real machine's tables are the monitor's).
    const raw = rawReads(isa, [A.r, B_.r]);
    for (const w of raw) c.cs.push(A.s.mems.get(w.mem)!.base.read(w.addr).eq(B_.s.mems.get(w.mem)!.base.read(w.addr)));
    return { ...c, wordsA: [...c.wordsA, ...raw], wordsB: [...c.wordsB, ...raw] };
  });
  return { A, B: B_, cs: built.value.cs, reads: [A.reads, B_.reads, built.reads], words: { a: built.value.wordsA, b: built.value.wordsB } };
}

/** Words of view-backed memories the runs read directly, not through a view. */
function rawReads(isa: Isa, runs: SymResult[]): { mem: string; addr: BV }[] {
  const backed = viewBacked(isa);
  const out: { mem: string; addr: BV }[] = [];
  for (const r of runs) {
    const viaView = new Set(r.viewAccesses.map((v) => v.phys.id()));
    for (const a of r.accesses) if (a.k === 'mem' && !a.write && backed.has(a.mem) && !viaView.has(a.addr.id())) out.push({ mem: a.mem, addr: a.addr });
  }
  return out;
}

/** Concrete states of a pair from a model, with storage repaired and checked. */
async function concretePair(
  ctx: ClassifyContext,
  model: Model<'main'>,
  P: PairSetup,
  mode: Correspondence,
  shared: boolean,
): Promise<{ a: ModelState; b: ModelState } | { problem: string }> {
  const isa = ctx.isa;
  const extraA = P.words.a.map((w) => ({ k: 'mem' as const, mem: w.mem, addr: w.addr, write: false }));
  const extraB = P.words.b.map((w) => ({ k: 'mem' as const, mem: w.mem, addr: w.addr, write: false }));
  const a = stateFromModel(isa, model, P.A.s, [...P.A.r.accesses, ...extraA], shared ? P.B.r.accesses : []);
  const b = stateFromModel(isa, model, P.B.s, [...P.B.r.accesses, ...extraB], shared ? P.A.r.accesses : []);
  if (guestViews(isa).length) {
    // One physical storage: only checked (a mode-dependent translation may still show different
    // words); separate storage: repaired where the model left words free, then checked.
    if (shared) {
      const m = await storageMismatch(ctx.z3, isa, mode, a.state, b.state, ctx.timeoutMs);
      if (m) return { problem: `the two states do not show the same guest-visible storage (${m.k})` };
    }
    const rep = shared ? { ok: true as const } : await repairStorage(ctx.z3, isa, mode, a.state, b.state, pinnedWords(a), pinnedWords(b), ctx.timeoutMs);
    if (!rep.ok) return { problem: rep.problem };
    // The report shows the repaired words too.
    for (const [name, s, ms] of [
      ['a', a.state, a],
      ['b', b.state, b],
    ] as const) {
      void name;
      for (const m of isa.memories) for (const [ad, v] of s.mem[m.name] ?? []) ms.values[`${m.name}[${toHex(BigInt(ad))}]`] = toHex(v);
    }
  }
  return { a, b };
}

/** Location sensitivity: two states in the same mode, the same plain state, different control
 *  state, the same guest-visible storage; neither memory-traps; outcomes differ in guest-visible
 *  state. `user`: both in the guest mode (the first with the assumptions). */
export function locationPair(ctx: ClassifyContext, cube: Cube, user: boolean, shared = false): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const prefix = `l${user ? 'u' : ''}${shared ? 's' : ''}`;
  const at = probeAddresses(ctx, prefix, cube);
  const P = pairSetup(ctx, cube, prefix, ['control'], 'both', shared, at);
  const built = recordReads(() => {
    const where = user ? [P.A.modes[guestIx(isa)]!, P.A.assume] : [L.or(...P.A.modes)];
    return [
      ...where,
      L.not(memTrap(ctx, P.A.r)),
      L.not(memTrap(ctx, P.B.r)),
      outcomesDiffer(ctx, P.A.r, P.B.r, visibleDiffer(ctx, P.A.r.final, P.B.r.final, ['control'], at, [P.A.s, P.B.s], writtenWords(isa, [P.A.r, P.B.r]))),
    ];
  });
  return {
    label: `location-${user ? 'guest' : 'any'}${shared ? '-shared' : ''}`,
    cs: [...cube.opsCs, ...P.cs, ...built.value],
    reads: [...P.reads, built.reads],
    extract: async (model) => {
      const c = await concretePair(ctx, model, P, 'both', shared);
      if ('problem' in c) return { problem: c.problem };
      const ops = operandsFromModel(model, cube.instr, cube.ops);
      const oa = outcomeOf(isa, cube.instr, c.a.state, ops),
        ob = outcomeOf(isa, cube.instr, c.b.state, ops);
      const n = modeOf(isa, c.a.state);
      if (!n || n !== modeOf(isa, c.b.state)) return { problem: 'the states are not in one mode' };
      if (user && (n !== isa.guestMode || !assumptionsHoldIn(isa, c.a.state))) return { problem: 'not a guest-mode state with the assumptions' };
      for (const o of [oa, ob]) if (o.kind === 'trap' && kindOf(isa, o.trap) === 'memory') return { problem: 'a run memory-trapped' };
      const diffs = await compareOutcomes(ctx, c.a.state, c.b.state, oa, ob, ['control']);
      if (diffs === 'unknown') return { problem: 'the solver gave no answer on the storage check' };
      if (diffs.length === 0) return { problem: 'the outcomes are the same' };
      const control = cube.effects.directControlReads;
      const how =
        oa.kind !== ob.kind || oa.kind === 'trap'
          ? `one ${describe(oa, isa)}, the other ${describe(ob, isa)}`
          : `they give ${diffs
              .slice(0, 3)
              .map((d) => `${d.name} ${d.a} vs ${d.b}`)
              .join(', ')}`;
      const reads = control.length
        ? `reads control state ${control.join(', ')}: `
        : cube.effects.effects.reads.some((r) => viewBacked(isa).has(r))
          ? 'reads storage past its translation: '
          : '';
      const text = `${reads}two ${n}-mode states with the same guest-visible storage but different control state: ${how}${opsText(ops)}`;
      return {
        verdict: {
          value: 'yes',
          evidence: {
            k: 'witness',
            text,
            witness: witnessOf(isa, ops, [c.a, c.b], [oa, ob], diffs, [...cube.effects.effects.reads, ...cube.effects.controlReads]),
          },
        },
      };
    },
  };
}

/** Timing dependence: a guest-mode state (with the assumptions) where it does not trap and reads
 *  a clock. */
export function timing(ctx: ClassifyContext, cube: Cube): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const R = runOn(ctx, cube, freshState(ctx.z3, isa, 't'));
  return {
    label: 'timing',
    cs: [...cube.opsCs, R.modes[guestIx(isa)]!, R.assume, L.not(anyTrap(L, R.r)), L.or(...R.r.clockReads)],
    reads: [R.reads],
    extract: async (model) => {
      const ms = stateFromModel(isa, model, R.s, R.r.accesses);
      const ops = operandsFromModel(model, cube.instr, cube.ops);
      const o = outcomeOf(isa, cube.instr, ms.state, ops);
      if (o.kind === 'trap') return { problem: `it trapped (${o.trap})` };
      if (modeOf(isa, ms.state) !== isa.guestMode) return { problem: 'not a guest-mode state' };
      const text = `in this ${isa.guestMode}-mode state it reads the clock ${cube.effects.clockReads.join(', ')} without trapping${opsText(ops)}`;
      return { verdict: { value: 'yes', evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [ms], [o], [], cube.effects.clockReads) } } };
    },
  };
}

/** The exact monitor question: a virtual state v (any virtual mode, or the guest mode for the
 *  hybrid monitor; any control values) and a corresponding real state r (guest mode, the
 *  assumptions, the same plain state, storage that maps into v's) where the instance does not
 *  trap in r and either traps in v, halts, changes a real mode or control element, changes v's
 *  mode or control (which the monitor never saw), or leaves guest-visible state different. */
export function monitorBreak(ctx: ClassifyContext, cube: Cube, hybrid: boolean, shared = false): Question {
  const isa = ctx.isa,
    L = ctx.L;
  const prefix = `${hybrid ? 'h' : 'b'}${shared ? 's' : ''}`;
  const at = probeAddresses(ctx, prefix, cube);
  // A is the real state, B the virtual one.
  const P = pairSetup(ctx, cube, prefix, hybrid ? ['control'] : ['mode', 'control'], 'inclusion', shared, at, true);
  const built = recordReads(() => {
    const real = [P.A.modes[guestIx(isa)]!, P.A.assume];
    const virt = hybrid ? P.B.modes[guestIx(isa)]! : L.or(...P.B.modes);
    const vDone = L.and(L.not(anyTrap(L, P.B.r)), L.not(P.B.r.halted));
    const breaks = L.or(
      P.A.r.halted,
      ownedChanged(ctx, P.A.s, P.A.r.final),
      anyTrap(L, P.B.r),
      P.B.r.halted,
      L.and(
        vDone,
        L.or(
          ownedChanged(ctx, P.B.s, P.B.r.final),
          visibleDiffer(ctx, P.A.r.final, P.B.r.final, ['mode', 'control'], at, undefined, writtenWords(isa, [P.A.r, P.B.r])),
        ),
      ),
    );
    return [...real, virt, L.not(anyTrap(L, P.A.r)), breaks];
  });
  return {
    label: `${hybrid ? 'hybrid' : 'monitor'}-break${shared ? '-shared' : ''}`,
    cs: [...cube.opsCs, ...P.cs, ...built.value],
    reads: [...P.reads, built.reads],
    extract: async (model) => {
      const c = await concretePair(ctx, model, P, 'inclusion', shared);
      if ('problem' in c) return { problem: c.problem };
      const ops = operandsFromModel(model, cube.instr, cube.ops);
      const real = c.a,
        virt = c.b;
      const or_ = outcomeOf(isa, cube.instr, real.state, ops),
        ov = outcomeOf(isa, cube.instr, virt.state, ops);
      const nr = modeOf(isa, real.state),
        nv = modeOf(isa, virt.state);
      if (nr !== isa.guestMode || !assumptionsHoldIn(isa, real.state)) return { problem: 'the real state is not a guest-mode state with the assumptions' };
      if (!nv || (hybrid && nv !== isa.guestMode)) return { problem: 'the virtual state is in no (allowed) mode' };
      if (or_.kind === 'trap') return { problem: `it trapped in the real state (${or_.trap})` };
      let text: string | undefined;
      let diffs: Diff[] = [];
      if (or_.kind === 'halt') text = `in the real ${nr}-mode state it halts the machine without trapping`;
      else {
        const realOwned = ownedDiffs(isa, real.state, or_.state);
        if (realOwned.length) {
          diffs = realOwned;
          text = `in the real ${nr}-mode state it changes ${realOwned
            .slice(0, 3)
            .map((d) => `${d.name} ${d.a} → ${d.b}`)
            .join(', ')} without trapping`;
        } else if (ov.kind === 'trap')
          text = `it traps (${ov.trap}) on the virtual machine in mode ${nv} but not in the real ${nr}-mode state, so the monitor never sees it`;
        else if (ov.kind === 'halt') text = `it halts the virtual machine in mode ${nv} but completes in the real ${nr}-mode state`;
        else {
          const virtOwned = ownedDiffs(isa, virt.state, ov.state);
          if (virtOwned.length) {
            diffs = virtOwned;
            text = `in virtual mode ${nv} it changes ${virtOwned
              .slice(0, 3)
              .map((d) => `${d.name} ${d.a} → ${d.b}`)
              .join(', ')}, but in the real ${nr}-mode state it runs without trapping, so the monitor never updates the virtual machine`;
          } else {
            const d = await compareOutcomes(ctx, virt.state, real.state, ov, or_, ['mode', 'control']);
            if (d === 'unknown') return { problem: 'the solver gave no answer on the storage check' };
            if (d.length) {
              diffs = d;
              text = `run directly in the real ${nr}-mode state it gives ${d
                .slice(0, 3)
                .map((x) => `${x.name} ${x.b}`)
                .join(', ')} where the virtual machine in mode ${nv} gives ${d
                .slice(0, 3)
                .map((x) => `${x.a}`)
                .join(', ')}; no trap`;
            }
          }
        }
      }
      if (!text) return { problem: 'the real run and the virtual run agree' };
      const w = witnessOf(isa, ops, [virt, real], [ov, or_], diffs, [...cube.effects.effects.reads, ...cube.effects.controlReads, ...cube.effects.modeReads]);
      return { verdict: { value: 'yes', evidence: { k: 'witness', text: `${text}${opsText(ops)}`, witness: w } } };
    },
  };
}

// ---- asking ----

export async function ask(
  ctx: ClassifyContext,
  q: Question,
  proofText: string,
  queryText: string,
  question: string,
  extraCs: B[] = [],
  extraReads: Set<ArrayRead>[] = [],
): Promise<Verdict & { problem?: string }> {
  const r = await check(ctx, [...q.cs, ...extraCs], [...q.reads, ...extraReads], q.label);
  if (r.r === 'unknown') return { value: 'unknown', evidence: { k: 'unknown', text: `undecided: ${question}`, reason: r.reason } };
  if (r.r === 'unsat') return { value: 'no', evidence: { k: 'proof', text: proofText, query: queryText, ms: r.ms } };
  const t0 = performance.now();
  const x = await q.extract(r.model);
  ctx.stats.replayMs += performance.now() - t0;
  if (x.verdict) return x.verdict;
  return {
    value: 'unknown',
    evidence: { k: 'unknown', text: `undecided: ${question}`, reason: `the solver's witness did not survive replay: ${x.problem}` },
    problem: x.problem,
  };
}

/** Try a concrete probe before the solver: a state that shows the property is as good a witness. */
export function probeFirst(
  ctx: ClassifyContext,
  cube: Cube,
  question: string,
  guest: boolean,
  confirm: (ms: ModelState, ops: Record<string, bigint>) => Extracted,
): Verdict | undefined {
  let got: Verdict | undefined;
  const t0 = performance.now();
  probe(
    ctx.isa,
    cube.instr,
    `${question}/${cube.text}`,
    guest,
    (s, ops) => {
      const ms: ModelState = { state: s, values: valuesOf(ctx.isa, s), conflicts: [] };
      const x = confirm(ms, ops);
      if (x.verdict) got = x.verdict;
      return !!x.verdict;
    },
    24,
    cube.sample,
    guestBases.get(ctx),
  );
  ctx.stats.probeMs += performance.now() - t0;
  return got;
}

/** The mode-sensitivity witness of a privileged instance, built without the solver: the
 *  most-privileged state where it completes, and the same state in the guest mode (mode bits as in
 *  the guest base state), where it traps. Undefined when that pair does not qualify (the guest-mode
 *  state shows other storage, or memory-traps). */
/** A guest-mode location witness read as a monitor-breaking pair: its first state (guest mode, the
 *  assumptions) as the real one, its second as the virtual one, checked to correspond (every
 *  address the real translation lets through, the virtual one does, with the same word) and to
 *  differ in what the virtual machine sees. */
export async function locationPairAsBreak(ctx: ClassifyContext, cube: Cube, w: Witness): Promise<Verdict | undefined> {
  const [a, b] = statesOfWitness(ctx.isa, w);
  if (!a || !b) return undefined;
  return (await asBreak(ctx, cube, w, a, b)) ?? (await asBreak(ctx, cube, w, b, a));
}

async function asBreak(ctx: ClassifyContext, cube: Cube, w: Witness, real: ConcreteState, virt: ConcreteState): Promise<Verdict | undefined> {
  const isa = ctx.isa;
  if (modeOf(isa, real) !== isa.guestMode || !assumptionsHoldIn(isa, real) || !modeOf(isa, virt)) return undefined;
  // The monitor mirrors what it does not own: the pair must agree there.
  const rm = roleMasks(isa);
  const owned = monitorOwned(isa);
  for (const [reg, m] of rm.control) if (((real.regs[reg] ?? 0n) ^ (virt.regs[reg] ?? 0n)) & m & ~(owned.bits.get(reg) ?? 0n)) return undefined;
  if (guestViews(isa).length && (await storageMismatch(ctx.z3, isa, 'inclusion', real, virt, ctx.timeoutMs))) return undefined;
  const ops = Object.fromEntries(Object.entries(w.operands).map(([k, v]) => [k, BigInt(v)]));
  const or_ = outcomeOf(isa, cube.instr, real, ops),
    ov = outcomeOf(isa, cube.instr, virt, ops);
  if (or_.kind === 'trap') return undefined;
  const d = await compareOutcomes(ctx, virt, real, ov, or_, ['mode', 'control']);
  if (d === 'unknown' || d.length === 0) return undefined;
  const ms = (s: ConcreteState): ModelState => ({ state: s, values: valuesOf(isa, s), conflicts: [] });
  const text = `run directly in the real ${isa.guestMode}-mode state it gives ${d
    .slice(0, 3)
    .map((x) => `${x.name} ${x.b}`)
    .join(', ')} where the virtual machine gives ${d
    .slice(0, 3)
    .map((x) => x.a)
    .join(', ')}; no trap${opsText(ops)}`;
  return { value: 'yes', evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [ms(virt), ms(real)], [ov, or_], d, cube.effects.effects.reads) } };
}

export async function privilegedModePair(ctx: ClassifyContext, cube: Cube, completes: Witness): Promise<Verdict | undefined> {
  const isa = ctx.isa;
  const base = guestBases.get(ctx);
  if (!base) return undefined;
  const rm = roleMasks(isa);
  const [s1] = statesOfWitness(isa, completes);
  if (!s1) return undefined;
  const s2 = structuredCloneState(s1);
  for (const [reg, m] of rm.mode) s2.regs[reg] = ((s1.regs[reg] ?? 0n) & ~m) | ((base.state.regs[reg] ?? 0n) & m);
  for (const f of isa.files) if (f.role === 'mode') s2.files[f.name] = [...base.state.files[f.name]!];
  if (modeOf(isa, s2) !== isa.guestMode) return undefined;
  const ops = Object.fromEntries(Object.entries(completes.operands).map(([k, v]) => [k, BigInt(v)]));
  const o1 = outcomeOf(isa, cube.instr, s1, ops),
    o2 = outcomeOf(isa, cube.instr, s2, ops);
  if (o1.kind === 'trap' || o2.kind !== 'trap' || kindOf(isa, o2.trap) === 'memory') return undefined;
  if (guestViews(isa).length && translationsReadMode(isa) && (await storageMismatch(ctx.z3, isa, 'both', s1, s2, ctx.timeoutMs))) return undefined;
  const ms = (s: ConcreteState): ModelState => ({ state: s, values: valuesOf(isa, s), conflicts: [] });
  const n1 = modeOf(isa, s1)!;
  const text = `in mode ${n1} it ${o1.kind === 'halt' ? 'halts' : 'completes'}, in mode ${isa.guestMode} it traps (${o2.trap})${opsText(ops)}`;
  const diffs = [{ name: 'outcome', a: describe(o1, isa), b: describe(o2, isa) }];
  return { value: 'yes', evidence: { k: 'witness', text, witness: witnessOf(isa, ops, [ms(s1), ms(s2)], [o1, o2], diffs, cube.effects.effects.reads) } };
}

/** Mode bits enumerated at most (2^MODE_BITS states per seed): every library machine has 5 or fewer. */
const MODE_BITS = 10;

/** Mode sensitivity from states already found for the instance (the guest-mode state where it
 *  completes, a control witness): the same state in each other mode — its mode bits set as that
 *  mode needs, everything else kept — run on the reference interpreter. A pair whose outcomes
 *  differ outside the mode, neither memory-trapping and with the same guest-visible storage, is a
 *  witness without the solver; modePair's query is left for the answer no. Undefined when no seed
 *  gives one. */
export async function seededModePair(ctx: ClassifyContext, cube: Cube, seeds: Witness[]): Promise<Verdict | undefined> {
  const isa = ctx.isa;
  const bits: [string, bigint][] = [];
  for (const [reg, m] of roleMasks(isa).mode) for (let b = 0n; m >> b; b++) if ((m >> b) & 1n) bits.push([reg, 1n << b]);
  if (bits.length === 0 || bits.length > MODE_BITS || isa.files.some((f) => f.role === 'mode')) return undefined;
  for (const seed of seeds) {
    const ops = operandsOfWitness(seed);
    for (const s1 of statesOfWitness(isa, seed)) {
      const n1 = modeOf(isa, s1);
      const o1 = outcomeOf(isa, cube.instr, s1, ops);
      if (!n1 || (o1.kind === 'trap' && kindOf(isa, o1.trap) === 'memory')) continue;
      const seen = new Set([n1]);
      for (let k = 0; k < 1 << bits.length; k++) {
        const s2 = structuredCloneState(s1);
        bits.forEach(([reg, bit], i) => (s2.regs[reg] = ((s2.regs[reg] ?? 0n) & ~bit) | ((k >> i) & 1 ? bit : 0n)));
        const n2 = modeOf(isa, s2);
        if (!n2 || seen.has(n2)) continue;
        seen.add(n2);
        const o2 = outcomeOf(isa, cube.instr, s2, ops);
        if (o2.kind === 'trap' && kindOf(isa, o2.trap) === 'memory') continue;
        if (guestViews(isa).length && translationsReadMode(isa) && (await storageMismatch(ctx.z3, isa, 'both', s1, s2, ctx.timeoutMs))) continue;
        const diffs = await compareOutcomes(ctx, s1, s2, o1, o2, ['mode']);
        if (diffs === 'unknown' || diffs.length === 0) continue;
        const ms = (s: ConcreteState): ModelState => ({ state: s, values: valuesOf(isa, s), conflicts: [] });
        const text = modeText(ctx, n1, n2, o1, o2, diffs, s1, s2, ops);
        return {
          value: 'yes',
          evidence: {
            k: 'witness',
            text,
            witness: witnessOf(isa, ops, [ms(s1), ms(s2)], [o1, o2], diffs, [...cube.effects.effects.reads, ...cube.effects.modeReads]),
          },
        };
      }
    }
  }
  return undefined;
}

/** Per context, a guest-mode state with the assumptions (probing starts there). */
export const guestBases = new WeakMap<ClassifyContext, { state: ConcreteState; fixed: Set<string> }>();

/** Find a guest-mode state that satisfies the assumptions, once per ISA, for probing. */
export async function findGuestBase(ctx: ClassifyContext): Promise<void> {
  if (guestBases.has(ctx)) return;
  const isa = ctx.isa;
  // The same machine in another context (a worker's next job, the language server after an edit
  // to an instruction): the canonical base is the machine's, kept by its content.
  const key = contextDigest(isa);
  const known = guestBaseByContent.get(key);
  if (known) {
    guestBases.set(ctx, known);
    return;
  }
  const s = freshState(ctx.z3, isa, 'base');
  const built = recordReads(() => [
    predicate(ctx.z3, isa, s, isa.modes[guestIx(isa)]!.when),
    ...isa.assumptions.map((a) => predicate(ctx.z3, isa, s, a.holds)),
  ]);
  const r = await check(ctx, built.value, [built.reads], 'guest base');
  if (r.r !== 'sat') return;
  const ms = stateFromModel(isa, r.model, s, []);
  const fixed = new Set<string>();
  for (const e of [isa.modes[guestIx(isa)]!.when, ...isa.assumptions.map((a) => a.holds)])
    walkExpr(e, (x) => void ((x.k === 'reg' || x.k === 'field') && fixed.add(x.reg)));
  // Canonical, whatever model the solver gave (which depends on the history of the term context,
  // so on the worker): every register zero but the bits the guest mode and the assumptions need.
  const base = ms.state;
  const ok = (st: ConcreteState) => modeOf(isa, st) === isa.guestMode && assumptionsHoldIn(isa, st);
  for (const reg of isa.registers) if (!fixed.has(reg.name)) base.regs[reg.name] = 0n;
  for (const reg of isa.registers) {
    if (!fixed.has(reg.name)) continue;
    for (let b = reg.width - 1; b >= 0; b--) {
      const v = base.regs[reg.name] ?? 0n;
      if (!((v >> BigInt(b)) & 1n)) continue;
      base.regs[reg.name] = v & ~(1n << BigInt(b));
      if (!ok(base)) base.regs[reg.name] = v;
    }
  }
  guestBases.set(ctx, { state: base, fixed });
  if (guestBaseByContent.size >= 256) guestBaseByContent.clear();
  guestBaseByContent.set(key, { state: base, fixed });
}

/** Canonical guest-mode base states by machine content (cache.ts contextDigest). */
const guestBaseByContent = new Map<string, { state: ConcreteState; fixed: Set<string> }>();

export const confirmers = { guestCompletes: confirmGuestCompletes, mostCompletes: confirmMostCompletes, control: confirmControl };
