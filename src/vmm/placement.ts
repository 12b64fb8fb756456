// Where the monitor puts the guest's storage, using only what the spec gives it (see monitor.ts's
// header): a base-and-bound relocation the monitor can compose with its allocation, or nothing to
// compose, and then the guest has the whole specified storage.
//
// A translation is a relocation when its body is exactly one bound check that raises a memory
// trap, and its result adds a control element to the address:
//
//     if a >= B { trap <kind memory>; }      (or B <= a)
//     return a + L;                          (or L + a; the address may be sliced or extended)
//
// with L (the base) and B (the bound) control registers or fields, nothing else read. That is
// P&G's R = (l, b). Anything else (segment descriptors, page tables, a mode-dependent relocation)
// the monitor cannot compose without knowing more than the spec says, so it does not try.

import { type Expr, type Isa, type Translation, walkExpr, walkStmts } from '../ir/index.js';
import type { MemoryWindow } from '../exec/index.js';
import type { Element } from './elements.js';
import { isaIndex } from '../ir/index.js';

/** Bits of a control element: the whole element, or a field of a whole control register. */
export interface ControlPart {
  /** Index into the control elements (elementsOfRole(isa, 'control')). */
  el: number;
  lo: number;
  width: number;
  /** "R.base". */
  name: string;
}

export interface Relocation {
  translation: string;
  /** The memory its views show. */
  memory: string;
  base: ControlPart;
  bound: ControlPart;
  /** Width of the translation's result (the composed base wraps there). */
  resultWidth: number;
}

/** The control bits an expression names (a register, a field of one), if it names control. */
function controlPart(e: Expr, ctl: readonly Element[]): ControlPart | undefined {
  if (e.k === 'reg') {
    const el = ctl.findIndex((c) => c.k === 'reg' && c.reg === e.reg);
    return el < 0 ? undefined : { el, lo: 0, width: ctl[el]!.width, name: e.reg };
  }
  if (e.k === 'field') {
    const name = `${e.reg}.${e.field}`;
    // P&G's R is one control register with two fields; a field may also be an element itself.
    const whole = ctl.findIndex((c) => c.k === 'reg' && c.reg === e.reg);
    if (whole >= 0) return { el: whole, lo: e.lo, width: e.hi - e.lo + 1, name };
    const el = ctl.findIndex((c) => c.k === 'field' && c.name === name);
    return el < 0 ? undefined : { el, lo: 0, width: ctl[el]!.width, name };
  }
  return undefined;
}

const samePart = (a: ControlPart | undefined, b: ControlPart) => a !== undefined && a.el === b.el && a.lo === b.lo && a.width === b.width;
const overlap = (a: ControlPart, b: ControlPart) => a.el === b.el && a.lo < b.lo + b.width && b.lo < a.lo + a.width;

/** The address parameter, possibly sliced or zero-extended (still the same address). */
function isAddress(e: Expr, param: string): boolean {
  if (e.k === 'param') return e.name === param;
  if (e.k === 'zext') return isAddress(e.a, param);
  if (e.k === 'slice') return e.lo === 0 && isAddress(e.a, param);
  return false;
}

function relocationOf(isa: Isa, t: Translation, ctl: readonly Element[]): Omit<Relocation, 'memory'> | undefined {
  if (t.body.length !== 1) return undefined;
  const check = t.body[0]!;
  if (check.k !== 'if' || check.else.length !== 0 || check.then.length !== 1) return undefined;
  const raise = check.then[0]!;
  if (raise.k !== 'trap' || isaIndex(isa).traps.get(raise.trap)?.kind !== 'memory') return undefined;
  const c = check.cond;
  if (c.k !== 'binop') return undefined;
  let bound: ControlPart | undefined;
  if (c.op === 'uge' && isAddress(c.a, t.param.name)) bound = controlPart(c.b, ctl);
  else if (c.op === 'ule' && isAddress(c.b, t.param.name)) bound = controlPart(c.a, ctl);
  if (!bound) return undefined;
  let r = t.result;
  while (r.k === 'slice' && r.lo === 0) r = r.a;
  if (r.k !== 'binop' || r.op !== 'add') return undefined;
  const base = isAddress(r.a, t.param.name) ? controlPart(r.b, ctl) : isAddress(r.b, t.param.name) ? controlPart(r.a, ctl) : undefined;
  if (!base || overlap(base, bound)) return undefined;
  // Nothing else may be read: no mode, no other state.
  let other = false;
  const visit = (e: Expr) => {
    if (e.k === 'reg' || e.k === 'field' || e.k === 'file' || e.k === 'mem' || e.k === 'call') {
      const p = controlPart(e, ctl);
      if (!samePart(p, base) && !samePart(p, bound!)) other = true;
      return true;
    }
    return undefined;
  };
  walkStmts(t.body, () => {}, visit);
  walkExpr(t.result, visit);
  if (other) return undefined;
  return { translation: t.name, base, bound, resultWidth: t.resultWidth };
}

/** The relocations the monitor composes with its allocation, or undefined when the spec's
 *  translations are not all relocations (or code is not fetched through a view). */
export function relocations(isa: Isa, ctl: readonly Element[]): Relocation[] | undefined {
  if (!isa.traps.some((t) => t.kind === 'memory')) return undefined;
  if (!isa.views.some((v) => v.name === isa.fetch.space)) return undefined;
  const out: Relocation[] = [];
  for (const v of isa.views) {
    const t = isaIndex(isa).translations.get(v.translation);
    if (!t) return undefined;
    const r = relocationOf(isa, t, ctl);
    if (!r) return undefined;
    out.push({ ...r, memory: v.memory });
  }
  return out;
}

/** The default allocation under relocation: the upper half of every memory a view shows. */
export function defaultWindows(isa: Isa, relocs: readonly Relocation[]): MemoryWindow[] {
  const mems = [...new Set(relocs.map((r) => r.memory))];
  return mems.flatMap((name) => {
    const m = isaIndex(isa).memories.get(name);
    return m && m.size >= 2 ? [{ memory: name, base: m.size / 2, size: m.size / 2 }] : [];
  });
}

/**
 * The real (base, bound) that present the guest, through the relocation, the window's words
 * exactly where its own (base, bound) presents its storage: base + window base, and a bound no
 * larger than the guest's that keeps every directly executed access inside the window. An address
 * the clamp cuts off traps for real, and the virtual machine decides what the guest sees.
 */
export function composeRelocation(vbase: bigint, vbound: bigint, win: MemoryWindow, baseWidth: number, resultWidth: number): { base: bigint; bound: bigint } {
  const size = BigInt(win.size);
  const room = size - vbase;
  // Guest-physical vbase + a must stay below the window's size and must not wrap at the result
  // width (the guest's own translation wraps there; the composed one would wrap differently).
  const limit = room > 0n ? room : 0n;
  const wrap = (1n << BigInt(resultWidth)) - vbase - BigInt(win.base);
  let bound = vbound < limit ? vbound : limit;
  if (wrap < bound) bound = wrap > 0n ? wrap : 0n;
  const base = (vbase + BigInt(win.base)) & ((1n << BigInt(baseWidth)) - 1n);
  return { base, bound };
}
