// The state elements a monitor virtualizes, derived from the IR's roles: the `mode` elements (whose
// values decide the processor mode) and the `control` elements (the resources the monitor owns).
// Both are registers, register fields or register-file entries; memories with a role are left to
// the machine (the monitor does not shadow whole memories).
//
// To put a machine into a mode the monitor needs values of the mode elements that make that
// mode's predicate hold: they are found by trying values (mode elements are a few bits) and cached.

import type { Expr, Isa, Stmt } from '../ir/types.js';
import type { ConcreteState } from '../exec/state.js';
import type { Machine } from '../exec/machine.js';
import { evalExprOutcome, modeOf, resetState, zeroState } from '../exec/interpret.js';

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

const assignmentCache = new WeakMap<Isa, Map<string, bigint[] | null>>();

/**
 * Values of the mode elements (in `elementsOfRole(isa, 'mode')` order) that put a state into
 * `mode`: the first assignment, counting up, whose first matching mode predicate is `mode`. Null
 * when no assignment within the search bound gives that mode.
 */
export function modeAssignment(isa: Isa, mode: string): bigint[] | null {
  let cache = assignmentCache.get(isa);
  if (!cache) assignmentCache.set(isa, (cache = new Map()));
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
  let cache = modeCache.get(isa);
  if (!cache) modeCache.set(isa, (cache = new Map()));
  const key = els.map((e, i) => `${e.name}=${vals[i]}`).join(',');
  if (cache.has(key)) return cache.get(key);
  const s = zeroState(isa);
  els.forEach((e, i) => writeElementOf(s, e, vals[i]!));
  const mode = modeOf(isa, s);
  if (cache.size < 4096) cache.set(key, mode);
  return mode;
}

const modeCache = new WeakMap<Isa, Map<string, string | undefined>>();

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
 * The control elements a trap-and-emulate monitor can keep for itself in the real machine while a
 * guest runs (its own IDT and GDT registers, its own interrupt flag...), the guest's values living
 * only in the monitor's shadow. Safe exactly when the machine consults the element on its own
 * nowhere the monitor does not already substitute the virtual state: not in an address translation
 * (the guest's memory would move), not in a timer's condition, not in an `assume` invariant (the
 * monitor keeps those itself). The trap entry and trapping instructions run against the virtual
 * state, so only an instruction that reads the element without trapping can tell: such an
 * instruction is sensitive, and on a machine where Theorem 1 holds it traps.
 */
export function ownableControl(isa: Isa): Element[] {
  const machineReads = new Set<string>();
  for (const t of isa.translations) {
    stmtsReads(t.body, machineReads);
    exprReads(t.result, machineReads);
  }
  for (const t of isa.traps) if (t.timer) exprReads(t.timer.when, machineReads);
  for (const a of isa.assumptions) exprReads(a.holds, machineReads);
  return elementsOfRole(isa, 'control').filter((e) => !elementRead(machineReads, e));
}

/** The values the monitor keeps in the elements it owns: those it booted the machine with (the
 *  state after reset), as a monitor that ran the machine's own start-up code would have. */
export function ownedControlDefaults(isa: Isa): Record<string, bigint> {
  const s = resetState(isa);
  return Object.fromEntries(ownableControl(isa).map((e) => [e.name, readElementOf(s, e)]));
}
