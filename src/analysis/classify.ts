// The Popek–Goldberg questions for one instruction, each answered with evidence: a syntactic
// argument, a solver proof (unsat), a witness the reference interpreter replayed, or unknown when
// the solver hit its bound. Definitions: shared/DESIGN.md, "The model".

import type { Model } from 'z3-solver';
import type { Instruction, Isa } from '../ir/types.js';
import type { ConcreteState } from '../exec/state.js';
import { modeOf } from '../exec/interpret.js';
import { printExpr } from './print.js';
import { probe } from './probe.js';
import { instructionEffects, roleMasks, syntacticInnocuous, type EffectsDetail } from './effects.js';
import {
  freshState,
  freshVirtual,
  Logic,
  operandTerms,
  predicate,
  runSymbolic,
  type Access,
  SymArray,
  modelReads,
  readConsistency,
  recordReads,
  solve,
  type ArrayRead,
  type B,
  type BV,
  type SymResult,
  type SymState,
  type Z3,
} from './symbolic.js';
import {
  makeWitness,
  operandsFromModel,
  replayControlChange,
  replayPair,
  replayNoPrivilegeTrap,
  replayPrivilegeTrap,
  stateFromModel,
  operandsOfWitness,
  statesOfWitness,
  witnessOutcome,
  witnessState,
  type Diff,
  type ModelState,
  type Replayed,
  type WriteSets,
} from './witness.js';
import type { Evidence, InstructionClassification, PrivilegeVerdict, Tri, Verdict, Witness, WitnessState } from './types.js';

export interface ClassifyContext {
  z3: Z3;
  isa: Isa;
  L: Logic;
  timeoutMs: number;
  /** Z3 resource limit per query (deterministic, unlike the time bound); 0: none. */
  rlimit: number;
  stats: { solverQueries: number; solverMs: number };
  errors: string[];
  /** Models of the instruction being classified, released when it is done. */
  models: Model<'main'>[];
  /** Fresh array indices made for the instruction being classified. */
  indices: number;
}

type QResult =
  | { r: 'sat'; model: Model<'main'>; ms: number }
  | { r: 'unsat'; ms: number }
  | { r: 'unknown'; reason: string; ms: number };

/** Ask whether `cs` can hold together; `reads` are the array reads the terms contain (their read
 *  consistency joins the query). */
async function check(ctx: ClassifyContext, cs: B[], reads: Iterable<Set<ArrayRead>>, label = ''): Promise<QResult> {
  // A conjunct that folded to false (e.g. both runs' results are the same term): unsat as it stands.
  if (cs.some((c) => ctx.L.isF(c))) return { r: 'unsat', ms: 0 };
  const used = new Set<ArrayRead>();
  for (const rs of reads) for (const r of rs) used.add(r);
  const assertions = [...cs.filter((c) => !ctx.L.isT(c)), ...readConsistency(ctx.z3, used)];
  const debug = process.env.ISAVIRT_DEBUG_SOLVER;
  let dumped = '';
  const t0 = performance.now();
  const a = await solve(assertions, { timeoutMs: ctx.timeoutMs, rlimit: ctx.rlimit, dump: debug === 'dump' ? (t) => (dumped = t) : undefined });
  const ms = Math.round((performance.now() - t0) * 10) / 10;
  ctx.stats.solverQueries++;
  ctx.stats.solverMs += ms;
  // ISAVIRT_DEBUG_SOLVER=1 prints each query's answer and time; =dump also writes it as SMT-LIB.
  if (debug) {
    process.stderr.write(`solver ${label} ${a.r} ${ms} ms\n`);
    if (dumped) {
      const fs = await import('node:fs');
      fs.writeFileSync(`/tmp/q${ctx.stats.solverQueries}.smt2`, dumped);
    }
  }
  if (a.r === 'sat') {
    modelReads.set(a.model, used);
    ctx.models.push(a.model);
    return { r: 'sat', model: a.model, ms };
  }
  if (a.r === 'unsat') return { r: 'unsat', ms };
  return { r: 'unknown', reason: `the solver gave no answer within its bounds (${ctx.timeoutMs} ms${ctx.rlimit ? `, resource limit ${ctx.rlimit}` : ''})`, ms };
}

// ---- the symbolic picture of one instruction ----

interface Sym {
  instr: Instruction;
  ops: Map<string, BV>;
  s1: SymState;
  r1: SymResult;
  modes1: B[];
  guestIx: number;
  assume1: B;
  /** The array reads in r1, modes1 and assume1 (r1's alone are r1.reads). */
  reads: Set<ArrayRead>;
  /** The array reads in modes1 and assume1. */
  predReads: Set<ArrayRead>;
  /** s1 with views as one virtual array each, and the run from it (two-state questions). */
  virtual: () => { v1: SymState; r1: SymResult };
}

function anyTrap(L: Logic, r: SymResult): B {
  return L.or(...r.traps.map((t) => t.cond));
}

function privTrap(ctx: ClassifyContext, r: SymResult): B {
  const kinds = new Map(ctx.isa.traps.map((t) => [t.name, t.kind]));
  return ctx.L.or(...r.traps.filter((t) => kinds.get(t.trap) === 'privilege').map((t) => t.cond));
}

function modePreds(ctx: ClassifyContext, s: SymState): B[] {
  return ctx.isa.modes.map((m) => predicate(ctx.z3, ctx.isa, s, m.when));
}

function assumptions(ctx: ClassifyContext, s: SymState): B {
  return ctx.L.and(...ctx.isa.assumptions.map((a) => predicate(ctx.z3, ctx.isa, s, a.holds)));
}

/** Registers whose bits in `masks` are replaced by fresh values; files/memories of `role` fresh. */
function varyRole(ctx: ClassifyContext, s: SymState, role: 'mode' | 'control', prefix: string): SymState {
  const z3 = ctx.z3;
  const masks = role === 'mode' ? roleMasks(ctx.isa).mode : roleMasks(ctx.isa).control;
  const regs = new Map(s.regs);
  for (const [reg, m] of masks) {
    const old = s.regs.get(reg)!;
    const w = old.size();
    const fresh = z3.BitVec.const(`${prefix}.${reg}`, w);
    const mv = z3.BitVec.val(m, w);
    regs.set(reg, old.and(mv.not()).or(fresh.and(mv)));
  }
  const files = new Map(s.files);
  for (const f of ctx.isa.files) {
    if (f.role === role) {
      const b = s.files.get(f.name)!.base;
      files.set(f.name, SymArray.fresh(z3, `${prefix}.${f.name}`, b.idxW, b.valW));
    }
  }
  const mems = new Map(s.mems);
  for (const m of ctx.isa.memories) {
    if (m.role === role) {
      const b = s.mems.get(m.name)!.base;
      mems.set(m.name, SymArray.fresh(z3, `${prefix}.${m.name}`, b.idxW, b.valW));
    }
  }
  return { regs, files, mems, virt: s.virt };
}

function regsDiffer(ctx: ClassifyContext, a: SymState, b: SymState, bitsOf: (reg: string) => bigint): B[] {
  const out: B[] = [];
  for (const r of ctx.isa.registers) {
    const m = bitsOf(r.name) & ((1n << BigInt(r.width)) - 1n);
    if (!m) continue;
    const x = a.regs.get(r.name)!, y = b.regs.get(r.name)!;
    if (x.eqIdentity(y)) continue;
    const mv = ctx.z3.BitVec.val(m, r.width);
    out.push(x.xor(y).and(mv).neq(ctx.z3.BitVec.val(0, r.width)));
  }
  return out;
}

/** A fresh index: "the arrays differ" is "they differ at some index k". Numbered per instruction
 *  (ctx.indices is reset by classifyInstruction) so a query's names do not depend on history. */
function someIndex(ctx: ClassifyContext, a: SymArray): BV {
  return ctx.z3.BitVec.const(`k!${ctx.indices++}`, a.base.idxW);
}

function arraysDiffer(ctx: ClassifyContext, a: Map<string, SymArray>, b: Map<string, SymArray>, names: string[]): B[] {
  const out: B[] = [];
  for (const n of names) {
    const x = a.get(n)!, y = b.get(n)!;
    if (x.sameAs(y)) continue;
    const k = someIndex(ctx, x);
    out.push(x.select(k, ctx.L).neq(y.select(k, ctx.L)));
  }
  return out;
}

function modeName(isa: Isa, s: ConcreteState, fallback: string): string {
  return stateMode(isa, s) ?? fallback;
}

function stateMode(isa: Isa, s: ConcreteState): string | undefined {
  return modeOf(isa, s);
}

function listDiffs(diffs: Diff[], arrow = ' vs '): string {
  return diffs
    .slice(0, 4)
    .map((d) => `${d.name} ${d.a}${arrow}${d.b}`)
    .join(', ') + (diffs.length > 4 ? `, and ${diffs.length - 4} more` : '');
}

function unknownEvidence(question: string, reason: string): Evidence {
  return { k: 'unknown', text: `undecided: ${question}`, reason };
}

/** A witness the replay refuted is a bug in the analysis: say so loudly, answer unknown. */
function refuted(ctx: ClassifyContext, instr: Instruction, question: string, rp: Replayed, conflicts: string[]): Evidence {
  const msg = `${instr.mnemonic}: the ${question} witness was not confirmed by replay (${rp.problem ?? 'no difference'})${conflicts.length ? `; conflicting words: ${conflicts.join(', ')}` : ''}`;
  ctx.errors.push(msg);
  return { k: 'unknown', text: `undecided: ${question}`, reason: msg };
}

// ---- privilege ----

/** `guestRun`: a verdict whose witness is a guest-mode state where the instruction completes (the
 *  control-sensitivity witness in guest mode); it shows at once that the instruction does not
 *  always trap there, so that question is not asked again. */
async function classifyPrivileged(ctx: ClassifyContext, d: EffectsDetail, sym: () => Sym, guestRun?: Verdict): Promise<PrivilegeVerdict> {
  const isa = ctx.isa;
  const L = ctx.L;
  const priv = d.effects.traps.filter((t) => t.kind === 'privilege');
  if (priv.length === 0) {
    return { value: 'no', evidence: { k: 'syntactic', text: 'never raises a privilege trap' } };
  }
  const S = sym();
  const guest = isa.guestMode;
  const most = isa.modes[0]!.name;
  const p = privTrap(ctx, S.r1);
  const assumeText = isa.assumptions.length ? ' satisfying the assumptions' : '';
  let known: { ops: Record<string, bigint>; state: WitnessState; rp: Replayed } | undefined;
  if (guestRun?.value === 'yes' && guestRun.evidence.k === 'witness') {
    const w = guestRun.evidence.witness;
    const ops = operandsOfWitness(w);
    const rp = replayNoPrivilegeTrap(isa, S.instr, statesOfWitness(isa, w)[0]!, ops);
    if (rp.confirmed) known = { ops, state: w.states[0]!, rp };
  }
  if (!known) {
    // A guest-mode state where it completes or traps for something else, found by probing.
    const found = probe(isa, S.instr, 'no-privilege-trap', true, (s, ops) => replayNoPrivilegeTrap(isa, S.instr, s, ops).confirmed);
    if (found) known = { ops: found.ops, state: witnessState(isa, found.ms), rp: replayNoPrivilegeTrap(isa, S.instr, found.ms.state, found.ops) };
  }
  // The solver's proof that the instruction is privileged, whichever queries established it.
  const provedPrivileged = (ms: number): PrivilegeVerdict => ({
    value: 'yes',
    evidence: {
      k: 'proof',
      text: `traps for privilege (${priv.map((t) => t.trap).join(', ')}) in every ${guest}-mode state${assumeText}, and in no ${most}-mode state`,
      query: `unsat: ${guest}(s)${assumeText ? ' ∧ assumptions(s)' : ''} ∧ ¬privilege_trap(s, ops); unsat: ${most}(s) ∧ privilege_trap(s, ops)`,
      ms,
    },
  });
  if (!known) {
    // Both halves of the definition in one query: (guest ∧ ¬trap) ∨ (most privileged ∧ trap) is
    // unsat exactly when it is privileged; a model says which half fails.
    const inGuest = L.and(S.modes1[S.guestIx]!, S.assume1, L.not(p));
    const inMost = L.and(S.modes1[0]!, p);
    const both = await check(ctx, [L.or(inGuest, inMost)], [S.reads], `${S.instr.mnemonic} priv-both`);
    if (both.r === 'unsat') {
      return provedPrivileged(both.ms);
    }
    const guestFails = both.r === 'sat' && ctx.z3.isTrue(both.model.eval(inGuest, true));
    const q1 = guestFails ? both : await check(ctx, [S.modes1[S.guestIx]!, S.assume1, L.not(p)], [S.reads], `${S.instr.mnemonic} priv-guest`);
    if (q1.r === 'unknown') return { value: 'unknown', evidence: unknownEvidence(`does it always trap for privilege in mode ${guest}?`, q1.reason) };
    if (q1.r === 'unsat') {
      const q2 = both.r === 'sat' ? both : await check(ctx, [S.modes1[0]!, p], [S.reads], `${S.instr.mnemonic} priv-most`);
      if (q2.r === 'unknown') return { value: 'unknown', evidence: unknownEvidence(`can it trap for privilege in mode ${most}?`, q2.reason) };
      if (q2.r === 'unsat') {
        return provedPrivileged(q1.ms + q2.ms);
      }
      // Traps for privilege even in the most privileged mode: not privileged in P&G's sense.
      const ms = stateFromModel(isa, q2.model, S.s1, S.r1.accesses);
      const ops = operandsFromModel(q2.model, S.instr, S.ops);
      const rp = replayPrivilegeTrap(isa, S.instr, ms.state, ops);
      if (!rp.confirmed) return { value: 'unknown', evidence: refuted(ctx, S.instr, 'privilege', rp, ms.conflicts) };
      const w = makeWitness(ops, [witnessState(isa, ms)], [witnessOutcome(rp.outcomes[0]!, [], 'a')], [], true);
      return { value: 'no', evidence: { k: 'witness', text: `traps for privilege even in mode ${most}`, witness: w } };
    }
    // Some guest state does not trap for privilege.
    const ms = stateFromModel(isa, q1.model, S.s1, S.r1.accesses);
    const ops = operandsFromModel(q1.model, S.instr, S.ops);
    const rp = replayNoPrivilegeTrap(isa, S.instr, ms.state, ops);
    if (!rp.confirmed) return { value: 'unknown', evidence: refuted(ctx, S.instr, 'privilege', rp, ms.conflicts) };
    known = { ops, state: witnessState(isa, ms), rp };
  }
  const o = known.rp.outcomes[0]!;
  const w: Witness = makeWitness(known.ops, [known.state], [witnessOutcome(o, [], 'a')], [], true);
  const how = o.kind === 'trap' ? `traps only for ${o.trap}` : 'does not trap';
  // Does it trap for privilege in some guest-mode state? A probed state that does answers yes.
  const trapsSometimes =
    probe(isa, S.instr, 'privilege-trap', true, (s, ops) => replayPrivilegeTrap(isa, S.instr, s, ops).confirmed) !== undefined ||
    (await check(ctx, [S.modes1[S.guestIx]!, S.assume1, p], [S.reads], `${S.instr.mnemonic} priv-cond`)).r === 'sat';
  if (trapsSometimes) {
    const condition = printExpr(d.privilegeCondition);
    return {
      value: 'conditional',
      condition,
      evidence: { k: 'witness', text: `in mode ${guest} it traps for privilege only when ${condition}; in this ${guest}-mode state it ${how}`, witness: w },
    };
  }
  return { value: 'no', evidence: { k: 'witness', text: `in this ${guest}-mode state it ${how}`, witness: w } };
}

// ---- control sensitivity ----

function controlChange(ctx: ClassifyContext, s: SymState, r: SymResult): B {
  const rm = roleMasks(ctx.isa);
  const owned = ctx.isa.files.filter((f) => f.role !== 'plain').map((f) => f.name);
  const ownedM = ctx.isa.memories.filter((m) => m.role !== 'plain').map((m) => m.name);
  return ctx.L.or(
    ...regsDiffer(ctx, s, r.final, (reg) => (rm.mode.get(reg) ?? 0n) | (rm.control.get(reg) ?? 0n)),
    ...arraysDiffer(ctx, s.files, r.final.files, owned),
    ...arraysDiffer(ctx, s.mems, r.final.mems, ownedM),
  );
}

async function classifyControl(ctx: ClassifyContext, d: EffectsDetail, sym: () => Sym, user: boolean): Promise<Verdict> {
  const isa = ctx.isa;
  const e = d.effects;
  // Halting is not a change of state in this model (DESIGN.md, "The model"); a halt that differs
  // between two runs still counts as a different result in the two-state questions.
  if (!e.writesMode && !e.writesControl) {
    return { value: 'no', evidence: { k: 'syntactic', text: 'never writes mode or control state' } };
  }
  const S = sym();
  const L = ctx.L;
  const where = user ? [S.modes1[S.guestIx]!, S.assume1] : [L.or(...S.modes1)];
  const scope = user ? `mode ${isa.guestMode}${isa.assumptions.length ? ' (with the assumptions)' : ''}` : 'any mode';
  // A witness found by probing concrete states needs no query.
  const found = probe(isa, S.instr, `control-${user}`, user, (s, ops) => replayControlChange(isa, S.instr, s, ops).confirmed);
  if (found) return controlWitness(ctx, S, found.ms, found.ops);
  const change = recordReads(() => controlChange(ctx, S.s1, S.r1));
  const q = await check(ctx, [...where, L.not(anyTrap(L, S.r1)), change.value], [S.reads, change.reads], `${S.instr.mnemonic} control ${user ? 'guest' : 'any'}`);
  if (q.r === 'unknown') return { value: 'unknown', evidence: unknownEvidence(`can it change mode or control state without trapping in ${scope}?`, q.reason) };
  if (q.r === 'unsat') {
    return {
      value: 'no',
      evidence: {
        k: 'proof',
        text: `in ${scope} it never changes mode or control state without trapping${e.writesMode || e.writesControl ? ' (every write leaves the value as it was, or traps)' : ''}`,
        query: `unsat: ${user ? `${isa.guestMode}(s) ∧ assumptions(s)` : 'some_mode(s)'} ∧ ¬trap(s, ops) ∧ owned(s') ≠ owned(s)`,
        ms: q.ms,
      },
    };
  }
  return controlWitness(ctx, S, stateFromModel(isa, q.model, S.s1, S.r1.accesses), operandsFromModel(q.model, S.instr, S.ops));
}

function controlWitness(ctx: ClassifyContext, S: Sym, ms: ModelState, ops: Record<string, bigint>): Verdict {
  const isa = ctx.isa;
  const rp = replayControlChange(isa, S.instr, ms.state, ops);
  if (!rp.confirmed) return { value: 'unknown', evidence: refuted(ctx, S.instr, 'control-sensitivity', rp, ms.conflicts) };
  const mode = modeName(isa, ms.state, '?');
  const w = makeWitness(ops, [witnessState(isa, ms)], [witnessOutcome(rp.outcomes[0]!, rp.diffs, 'b')], rp.diffs.map((x) => `${x.name}: ${x.a} → ${x.b}`), true);
  const text = `in mode ${mode} it changes ${listDiffs(rp.diffs, ' → ')} without trapping`;
  return { value: 'yes', evidence: { k: 'witness', text, witness: w } };
}

// ---- behaviour sensitivity: two states that differ only in mode, or only in control ----

/** Does running from v1 and from v2 give different results? (the varied role's own bits excepted:
 *  mode bits are not compared; control bits only where some run changed them). */
function resultsDiffer(ctx: ClassifyContext, varied: 'mode' | 'control', v1: SymState, v2: SymState, r1: SymResult, r2: SymResult): B {
  const isa = ctx.isa;
  const z3 = ctx.z3;
  const L = ctx.L;
  const rm = roleMasks(isa);
  const vm = varied === 'mode' ? rm.mode : rm.control;
  const differ: B[] = [...regsDiffer(ctx, r1.final, r2.final, (reg) => ~(vm.get(reg) ?? 0n))];
  differ.push(...arraysDiffer(ctx, r1.final.files, r2.final.files, isa.files.filter((f) => f.role !== varied).map((f) => f.name)));
  differ.push(...arraysDiffer(ctx, r1.final.mems, r2.final.mems, isa.memories.filter((m) => m.role !== varied).map((m) => m.name)));
  differ.push(...arraysDiffer(ctx, r1.final.virt!, r2.final.virt!, isa.views.map((v) => v.name)));
  if (varied === 'control') {
    // Control bits differ initially by design: compare only the bits some run changed.
    for (const [reg, m] of vm) {
      const w = v1.regs.get(reg)!.size();
      const i1 = v1.regs.get(reg)!, i2 = v2.regs.get(reg)!;
      const f1 = r1.final.regs.get(reg)!, f2 = r2.final.regs.get(reg)!;
      if (f1.eqIdentity(i1) && f2.eqIdentity(i2)) continue;
      const changed = f1.xor(i1).or(f2.xor(i2));
      differ.push(f1.xor(f2).and(changed).and(z3.BitVec.val(m, w)).neq(z3.BitVec.val(0, w)));
    }
    // Control files and memories likewise, entry by entry: some entry k changed by a run differs.
    const pickers = [
      ...isa.files.filter((f) => f.role === 'control').map((f) => [f.name, (s: SymState) => s.files.get(f.name)!] as const),
      ...isa.memories.filter((m) => m.role === 'control').map((m) => [m.name, (s: SymState) => s.mems.get(m.name)!] as const),
    ];
    for (const [name, pick] of pickers) {
      const i1 = pick(v1), i2 = pick(v2), f1 = pick(r1.final), f2 = pick(r2.final);
      if (f1.sameAs(i1) && f2.sameAs(i2)) continue;
      void name;
      const k = someIndex(ctx, i1);
      const at = (a: SymArray) => a.select(k, L);
      differ.push(L.and(L.or(at(f1).neq(at(i1)), at(f2).neq(at(i2))), at(f1).neq(at(f2))));
    }
  }
  if (!(L.isF(r1.halted) && L.isF(r2.halted))) differ.push(z3.Xor(r1.halted, r2.halted));
  return L.or(...differ);
}

/** Mode sensitivity (varied = mode) or location sensitivity (varied = control). Views read one
 *  shared virtual array in both states: memory seen through the translation, shifted to match. */
async function classifyPair(ctx: ClassifyContext, d: EffectsDetail, sym: () => Sym, varied: 'mode' | 'control', user: boolean): Promise<Verdict> {
  const isa = ctx.isa;
  const question = varied === 'mode' ? 'mode-sensitivity' : 'location-sensitivity';
  if (varied === 'mode' && !d.effects.readsMode) {
    return { value: 'no', evidence: { k: 'syntactic', text: 'never reads mode state (not even through a translation)' } };
  }
  if (varied === 'mode' && isa.modes.length < 2) return { value: 'no', evidence: { k: 'syntactic', text: 'the machine has only one mode' } };
  if (varied === 'control' && !d.effects.readsControl) {
    return { value: 'no', evidence: { k: 'syntactic', text: 'never reads control state (not even through a translation)' } };
  }
  // Read only inside translations: memory seen through a translation is the same in both states
  // (shifted to match), so whenever neither run traps the results are the same terms.
  const direct = varied === 'mode' ? d.directModeReads : d.directControlReads;
  if (direct.length === 0) {
    const what = varied === 'mode' ? 'mode' : 'control';
    const via = varied === 'mode' ? d.modeReads : d.controlReads;
    return {
      value: 'no',
      evidence: {
        k: 'syntactic',
        text: `reads ${what} state (${via.join(', ')}) only inside the translation of its memory accesses; memory seen through the translation is the same in both states, so whenever neither traps the results agree`,
      },
    };
  }
  const S = sym();
  const L = ctx.L;
  const z3 = ctx.z3;
  const { v1, r1 } = S.virtual();
  const assumeText = isa.assumptions.length ? ' (with the assumptions)' : '';
  let scope = '';
  // Everything this question builds beyond the cached run r1, with the array reads it makes.
  const built = recordReads(() => {
    const v2 = varyRole(ctx, v1, varied, 's2');
    const r2 = runSymbolic(z3, isa, S.instr, v2, S.ops);
    const cs: B[] = [L.not(anyTrap(L, r1)), L.not(anyTrap(L, r2)), resultsDiffer(ctx, varied, v1, v2, r1, r2)];
    if (varied === 'mode') {
      const modes2 = modePreds(ctx, v2);
      const pairs: B[] = [];
      S.modes1.forEach((m1, i) => {
        if (user && i !== S.guestIx) return;
        modes2.forEach((m2, j) => {
          if (i !== j) pairs.push(L.and(m1, m2));
        });
      });
      cs.push(L.or(...pairs));
      if (user) cs.push(S.assume1);
      scope = user ? `a ${isa.guestMode}-mode state${assumeText} and the same state in another mode` : 'two states that differ only in mode';
    } else {
      // Both states in the guest mode (the mode is not varied, but say so: it is the definition).
      // The assumptions are invariants the monitor keeps on the real machine, so they constrain
      // the real state s1 only; s2 stands for the machine the guest believes it runs on, whose
      // control state is the guest's own (e.g. a guest OS may give its user process IOPL 3 while
      // the monitor keeps the real IOPL below 3).
      if (user) cs.push(S.modes1[S.guestIx]!, modePreds(ctx, v2)[S.guestIx]!, S.assume1);
      else cs.push(L.or(...S.modes1));
      scope = user ? `two ${isa.guestMode}-mode states${assumeText} that differ only in control state` : 'two states that differ only in control state';
    }
    return { v2, r2, cs };
  });
  const { v2, r2, cs } = built.value;
  const reads = [S.predReads, r1.reads, built.reads];
  let q = await check(ctx, cs, reads, `${S.instr.mnemonic} ${varied}-pair ${user ? 'guest' : 'any'}`);
  let m1: ModelState | undefined, m2: ModelState | undefined;
  if (q.r === 'sat') {
    m1 = stateFromModel(isa, q.model, v1, r1.accesses, r2.accesses);
    m2 = stateFromModel(isa, q.model, v2, r2.accesses, r1.accesses);
    if (m1.conflicts.length || m2.conflicts.length) {
      // The model put a word seen through a view and another word at one physical place with
      // different values (views are separate arrays here). Ask again with that aliasing made
      // consistent; concrete states satisfy these constraints, so an unsat answer is still a proof.
      const al = recordReads(() => [...aliasing(ctx, v1, r1), ...aliasing(ctx, v2, r2)]);
      q = await check(ctx, [...cs, ...al.value], [...reads, al.reads], `${S.instr.mnemonic} ${varied}-pair aliasing`);
      if (q.r === 'sat') {
        m1 = stateFromModel(isa, q.model, v1, r1.accesses, r2.accesses);
        m2 = stateFromModel(isa, q.model, v2, r2.accesses, r1.accesses);
      }
    }
  }
  if (q.r === 'unknown') return { value: 'unknown', evidence: unknownEvidence(`do ${scope} give different results?`, q.reason) };
  if (q.r === 'unsat' || !m1 || !m2) {
    const views = isa.views.length ? ', memory seen through the translation shifted to match' : '';
    return {
      value: 'no',
      evidence: {
        k: 'proof',
        text: `${scope}${views}: whenever neither traps, the results agree${varied === 'mode' ? ' outside the mode' : ''}`,
        query: `unsat: s2 = s1 except ${varied}, views equal${varied === 'mode' ? ' ∧ mode(s1) ≠ mode(s2)' : ''}${user ? (varied === 'control' ? ` ∧ ${isa.guestMode}(s1) ∧ ${isa.guestMode}(s2) ∧ assumptions(s1)` : ` ∧ ${isa.guestMode}(s1) ∧ assumptions(s1)`) : ''} ∧ ¬trap(s1) ∧ ¬trap(s2) ∧ result(s1) ≠ result(s2)`,
        ms: q.ms,
      },
    };
  }
  const ops = operandsFromModel(q.model, S.instr, S.ops);
  const rp = replayPair(isa, S.instr, varied, m1.state, m2.state, ops, writeSets(q.model, r1.accesses, r2.accesses));
  if (!rp.confirmed) return { value: 'unknown', evidence: refuted(ctx, S.instr, question, rp, [...m1.conflicts, ...m2.conflicts]) };
  const n1 = modeName(isa, m1.state, '?'), n2 = modeName(isa, m2.state, '?');
  const w = makeWitness(
    ops,
    [witnessState(isa, m1), witnessState(isa, m2)],
    [witnessOutcome(rp.outcomes[0]!, rp.diffs, 'a'), witnessOutcome(rp.outcomes[1]!, rp.diffs, 'b')],
    rp.diffs.map((x) => (varied === 'mode' ? `${x.name}: ${x.a} in mode ${n1}, ${x.b} in mode ${n2}` : `${x.name}: ${x.a} vs ${x.b}`)),
    true,
  );
  if (varied === 'control') {
    const text = `reads ${d.controlReads.join(', ')}, which the monitor owns: two ${n1}-mode states that differ only there give ${listDiffs(rp.diffs)}; no trap`;
    return { value: 'yes', evidence: { k: 'witness', text, witness: w } };
  }
  // A write that happens in one mode and not the other reads best as "silently dropped".
  let dropped: { name: string; inMode: string; other: string } | undefined;
  for (const x of rp.diffs) {
    const kept1 = valueOf(isa, m1.state, x.name) === x.a, kept2 = valueOf(isa, m2.state, x.name) === x.b;
    if (kept1 && !kept2) dropped = { name: x.name, inMode: n1, other: n2 };
    else if (kept2 && !kept1) dropped = { name: x.name, inMode: n2, other: n1 };
    if (dropped) break;
  }
  const text = dropped
    ? `in mode ${dropped.inMode} the write to ${dropped.name} is silently dropped (in mode ${dropped.other} it takes effect); no trap`
    : `the result depends on the mode: ${rp.diffs.slice(0, 3).map((x) => `${x.name} is ${x.a} in mode ${n1} but ${x.b} in mode ${n2}`).join('; ')}; no trap`;
  return { value: 'yes', evidence: { k: 'witness', text, witness: w } };
}

/** The value of a named element ("EFLAGS.IF", "r[2]", "E[0x10]") in a state, as hex. */
function valueOf(isa: Isa, s: ConcreteState, name: string): string | undefined {
  const m = /^(\w+)\[(0x[0-9a-f]+|\d+)\]$/.exec(name);
  if (m) {
    const [, el, idx] = m;
    if (s.files[el!]) return '0x' + (s.files[el!]![Number(idx)] ?? 0n).toString(16);
    if (s.mem[el!]) return '0x' + (s.mem[el!]!.get(Number(idx)) ?? 0n).toString(16);
    return undefined;
  }
  const [reg, field] = name.split('.');
  const r = isa.registers.find((x) => x.name === reg);
  if (!r) return undefined;
  const v = s.regs[reg!] ?? 0n;
  if (!field) return '0x' + v.toString(16);
  const f = r.fields.find((x) => x.name === field)!;
  return '0x' + ((v >> BigInt(f.lo)) & ((1n << BigInt(f.hi - f.lo + 1)) - 1n)).toString(16);
}

/** In one state, a word read through a view and a word read at the same physical address
 *  (raw, or through the view at another virtual address) are one word. */
function aliasing(ctx: ClassifyContext, v: SymState, r: SymResult): B[] {
  const out: B[] = [];
  const views = r.accesses.filter((a): a is Extract<Access, { k: 'view' }> => a.k === 'view');
  const vals = views.map((a) => v.virt!.get(a.view)!.base.read(a.vaddr));
  views.forEach((a, i) => {
    for (const rd of v.mems.get(a.mem)!.base.reads) out.push(ctx.z3.Implies(a.phys.eq(rd.addr), vals[i]!.eq(rd.val)));
    for (let j = 0; j < i; j++) {
      const b = views[j]!;
      if (b.mem !== a.mem || b.vaddr.eqIdentity(a.vaddr)) continue;
      out.push(ctx.z3.Implies(a.phys.eq(b.phys), vals[i]!.eq(vals[j]!)));
    }
  });
  return out;
}

/** Concrete words written in the two runs (raw memory by physical address, views by virtual). */
function writeSets(model: Model<'main'>, a1: Access[], a2: Access[]): WriteSets {
  const num = (t: BV) => (model.eval(t, true) as unknown as { value(): bigint }).value();
  const raw: WriteSets['raw'] = [];
  const view: WriteSets['view'] = [];
  for (const a of [...a1, ...a2]) {
    if (a.k === 'mem' && a.write) raw.push({ mem: a.mem, addr: Number(num(a.addr)) });
    if (a.k === 'view' && a.write) view.push({ view: a.view, vaddr: num(a.vaddr) });
  }
  return { raw, view };
}

// ---- one instruction ----

function orTri(...xs: Tri[]): Tri {
  if (xs.includes('yes')) return 'yes';
  if (xs.includes('unknown')) return 'unknown';
  return 'no';
}

export async function classifyInstruction(ctx: ClassifyContext, instr: Instruction): Promise<InstructionClassification> {
  const isa = ctx.isa;
  ctx.indices = 0;
  const d = instructionEffects(isa, instr);
  let cached: Sym | undefined;
  let virt: { v1: SymState; r1: SymResult } | undefined;
  // Built on first need and shared by every question: syntactically innocuous instructions never
  // touch the solver, and no instruction is executed symbolically twice from the same state.
  const sym = (): Sym => {
    if (cached) return cached;
    const s1 = freshState(ctx.z3, isa, 's1');
    const ops = operandTerms(ctx.z3, instr);
    const r1 = runSymbolic(ctx.z3, isa, instr, s1, ops);
    const preds = recordReads(() => ({ modes1: modePreds(ctx, s1), assume1: assumptions(ctx, s1) }));
    cached = {
      instr,
      ops,
      s1,
      r1,
      ...preds.value,
      reads: new Set([...r1.reads, ...preds.reads]),
      predReads: preds.reads,
      guestIx: Math.max(0, isa.modes.findIndex((m) => m.name === isa.guestMode)),
      virtual: () => {
        if (!virt) {
          const v1: SymState = { ...s1, virt: freshVirtual(ctx.z3, isa, 'virt') };
          virt = { v1, r1: runSymbolic(ctx.z3, isa, instr, v1, ops) };
        }
        return virt;
      },
    };
    return cached;
  };

  const timing: Verdict = d.clockReads.length
    ? { value: 'yes', evidence: { k: 'syntactic', text: `reads the clock ${d.clockReads.join(', ')}` } }
    : { value: 'no', evidence: { k: 'syntactic', text: 'reads no clock' } };
  const inn = syntacticInnocuous(d);
  let privileged: PrivilegeVerdict;
  let control: Verdict, mode: Verdict, location: Verdict, userSensitive: Verdict;
  if (inn) {
    privileged = await classifyPrivileged(ctx, d, sym);
    const ev: Evidence = { k: 'syntactic', text: inn };
    control = { value: 'no', evidence: ev };
    mode = { value: 'no', evidence: ev };
    location = { value: 'no', evidence: ev };
    userSensitive = { value: 'no', evidence: ev };
  } else {
    // An instruction that may trap for privilege and writes owned state: ask first whether it
    // changes that state in guest mode without trapping. A witness answers that question and
    // shows it does not always trap there (the privilege question), in one query.
    const e = d.effects;
    const mayTrapForPrivilege = e.traps.some((t) => t.kind === 'privilege');
    let controlGuest = mayTrapForPrivilege && (e.writesMode || e.writesControl) ? await classifyControl(ctx, d, sym, true) : undefined;
    privileged = await classifyPrivileged(ctx, d, sym, controlGuest);
    if (privileged.value === 'yes') {
      control = await classifyControl(ctx, d, sym, false);
      mode = await classifyPair(ctx, d, sym, 'mode', false);
      location = await classifyPair(ctx, d, sym, 'control', false);
      // Proved to trap in every guest-mode state: it never runs there, so no guest-mode witness exists.
      const pe = privileged.evidence;
      userSensitive = {
        value: 'no',
        evidence: {
          k: 'proof',
          text: `it traps for privilege in every ${isa.guestMode}-mode state${isa.assumptions.length ? ' satisfying the assumptions' : ''}, so it never completes there`,
          query: pe.k === 'proof' ? pe.query : '',
          ms: 0,
        },
      };
    } else {
      // Not privileged: the user-sensitivity questions (guest mode) first; a guest-mode witness
      // answers the general question too.
      controlGuest ??= await classifyControl(ctx, d, sym, true);
      control = decidedBy(controlGuest) ? controlGuest : await classifyControl(ctx, d, sym, false);
      mode = await classifyPair(ctx, d, sym, 'mode', false);
      const locationGuest = await classifyPair(ctx, d, sym, 'control', true);
      location = decidedBy(locationGuest) ? locationGuest : await classifyPair(ctx, d, sym, 'control', false);
      userSensitive = combineUser(ctx, controlGuest, locationGuest, mode);
    }
  }
  const sensitive = orTri(control.value, mode.value, location.value);
  const innocuous: Tri = sensitive === 'yes' ? 'no' : sensitive === 'no' ? 'yes' : 'unknown';
  const c: InstructionClassification = {
    mnemonic: instr.mnemonic,
    span: instr.span,
    effects: d.effects,
    privileged,
    controlSensitive: control,
    modeSensitive: mode,
    locationSensitive: location,
    sensitive,
    userSensitive,
    timingDependent: timing,
    innocuous,
    reason: '',
    claimFindings: [],
  };
  for (const m of ctx.models) m.release();
  ctx.models = [];
  c.reason = reasonFor(isa, c);
  c.claimFindings = claimFindings(instr, c);
  return c;
}

/** A guest-mode verdict that also decides the general question: a witness (a guest-mode state is
 *  a state), or a syntactic argument (it holds in every state). */
function decidedBy(v: Verdict): boolean {
  return v.value === 'yes' || v.evidence.k === 'syntactic';
}

/** User-sensitivity, the premise of Theorem 3 (the hybrid monitor). Under a hybrid monitor the
 *  guest's virtual supervisor mode is interpreted, but its virtual user mode runs directly in the
 *  real guest mode: there the mode the guest sees is the mode it expects, so an instruction whose
 *  result depends only on the mode (mode-sensitivity) cannot misbehave. What can differ between
 *  the virtual and the real machine while the guest runs in user mode is the control state the
 *  monitor owns. So (Popek and Goldberg 1974, Theorem 3): user-sensitive = control-sensitive with
 *  a witness state in the guest mode, or location-sensitive with both witness states in the guest
 *  mode (with the assumptions in each); mode-sensitivity alone never makes it user-sensitive. */
function combineUser(ctx: ClassifyContext, control: Verdict, location: Verdict, mode: Verdict): Verdict {
  const user = [control, location];
  const yes = user.find((x) => x.value === 'yes');
  if (yes) return yes;
  const unk = user.find((x) => x.value === 'unknown');
  if (unk) return unk;
  const modeNote =
    mode.value === 'yes'
      ? `; it is mode-sensitive, but that alone does not make it user-sensitive: under a hybrid monitor the guest's user mode runs directly in the real ${ctx.isa.guestMode} mode, so the mode it sees is the mode it expects, and only the control state the monitor owns can differ from the virtual machine's`
      : '';
  if (user.every((x) => x.evidence.k === 'syntactic')) {
    return { value: 'no', evidence: { k: 'syntactic', text: user.map((x) => x.evidence.text).join('; ') + modeNote } };
  }
  const ms = Math.round(user.reduce((a, x) => a + (x.evidence.k === 'proof' ? x.evidence.ms : 0), 0) * 10) / 10;
  return {
    value: 'no',
    evidence: {
      k: 'proof',
      text: `in mode ${ctx.isa.guestMode}${ctx.isa.assumptions.length ? ' (with the assumptions)' : ''}: ${user.map((x) => x.evidence.text).join('; ')}${modeNote}`,
      query: user.map((x) => (x.evidence.k === 'proof' ? x.evidence.query : '')).filter(Boolean).join('; '),
      ms,
    },
  };
}

// ---- words ----

/** A condition short enough for a one-line reason (the full text is in `privileged.condition`). */
function brief(text: string | undefined, max = 90): string {
  if (!text) return '';
  return text.length <= max ? text : text.slice(0, max - 1).trimEnd() + '…';
}

function reasonFor(isa: Isa, c: InstructionClassification): string {
  const m = c.mnemonic;
  const p = c.privileged;
  const sens: string[] = [];
  if (c.controlSensitive.value === 'yes') sens.push('control-sensitive');
  if (c.modeSensitive.value === 'yes') sens.push('mode-sensitive');
  if (c.locationSensitive.value === 'yes') sens.push('location-sensitive');
  const clock = c.timingDependent.value === 'yes' ? `; ${c.timingDependent.evidence.text} (timing-dependent)` : '';
  const unknowns = [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.userSensitive].filter((v) => v.value === 'unknown');
  if (c.sensitive === 'yes' && p.value !== 'yes') {
    // The offender's reason: the most telling witness, a guest-mode one first.
    const best = c.userSensitive.value === 'yes' ? c.userSensitive : [c.modeSensitive, c.locationSensitive, c.controlSensitive].find((v) => v.value === 'yes')!;
    const notPriv = p.value === 'conditional' ? `; traps in mode ${isa.guestMode} only when ${brief(p.condition)}` : '';
    return `${m}: ${best.evidence.text}${notPriv}${clock}`;
  }
  if (unknowns.length) {
    return `${m}: undecided — ${unknowns.map((u) => (u.evidence.k === 'unknown' ? `${u.evidence.text} (${u.evidence.reason})` : '')).join('; ')}`;
  }
  if (p.value === 'yes') {
    const what = sens.length ? `${sens.join(', ')}, and privileged` : 'privileged';
    return `${m}: ${what}: traps for privilege in every ${isa.guestMode}-mode state${clock}`;
  }
  if (c.innocuous === 'yes') {
    const ev = c.controlSensitive.evidence;
    const why = ev.k === 'syntactic' && c.modeSensitive.evidence === ev ? ev.text.split(';')[0]! : 'proved: changes no mode or control state and behaves the same in every mode and location';
    const cond = p.value === 'conditional' ? `; traps for privilege in mode ${isa.guestMode} when ${brief(p.condition)}` : '';
    return `${m}: innocuous: ${why}${cond}${clock}`;
  }
  return `${m}: ${sens.join(', ')}${clock}`;
}

function derivedOf(c: InstructionClassification, claim: string): Tri {
  switch (claim) {
    case 'privileged':
      return c.privileged.value === 'yes' ? 'yes' : c.privileged.value === 'unknown' ? 'unknown' : 'no';
    case 'sensitive':
      return c.sensitive;
    case 'control-sensitive':
      return c.controlSensitive.value;
    case 'mode-sensitive':
      return c.modeSensitive.value;
    case 'location-sensitive':
      return c.locationSensitive.value;
    case 'user-sensitive':
      return c.userSensitive.value;
    case 'innocuous':
      return c.innocuous;
    case 'timing-dependent':
      return c.timingDependent.value;
  }
  return 'unknown';
}

function evidenceFor(c: InstructionClassification, claim: string): string {
  const pick: Record<string, { evidence: Evidence }> = {
    privileged: c.privileged,
    'control-sensitive': c.controlSensitive,
    'mode-sensitive': c.modeSensitive,
    'location-sensitive': c.locationSensitive,
    'user-sensitive': c.userSensitive,
    'timing-dependent': c.timingDependent,
  };
  if (pick[claim]) return pick[claim]!.evidence.text;
  // sensitive / innocuous: the reason says why.
  return c.reason.replace(/^[^:]*: /, '');
}

function claimFindings(instr: Instruction, c: InstructionClassification): InstructionClassification['claimFindings'] {
  const out: InstructionClassification['claimFindings'] = [];
  for (const cl of instr.claims) {
    const d = derivedOf(c, cl.claim);
    if (d === 'unknown') continue;
    const holds = d === 'yes';
    if (holds !== cl.negated) continue;
    const derived = holds ? cl.claim : `not ${cl.claim}`;
    const said = `${cl.negated ? 'not ' : ''}${cl.claim}`;
    out.push({ claim: cl, derived, message: `${instr.mnemonic} is claimed ${said}, but it is ${derived}: ${evidenceFor(c, cl.claim)}` });
  }
  return out;
}

export function newContext(z3: Z3, isa: Isa, timeoutMs: number, rlimit = 0): ClassifyContext {
  return { z3, isa, L: new Logic(z3), timeoutMs, rlimit, stats: { solverQueries: 0, solverMs: 0 }, errors: [], models: [], indices: 0 };
}
