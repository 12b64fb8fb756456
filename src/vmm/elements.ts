// The state elements a monitor virtualizes, derived from the IR's roles: the `mode` elements (whose
// values decide the processor mode) and the `control` elements (the resources the monitor owns).
// Both are registers, register fields or register-file entries; memories with a role are left to
// the machine (the monitor does not shadow whole memories).
//
// To put a machine into a mode the monitor needs values of the mode elements that make that
// mode's predicate hold: they are found by trying values (mode elements are a few bits) and cached.

import type { Expr, Isa, Stmt } from '../ir/index.js';
import { type ConcreteState, MachineError, type Machine, evalExprOutcome, modeOf, resetState, zeroState } from '../exec/index.js';
import { derived, derivedKey } from '../ir/index.js';

export type Element =
  | { k: 'reg'; name: string; reg: string; width: number }
  | { k: 'field'; name: string; reg: string; hi: number; lo: number; width: number }
  | { k: 'file'; name: string; file: string; index: number; width: number };

const maskB = (w: number): bigint => (1n << BigInt(w)) - 1n;

/** Elements of one role, in declaration order ("M", "CS.RPL", "EFLAGS.IF"). */
export function elementsOfRole(isa: Isa, role: 'mode' | 'control'): Element[] {
  const out: Element[] = [];
  for (const r of isa.registers) {
    if (r.role === role) {
      out.push({ k: 'reg', name: r.name, reg: r.name, width: r.width });
      continue; // fields of a whole-register element are covered by it
    }
    for (const f of r.fields) {
      if (f.role === role) out.push({ k: 'field', name: `${r.name}.${f.name}`, reg: r.name, hi: f.hi, lo: f.lo, width: f.hi - f.lo + 1 });
    }
  }
  for (const f of isa.files) {
    if (f.role !== role) continue;
    for (let i = 0; i < f.count; i++) out.push({ k: 'file', name: `${f.name}[${i}]`, file: f.name, index: i, width: f.width });
  }
  return out;
}

export function readElement(m: Machine, e: Element): bigint {
  switch (e.k) {
    case 'reg':
      return m.readReg(e.reg);
    case 'field':
      return (m.readReg(e.reg) >> BigInt(e.lo)) & maskB(e.width);
    case 'file':
      return m.readFile(e.file, e.index);
  }
}

export function writeElement(m: Machine, e: Element, v: bigint): void {
  switch (e.k) {
    case 'reg':
      m.writeReg(e.reg, v);
      return;
    case 'field': {
      const fm = maskB(e.width) << BigInt(e.lo);
      m.writeReg(e.reg, (m.readReg(e.reg) & ~fm) | ((v << BigInt(e.lo)) & fm));
      return;
    }
    case 'file':
      m.writeFile(e.file, e.index, v);
  }
}

export function readElementOf(s: ConcreteState, e: Element): bigint {
  switch (e.k) {
    case 'reg':
      return s.regs[e.reg] ?? 0n;
    case 'field':
      return ((s.regs[e.reg] ?? 0n) >> BigInt(e.lo)) & maskB(e.width);
    case 'file':
      return s.files[e.file]?.[e.index] ?? 0n;
  }
}

/** Write an element into a state (mutates `s`; callers pass their own copy). */
export function writeElementOf(s: ConcreteState, e: Element, v: bigint): void {
  switch (e.k) {
    case 'reg':
      s.regs[e.reg] = v & maskB(e.width);
      return;
    case 'field': {
      const fm = maskB(e.width) << BigInt(e.lo);
      s.regs[e.reg] = ((s.regs[e.reg] ?? 0n) & ~fm) | ((v << BigInt(e.lo)) & fm);
      return;
    }
    case 'file': {
      const arr = (s.files[e.file] = (s.files[e.file] ?? []).slice());
      arr[e.index] = v & maskB(e.width);
    }
  }
}

/** Most bits of mode state the search tries (2^16 assignments). */
const MAX_MODE_BITS = 16;

const MODE_ASSIGNMENTS = derivedKey<Map<string, bigint[] | null>>('mode assignments');

/**
 * Values of the mode elements (in `elementsOfRole(isa, 'mode')` order) that put a state into
 * `mode`: the first assignment, counting up, whose first matching mode predicate is `mode`. Null
 * when no assignment within the search bound gives that mode.
 */
export function modeAssignment(isa: Isa, mode: string): bigint[] | null {
  const cache = derived(isa, MODE_ASSIGNMENTS, () => new Map<string, bigint[] | null>());
  if (cache.has(mode)) return cache.get(mode)!;
  const els = elementsOfRole(isa, 'mode');
  const bits = els.reduce((n, e) => n + e.width, 0);
  let found: bigint[] | null = null;
  if (bits <= MAX_MODE_BITS) {
    const base = zeroState(isa);
    for (let code = 0n; code < 1n << BigInt(bits); code++) {
      const s: ConcreteState = { regs: { ...base.regs }, files: base.files, mem: base.mem };
      const vals: bigint[] = [];
      let rest = code;
      for (const e of els) {
        const v = rest & maskB(e.width);
        rest >>= BigInt(e.width);
        vals.push(v);
        writeElementOf(s, e, v);
      }
      if (modeOf(isa, s) === mode) {
        found = vals;
        break;
      }
    }
  }
  cache.set(mode, found);
  return found;
}

/** Index of a mode in the spec's order (0 = most privileged); modes.length when none holds. */
export function modeRank(isa: Isa, mode: string | undefined): number {
  const i = isa.modes.findIndex((m) => m.name === mode);
  return i < 0 ? isa.modes.length : i;
}

/** The mode a set of mode-element values puts the machine in (the other state does not matter). */
export function modeOfValues(isa: Isa, els: Element[], vals: bigint[]): string | undefined {
  // Asked on every trap the monitor takes; mode elements are few and small, so remember answers.
  const cache = derived(isa, MODES_OF_VALUES, () => new Map<string, string | undefined>());
  const key = els.map((e, i) => `${e.name}=${vals[i]}`).join(',');
  if (cache.has(key)) return cache.get(key);
  const s = zeroState(isa);
  els.forEach((e, i) => writeElementOf(s, e, vals[i]!));
  const mode = modeOf(isa, s);
  if (cache.size < 4096) cache.set(key, mode);
  return mode;
}

const MODES_OF_VALUES = derivedKey<Map<string, string | undefined>>('modes of mode-element values');

/** Names of the registers (and "reg.field") an expression reads. */
export function exprReads(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.k) {
    case 'reg':
      out.add(e.reg);
      break;
    case 'field':
      out.add(`${e.reg}.${e.field}`);
      break;
    case 'file':
      out.add(e.file);
      exprReads(e.index, out);
      break;
    case 'mem':
      exprReads(e.addr, out);
      break;
    case 'unop':
    case 'slice':
    case 'zext':
    case 'sext':
      exprReads(e.a, out);
      break;
    case 'binop':
      exprReads(e.a, out);
      exprReads(e.b, out);
      break;
    case 'concat':
      e.parts.forEach((p) => exprReads(p, out));
      break;
    case 'ite':
      exprReads(e.cond, out);
      exprReads(e.then, out);
      exprReads(e.else, out);
      break;
    case 'call':
      e.args.forEach((a) => exprReads(a, out));
      break;
    default:
      break;
  }
  return out;
}

/** Does every assumption of the spec hold for these register values? (Memory is not consulted.) */
export function assumptionsHold(isa: Isa, regsState: ConcreteState): boolean {
  for (const a of isa.assumptions) {
    const r = evalExprOutcome(isa, regsState, a.holds);
    if (!('value' in r) || r.value !== 1n) return false;
  }
  return true;
}

/** Names of the registers (and "reg.field") statements read, conditions and values alike. */
export function stmtsReads(body: readonly Stmt[], out = new Set<string>()): Set<string> {
  for (const s of body) {
    switch (s.k) {
      case 'let':
        exprReads(s.value, out);
        break;
      case 'assign':
        exprReads(s.value, out);
        if (s.target.k === 'file') exprReads(s.target.index, out);
        if (s.target.k === 'mem') exprReads(s.target.addr, out);
        break;
      case 'if':
        exprReads(s.cond, out);
        stmtsReads(s.then, out);
        stmtsReads(s.else, out);
        break;
      default:
        break;
    }
  }
  return out;
}

/** Does a set of names from exprReads/stmtsReads cover (part of) this element? */
export function elementRead(reads: ReadonlySet<string>, e: Element): boolean {
  switch (e.k) {
    case 'reg':
      if (reads.has(e.reg)) return true;
      for (const r of reads) if (r.startsWith(`${e.reg}.`)) return true;
      return false;
    case 'field':
      return reads.has(e.name) || reads.has(e.reg);
    case 'file':
      return reads.has(e.file);
  }
}

/**
 * The control elements the trap-and-emulate monitor keeps for itself in the real machine while a
 * guest runs, the guest's values living only in the monitor's shadow: those the machine consults
 * on its own to stay under the monitor's control — the trap entry (a real trap must reach the
 * monitor: its vector tables, what the entry saves), timers (the monitor's clock interrupts) and the
 * `assume` invariants (the values the monitor declares it keeps). Every other control element is
 * mirrored: the real machine holds the guest's own value (an alignment-check bit), as the best
 * monitor would, and translations' control is the guest's composed with the placement. This is the
 * correspondence the analysis decides the exact monitor question under (analysis/decide.ts,
 * `monitorOwned`), so the verdict and this monitor agree.
 */
export function ownableControl(isa: Isa): Element[] {
  const machineReads = new Set<string>();
  stmtsReads(isa.trapEntry, machineReads);
  for (const t of isa.traps) if (t.timer) exprReads(t.timer.when, machineReads);
  for (const a of isa.assumptions) exprReads(a.holds, machineReads);
  const translationReads = new Set<string>();
  for (const t of isa.translations) {
    stmtsReads(t.body, translationReads);
    exprReads(t.result, translationReads);
  }
  return elementsOfRole(isa, 'control').filter((e) => elementRead(machineReads, e) && !elementRead(translationReads, e));
}

/** The values the monitor keeps in the elements it owns: those it booted the machine with (the
 *  state after reset), as a monitor that ran the machine's own start-up code would have. */
export function ownedControlDefaults(isa: Isa): Record<string, bigint> {
  const s = resetState(isa);
  return Object.fromEntries(ownableControl(isa).map((e) => [e.name, readElementOf(s, e)]));
}

// ---- the dispatcher's fast access: per session, precomputed once ----

/** An element's value as the machine holds it: a number for an element of a register of at most
 *  32 bits (or of a narrow register file), a bigint for one of a wider register. */
export type Val = number | bigint;

/** Where an element's bits live: a slot of the machine's `u` (narrow) or `w` (wide) array. */
interface Place {
  wide: boolean;
  slot: number;
  lo: number;
  width: number;
  /** The element is the whole slot (a register or a register-file entry, not a field). */
  whole: boolean;
}

function placeOf(m: Machine, e: Element): Place {
  if (e.k === 'file') {
    const f = m.layout.files.get(e.file);
    if (!f) throw new MachineError(`unknown register file ${JSON.stringify(e.file)}`);
    return { wide: f.wide, slot: f.base + e.index, lo: 0, width: f.width, whole: true };
  }
  const r = m.layout.regs.get(e.reg);
  if (!r) throw new MachineError(`unknown register ${JSON.stringify(e.reg)}`);
  if (e.k === 'reg') return { wide: r.wide, slot: r.slot, lo: 0, width: r.width, whole: true };
  return { wide: r.wide, slot: r.slot, lo: e.lo, width: Math.min(e.width, r.width - e.lo), whole: false };
}

/** A number printed into generated source: only safe non-negative integers this file computed. */
function N(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new MachineError('internal: bad number for generated code');
  return String(n);
}

function NB(n: bigint): string {
  if (typeof n !== 'bigint' || n < 0n) throw new MachineError('internal: bad number for generated code');
  return `0x${n.toString(16)}n`;
}

type BankFns = {
  readAll: (out: Val[]) => void;
  writeAll: (vals: readonly Val[]) => void;
  sync: (put: Val[], virt: Val[]) => number;
};
type BankFactory = (u: Uint32Array, w: BigUint64Array) => BankFns;

/** Compiled accessors by source text: equal layouts share one function (and its optimised code). */
const bankFactories = new Map<string, BankFactory>();

/**
 * Reads and writes a list of elements straight in a machine's typed arrays: the slots, bit offsets
 * and masks are compiled once into three small functions (read all, write all, and the
 * dispatcher's "what did the guest change" comparison), so a trap costs a few array accesses, no
 * name lookups, no bigint for narrow registers. The generated source holds only numbers this class
 * computed from the layout (as in exec/compile.ts, no spec text reaches it).
 */
export class ElementBank {
  readonly length: number;
  /** out[i] = the value of element i, for every i. */
  readonly readAll: (out: Val[]) => void;
  /** Element i = vals[i], for every i (values as `read` gives them, within the element's width). */
  readonly writeAll: (vals: readonly Val[]) => void;
  /** For every element whose value differs from put[i]: put[i] = virt[i] = the value. Returns the
   *  number of elements that differed. */
  readonly sync: (put: Val[], virt: Val[]) => number;
  private readonly places: Place[];

  constructor(
    m: Machine,
    readonly elements: readonly Element[],
  ) {
    this.length = elements.length;
    this.places = elements.map((e) => placeOf(m, e));
    const rd: string[] = [];
    const wr: string[] = [];
    this.places.forEach((p, i) => {
      const I = N(i);
      if (p.wide) {
        const mask = (1n << BigInt(p.width)) - 1n;
        const inPlace = mask << BigInt(p.lo);
        const inv = ((1n << 64n) - 1n) & ~inPlace;
        rd.push(p.whole ? `w[${N(p.slot)}]` : `((w[${N(p.slot)}] >> ${NB(BigInt(p.lo))}) & ${NB(mask)})`);
        wr.push(
          p.whole
            ? `w[${N(p.slot)}] = v[${I}] & ${NB(mask)};`
            : `w[${N(p.slot)}] = (w[${N(p.slot)}] & ${NB(inv)}) | ((v[${I}] & ${NB(mask)}) << ${NB(BigInt(p.lo))});`,
        );
        return;
      }
      const mask = 2 ** p.width - 1;
      // Registers hold values within their width: a whole register needs no mask when read.
      rd.push(p.whole ? `u[${N(p.slot)}]` : p.lo === 0 ? `(u[${N(p.slot)}] & ${N(mask)})` : `((u[${N(p.slot)}] >>> ${N(p.lo)}) & ${N(mask)})`);
      if (p.whole) wr.push(p.width === 32 ? `u[${N(p.slot)}] = v[${I}];` : `u[${N(p.slot)}] = v[${I}] & ${N(mask)};`);
      else {
        // `|` and `<<` give signed 32-bit results; the Uint32Array store takes them modulo 2^32.
        const inv = 2 ** 32 - 1 - mask * 2 ** p.lo;
        wr.push(`u[${N(p.slot)}] = (u[${N(p.slot)}] & ${N(inv)}) | ((v[${I}] & ${N(mask)}) << ${N(p.lo)});`);
      }
    });
    const sy = rd.map((r, i) => `{ const a = ${r}; if (a !== p[${N(i)}]) { p[${N(i)}] = a; q[${N(i)}] = a; c++; } }`);
    const source = [
      '"use strict";',
      `function readAll(o) { ${rd.map((r, i) => `o[${N(i)}] = ${r};`).join(' ')} }`,
      `function writeAll(v) { ${wr.join(' ')} }`,
      `function sync(p, q) { let c = 0; ${sy.join(' ')} return c; }`,
      'return { readAll, writeAll, sync };',
    ].join('\n');
    let factory = bankFactories.get(source);
    if (!factory) {
      factory = new Function('u', 'w', source) as BankFactory;
      bankFactories.set(source, factory);
    }
    const fns = factory(m.u, m.w);
    this.readAll = fns.readAll;
    this.writeAll = fns.writeAll;
    this.sync = fns.sync;
  }

  /** Is element i held as a bigint? */
  isWide(i: number): boolean {
    return this.places[i]!.wide;
  }

  /** A value for element i in its representation (masked to its width). */
  valueOf(i: number, v: bigint): Val {
    const p = this.places[i]!;
    const masked = v & maskB(p.width);
    return p.wide ? masked : Number(masked);
  }

  /** Do any two of these elements (or of these and `other`'s) share bits? */
  overlaps(other?: ElementBank): boolean {
    const all = [...this.places, ...(other?.places ?? [])];
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        const a = all[i]!,
          b = all[j]!;
        if (a.wide === b.wide && a.slot === b.slot && a.lo < b.lo + b.width && b.lo < a.lo + a.width) return true;
      }
    }
    return false;
  }
}

/** Most bits of mode state the rank table covers (2^16 entries). */
const MAX_TABLE_BITS = 16;

/**
 * The mode of a set of mode-element values, as a rank (index in isa.modes, 0 most privileged;
 * modes.length when none holds): a table indexed by the values packed into one number, filled on
 * first use of each combination. Mode elements wider than the table fall back to modeOfValues.
 */
export class ModeTable {
  private readonly shift: Int32Array;
  private readonly table: Int16Array | null;

  constructor(
    readonly isa: Isa,
    readonly elements: readonly Element[],
  ) {
    const bits = elements.reduce((n, e) => n + e.width, 0);
    this.shift = new Int32Array(elements.length);
    let at = 0;
    elements.forEach((e, i) => {
      this.shift[i] = at;
      at += e.width;
    });
    this.table = bits <= MAX_TABLE_BITS ? new Int16Array(1 << bits).fill(-1) : null;
  }

  rank(vals: readonly Val[]): number {
    const t = this.table;
    if (t === null) return modeRank(this.isa, this.slow(vals));
    let code = 0;
    for (let i = 0; i < this.shift.length; i++) {
      const v = vals[i]!;
      code |= (typeof v === 'bigint' ? Number(v) : v) << this.shift[i]!;
    }
    let r = t[code]!;
    if (r < 0) t[code] = r = modeRank(this.isa, this.slow(vals));
    return r;
  }

  name(vals: readonly Val[]): string | undefined {
    return this.isa.modes[this.rank(vals)]?.name;
  }

  private slow(vals: readonly Val[]): string | undefined {
    return modeOfValues(
      this.isa,
      this.elements as Element[],
      vals.map((v) => BigInt(v)),
    );
  }
}
