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

import type { Expr, Isa, Translation } from '../ir/types.js';
import type { MemoryWindow } from '../exec/machine.js';
import { walkExpr, walkStmts } from '../ir/walk.js';
import type { Element } from './elements.js';

export interface Relocation {
  translation: string;
  /** The memory its views show. */
  memory: string;
  /** Indices into the control elements (elementsOfRole(isa, 'control')). */
  base: number;
  bound: number;
  /** Width of the translation's result (the composed base wraps there). */
  resultWidth: number;
}

/** The control element an expression names (a register or a field of one), if it is one. */
function controlIndex(e: Expr, ctl: readonly Element[]): number {
  if (e.k === 'reg') return ctl.findIndex((c) => c.k === 'reg' && c.reg === e.reg);
  if (e.k === 'field') {
    const whole = ctl.findIndex((c) => c.k === 'reg' && c.reg === e.reg);
    // A field of a whole control register counts only when the register is not itself the element.
    if (whole >= 0) return -1;
    return ctl.findIndex((c) => c.k === 'field' && c.name === `${e.reg}.${e.field}`);
  }
  return -1;
}

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
  if (raise.k !== 'trap' || isa.traps.find((x) => x.name === raise.trap)?.kind !== 'memory') return undefined;
  const c = check.cond;
  if (c.k !== 'binop') return undefined;
  let bound = -1;
  if (c.op === 'uge' && isAddress(c.a, t.param.name)) bound = controlIndex(c.b, ctl);
  else if (c.op === 'ule' && isAddress(c.b, t.param.name)) bound = controlIndex(c.a, ctl);
  if (bound < 0) return undefined;
  let r = t.result;
  while (r.k === 'slice' && r.lo === 0) r = r.a;
  if (r.k !== 'binop' || r.op !== 'add') return undefined;
  const base = isAddress(r.a, t.param.name) ? controlIndex(r.b, ctl) : isAddress(r.b, t.param.name) ? controlIndex(r.a, ctl) : -1;
  if (base < 0 || base === bound) return undefined;
  // Nothing else may be read: no mode, no other state.
  let other = false;
  walkStmts(t.body, () => {}, (e) => {
    if (e.k === 'reg' || e.k === 'field' || e.k === 'file' || e.k === 'mem' || e.k === 'call') {
      const i = controlIndex(e, ctl);
      if (i !== base && i !== bound) other = true;
    }
  });
  walkExpr(t.result, (e) => {
    if (e.k === 'reg' || e.k === 'field' || e.k === 'file' || e.k === 'mem' || e.k === 'call') {
      const i = controlIndex(e, ctl);
      if (i !== base && i !== bound) other = true;
    }
  });
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
    const t = isa.translations.find((x) => x.name === v.translation);
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
    const m = isa.memories.find((x) => x.name === name);
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
