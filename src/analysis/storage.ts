// Guest-visible storage: what two states must share for the two-state questions (location
// sensitivity, and the virtual/real correspondence of the exact monitor question).
//
// The guest reaches storage only through the spec's views. Two states hold the same guest-visible
// storage when every virtual address that both translations let through names, in each state's
// physical memory, a word of the same value, and the sharing is the same (two addresses that name
// one physical word in one state name one word in the other: a write through one is seen through
// the other in both). Physical storage outside that is unconstrained: that is how a guest can tell
// where it sits if an instruction lets it read storage past its translation (DESIGN.md, "The
// model"). For the monitor the correspondence is one-sided: every address the real translation lets
// through is let through by the virtual one with the same word (the monitor may map less; an access
// it does not map traps and is emulated).
//
// These are statements about every virtual address. Symbolically they are instantiated at a finite
// set of terms — the addresses the instruction uses, the address where a difference is sought, and
// preimages of raw physical accesses — which weakens them: an `unsat` answer is still a proof (it
// holds for a superset of the state pairs), and a model is turned into concrete states, repaired
// where it left free words inconsistent, and checked against the full statement by a small query
// over concrete states before any witness is reported.

import { type Expr, type Isa, walkExpr, walkStmts, derived, derivedKey } from '../ir/index.js';
import { roleMasks } from './effects.js';
import { contextDigest } from './cache.js';
import { type ConcreteState, toHex } from '../exec/index.js';
import {
  freshState,
  indexBits,
  Logic,
  readConsistency,
  recordReads,
  resize,
  solve,
  SymArray,
  translateIn,
  width,
  type ArrayRead,
  type B,
  type BV,
  type SymResult,
  type SymState,
  type Z3,
} from './symbolic.js';
import { isaIndex } from '../ir/index.js';

export type Correspondence = 'both' | 'inclusion';

/** Views whose translation the monitor can change: the physical address it gives depends on
 *  control state (relocation, segmentation, paging). A view whose mapping no control state
 *  moves (a bounds check with no base) is a window onto physical storage: the monitor cannot
 *  relocate what it shows, so an access through it is a physical access (DESIGN.md, "The model"). */
const GUEST_VIEWS = derivedKey<Isa['views']>('guest views');
export function guestViews(isa: Isa): Isa['views'] {
  return derived(isa, GUEST_VIEWS, () => computeGuestViews(isa));
}
function computeGuestViews(isa: Isa): Isa['views'] {
  const rm = roleMasks(isa);
  const controlIn = (e: Expr, lets: Map<string, Expr>): boolean => {
    let found = false;
    walkExpr(e, (x) => {
      if (x.k === 'reg' || x.k === 'field') {
        const bits = x.k === 'reg' ? -1n : ((1n << BigInt(x.hi - x.lo + 1)) - 1n) << BigInt(x.lo);
        if ((rm.control.get(x.reg) ?? 0n) & bits) found = true;
      }
      if (x.k === 'file' && isaIndex(isa).files.get(x.file)?.role === 'control') found = true;
      if (x.k === 'mem') found = true; // a table walk: the tables are the monitor's to build
      if (x.k === 'local' && lets.has(x.name) && controlIn(lets.get(x.name)!, lets)) found = true;
    });
    return found;
  };
  return isa.views.filter((v) => {
    const t = isaIndex(isa).translations.get(v.translation)!;
    const lets = new Map<string, Expr>();
    walkStmts(
      t.body,
      (st) => {
        if (st.k === 'let') lets.set(st.name, st.value);
      },
      () => {},
    );
    return controlIn(t.result, lets);
  });
}

/** Memories a relocatable view maps: their raw contents are physical storage, not guest-visible
 *  as such (the correspondence relates them through the views). */
export function viewBacked(isa: Isa): Set<string> {
  return new Set(guestViews(isa).map((v) => v.memory));
}

/** Translations of the form phys = vaddr + offset(state) (relocation, segmentation): their
 *  preimage of a physical word is computable, which lets the correspondence be instantiated at
 *  the virtual address a raw access names. Decided once per translation by the solver (the
 *  answers are kept with the Isa as they come). */
const OFFSET_TRANSLATIONS = derivedKey<Map<string, boolean>>('offset translations');

export async function offsetTranslations(z3: Z3, isa: Isa, timeoutMs: number): Promise<Map<string, boolean>> {
  const m = derived(isa, OFFSET_TRANSLATIONS, () => new Map<string, boolean>());
  const L = new Logic(z3);
  for (const v of guestViews(isa)) {
    if (m.has(v.translation)) continue;
    // The same machine checked again (the language server after an edit to an instruction): the
    // answer is the machine's, kept by its content.
    const key = `${contextDigest(isa)}/${v.translation}`;
    const known = offsetByContent.get(key);
    if (known !== undefined) {
      m.set(v.translation, known);
      continue;
    }
    const t = isaIndex(isa).translations.get(v.translation)!;
    const st = freshState(z3, isa, 'off');
    const built = recordReads(() => {
      const u = z3.BitVec.const('off.u', t.param.width);
      const a = translateIn(z3, isa, st, v.name, u);
      const b = translateIn(z3, isa, st, v.name, z3.BitVec.val(0, t.param.width));
      const w = width(a.phys);
      const d = a.phys.sub(resize(u, w));
      return L.and(a.valid, d.neq(b.phys));
    });
    const r = await solve([built.value, ...readConsistency(z3, built.reads)], { timeoutMs });
    if (r.r === 'sat') r.model.release();
    m.set(v.translation, r.r === 'unsat');
    if (r.r !== 'unknown') {
      if (offsetByContent.size >= 1024) offsetByContent.clear();
      offsetByContent.set(key, r.r === 'unsat');
    }
  }
  return m;
}

/** Decided offset translations by machine content and translation name (a few per spec). */
const offsetByContent = new Map<string, boolean>();

/** Virtual addresses, per view, at which the correspondence of two runs is instantiated. */
export function instantiationPoints(
  z3: Z3,
  isa: Isa,
  offsets: Map<string, boolean>,
  runs: { s: SymState; r: SymResult }[],
  extra: Map<string, BV[]>,
): Map<string, BV[]> {
  const points = new Map<string, BV[]>();
  const seen = new Map<string, Set<number>>();
  const add = (view: string, a: BV) => {
    const v = isaIndex(isa).views.get(view)!;
    const t = isaIndex(isa).translations.get(v.translation)!;
    const va = resize(a, t.param.width);
    let s = seen.get(view);
    if (!s) seen.set(view, (s = new Set()));
    if (s.has(va.id())) return;
    s.add(va.id());
    let l = points.get(view);
    if (!l) points.set(view, (l = []));
    l.push(va);
  };
  for (const [view, as] of extra) for (const a of as) add(view, a);
  const guest = new Set(guestViews(isa).map((v) => v.name));
  for (const { r } of runs) for (const a of r.viewAccesses) if (guest.has(a.view)) add(a.view, a.vaddr);
  // Raw accesses to storage a view maps: the virtual address that names the same word, in each
  // state, where the translation is an offset.
  const backed = viewBacked(isa);
  for (const { r } of runs) {
    const viaView = new Set(r.viewAccesses.filter((a) => guest.has(a.view)).map((a) => a.phys.id()));
    for (const acc of r.accesses) {
      if (acc.k !== 'mem' || !backed.has(acc.mem) || viaView.has(acc.addr.id())) continue;
      for (const v of guestViews(isa)) {
        if (v.memory !== acc.mem) continue;
        if (!offsets.get(v.translation)) {
          add(v.name, acc.addr);
          continue;
        }
        const t = isaIndex(isa).translations.get(v.translation)!;
        for (const { s } of runs) {
          const zero = translateIn(z3, isa, s, v.name, z3.BitVec.val(0, t.param.width)).phys;
          add(v.name, resize(acc.addr, width(zero)).sub(zero));
        }
      }
    }
  }
  return points;
}

/** The correspondence of states a and b (a the real state for `inclusion`), instantiated at
 *  `points`; also the physical words it reads, per state, so a model's concrete states hold them. */
export function correspondence(
  z3: Z3,
  isa: Isa,
  mode: Correspondence,
  a: SymState,
  b: SymState,
  points: Map<string, BV[]>,
  /** Constrain the sharing of these points (by term id) with every other point: a write through
   *  one address is seen through another in one state only if the sharing differs, so the points
   *  written and those where a difference is sought are the ones whose sharing matters. Absent:
   *  every pair. */
  sharingOf?: Set<number>,
): { cs: B[]; wordsA: { mem: string; addr: BV }[]; wordsB: { mem: string; addr: BV }[] } {
  const L = new Logic(z3);
  const cs: B[] = [];
  const wordsA: { mem: string; addr: BV }[] = [];
  const wordsB: { mem: string; addr: BV }[] = [];
  const byMem = new Map<string, { va: BV; ta: { phys: BV; valid: B }; tb: { phys: BV; valid: B } }[]>();
  for (const [view, vas] of points) {
    const v = isaIndex(isa).views.get(view)!;
    for (const va of vas) {
      const ta = translateIn(z3, isa, a, view, va);
      const tb = translateIn(z3, isa, b, view, va);
      const wa = a.mems.get(v.memory)!.select(ta.phys, L);
      const wb = b.mems.get(v.memory)!.select(tb.phys, L);
      wordsA.push({ mem: v.memory, addr: ta.phys });
      wordsB.push({ mem: v.memory, addr: tb.phys });
      if (mode === 'both') cs.push(z3.Implies(L.and(ta.valid, tb.valid), wa.eq(wb)));
      else cs.push(z3.Implies(ta.valid, L.and(tb.valid, wa.eq(wb))));
      let l = byMem.get(v.memory);
      if (!l) byMem.set(v.memory, (l = []));
      l.push({ va, ta, tb });
    }
  }
  // The same sharing: two addresses name one word in a exactly when they do in b.
  for (const l of byMem.values()) {
    for (let j = 1; j < l.length; j++) {
      for (let i = 0; i < j; i++) {
        const x = l[i]!,
          y = l[j]!;
        if (sharingOf && !sharingOf.has(x.va.id()) && !sharingOf.has(y.va.id())) continue;
        const valid = mode === 'both' ? L.and(x.ta.valid, x.tb.valid, y.ta.valid, y.tb.valid) : L.and(x.ta.valid, y.ta.valid);
        cs.push(z3.Implies(valid, x.ta.phys.eq(y.ta.phys).eq(x.tb.phys.eq(y.tb.phys))));
      }
    }
  }
  return { cs, wordsA, wordsB };
}

// ---- over concrete states ----

/** A concrete state as terms: constants, and arrays whose every unwritten word is zero. */
function concreteTerms(z3: Z3, isa: Isa, s: ConcreteState, prefix: string): { st: SymState; zero: (r: ArrayRead) => boolean } {
  const L = new Logic(z3);
  const bases = new Set<unknown>();
  const regs = new Map<string, BV>();
  for (const r of isa.registers) regs.set(r.name, z3.BitVec.val(s.regs[r.name] ?? 0n, r.width));
  const files = new Map<string, SymArray>();
  for (const f of isa.files) {
    let arr = SymArray.fresh(z3, `${prefix}.${f.name}`, indexBits(f.count), f.width);
    bases.add(arr.base);
    (s.files[f.name] ?? []).forEach((v, i) => {
      if (v !== 0n) arr = arr.store(z3.BitVec.val(i, indexBits(f.count)), z3.BitVec.val(v, f.width), L.T);
    });
    files.set(f.name, arr);
  }
  const mems = new Map<string, SymArray>();
  for (const m of isa.memories) {
    let arr = SymArray.fresh(z3, `${prefix}.${m.name}`, indexBits(m.size), m.wordWidth);
    bases.add(arr.base);
    for (const [ad, v] of s.mem[m.name] ?? new Map<number, bigint>()) {
      if (v !== 0n) arr = arr.store(z3.BitVec.val(ad, indexBits(m.size)), z3.BitVec.val(v, m.wordWidth), L.T);
    }
    mems.set(m.name, arr);
  }
  return { st: { regs, files, mems }, zero: (r) => bases.has(r.base) };
}

export type Mismatch =
  | { k: 'word'; view: string; vaddr: bigint; mem: string; addrA: number; addrB: number; valueA: bigint; valueB: bigint }
  | { k: 'domain'; view: string; vaddr: bigint }
  | { k: 'sharing'; view: string; vaddr: bigint; other: bigint }
  | { k: 'unknown' };

/** Where concrete states a and b break the correspondence (the full statement, every address),
 *  or undefined when they keep it. */
export async function storageMismatch(
  z3: Z3,
  isa: Isa,
  mode: Correspondence,
  a: ConcreteState,
  b: ConcreteState,
  timeoutMs: number,
): Promise<Mismatch | undefined> {
  const L = new Logic(z3);
  const views = guestViews(isa);
  if (views.length === 0) return undefined;
  // One query for every view: some address whose word differs (or, for the monitor, that only
  // the real translation lets through), or two addresses shared in one state only.
  const built = recordReads(() => {
    const A = concreteTerms(z3, isa, a, 'ca');
    const B_ = concreteTerms(z3, isa, b, 'cb');
    const cases = views.map((v, n) => {
      const t = isaIndex(isa).translations.get(v.translation)!;
      const va = z3.BitVec.const(`c.va${n}`, t.param.width);
      const ta = translateIn(z3, isa, A.st, v.name, va);
      const tb = translateIn(z3, isa, B_.st, v.name, va);
      const wa = A.st.mems.get(v.memory)!.select(ta.phys, L);
      const wb = B_.st.mems.get(v.memory)!.select(tb.phys, L);
      const word = mode === 'both' ? L.and(ta.valid, tb.valid, wa.neq(wb)) : L.and(ta.valid, L.or(L.not(tb.valid), wa.neq(wb)));
      const y = z3.BitVec.const(`c.y${n}`, t.param.width);
      const ay = translateIn(z3, isa, A.st, v.name, y),
        by = translateIn(z3, isa, B_.st, v.name, y);
      const valid = mode === 'both' ? L.and(ta.valid, ay.valid, tb.valid, by.valid) : L.and(ta.valid, ay.valid);
      const sharing = L.and(valid, ta.phys.eq(ay.phys).neq(tb.phys.eq(by.phys)));
      return { v, va, y, ta, tb, wa, wb, word, sharing };
    });
    return { A, B_, cases };
  });
  const { A, B_, cases } = built.value;
  const zeros = [...built.reads].filter((r) => A.zero(r) || B_.zero(r)).map((r) => r.val.eq(z3.BitVec.val(0, width(r.val))));
  const ans = await solve([L.or(...cases.flatMap((c) => [c.word, c.sharing])), ...zeros, ...readConsistency(z3, built.reads)], { timeoutMs });
  if (ans.r === 'unknown') return { k: 'unknown' };
  if (ans.r === 'unsat') return undefined;
  try {
    const num = (x: BV) => (ans.model.eval(x, true) as unknown as { value(): bigint }).value();
    const holds = (x: B) => z3.isTrue(ans.model.eval(x, true));
    for (const c of cases) {
      if (!holds(c.word)) continue;
      const vaddr = num(c.va);
      return holds(c.tb.valid)
        ? {
            k: 'word',
            view: c.v.name,
            vaddr,
            mem: c.v.memory,
            addrA: Number(num(c.ta.phys)),
            addrB: Number(num(c.tb.phys)),
            valueA: num(c.wa),
            valueB: num(c.wb),
          }
        : { k: 'domain', view: c.v.name, vaddr };
    }
    const c = cases.find((x) => holds(x.sharing))!;
    return { k: 'sharing', view: c.v.name, vaddr: num(c.va), other: num(c.y) };
  } finally {
    ans.model.release();
  }
}

/** Make concrete states a and b keep the correspondence by setting words neither run depends on
 *  (`pinnedA`/`pinnedB`: words the model gave values that matter): each mismatch copies the
 *  pinned side's word to the free side. Undefined when a mismatch involves no free word, cannot
 *  be repaired by storage (a domain or sharing difference), or the solver gave no answer. */
export async function repairStorage(
  z3: Z3,
  isa: Isa,
  mode: Correspondence,
  a: ConcreteState,
  b: ConcreteState,
  pinnedA: Set<string>,
  pinnedB: Set<string>,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; problem: string }> {
  for (let round = 0; round < 32; round++) {
    const m = await storageMismatch(z3, isa, mode, a, b, timeoutMs);
    if (!m) return { ok: true };
    if (m.k === 'unknown') return { ok: false, problem: 'the solver gave no answer on the storage check' };
    if (m.k === 'domain') return { ok: false, problem: `${m.view}[${toHex(m.vaddr)}] is mapped in one state only` };
    if (m.k === 'sharing') return { ok: false, problem: `${m.view}[${toHex(m.vaddr)}] and ${m.view}[${toHex(m.other)}] share a word in one state only` };
    const ka = `${m.mem}:${m.addrA}`,
      kb = `${m.mem}:${m.addrB}`;
    const setWord = (s: ConcreteState, addr: number, v: bigint) => {
      if (v === 0n) s.mem[m.mem]!.delete(addr);
      else s.mem[m.mem]!.set(addr, v);
    };
    if (!pinnedB.has(kb)) {
      setWord(b, m.addrB, m.valueA);
      pinnedB.add(kb);
    } else if (!pinnedA.has(ka)) {
      setWord(a, m.addrA, m.valueB);
      pinnedA.add(ka);
    } else {
      return { ok: false, problem: `${m.view}[${toHex(m.vaddr)}] holds ${toHex(m.valueA)} in one state and ${toHex(m.valueB)} in the other` };
    }
  }
  return { ok: false, problem: 'the storage repair did not settle' };
}

/** Does guest-visible storage differ between two final states (some address both translations
 *  let through holds different words)? A small query over concrete states. */
export async function visibleStorageDiffers(
  z3: Z3,
  isa: Isa,
  a: ConcreteState,
  b: ConcreteState,
  timeoutMs: number,
): Promise<{ view: string; vaddr: bigint; a: bigint; b: bigint } | undefined | 'unknown'> {
  const m = await storageMismatch(z3, isa, 'both', a, b, timeoutMs);
  if (!m) return undefined;
  if (m.k === 'word') return { view: m.view, vaddr: m.vaddr, a: m.valueA, b: m.valueB };
  if (m.k === 'unknown') return 'unknown';
  return undefined;
}
