// Effects of an instruction, read off its semantics without a solver: what it reads and writes
// (through views' translations and helper functions too), whether it touches mode, control or
// clock state, which traps it may raise and when. When it touches neither mode nor control state
// and cannot halt, it is innocuous for every state, and that is the syntactic proof.

import { type Expr, type Instruction, type Isa, type LValue, type Role, type Stmt, assertNever, derived, derivedKey } from '../ir/index.js';
import type { InstructionEffects } from './types.js';
import { andE, notE, orE, printExpr, substitute, TRUE } from './print.js';
import { isaIndex } from '../ir/index.js';

/** Bit masks of the mode and control bits of each register (a field's role applies to its bits;
 *  a register's role to all of them). */
export interface RoleMasks {
  mode: Map<string, bigint>;
  control: Map<string, bigint>;
}

const maskOf = (w: number) => (1n << BigInt(w)) - 1n;

const ROLE_MASKS = derivedKey<RoleMasks>('role masks');

export function roleMasks(isa: Isa): RoleMasks {
  return derived(isa, ROLE_MASKS, () => computeRoleMasks(isa));
}

function computeRoleMasks(isa: Isa): RoleMasks {
  const rm: RoleMasks = { mode: new Map(), control: new Map() };
  for (const r of isa.registers) {
    let mode = r.role === 'mode' ? maskOf(r.width) : 0n;
    let control = r.role === 'control' ? maskOf(r.width) : 0n;
    for (const f of r.fields) {
      const fm = maskOf(f.hi - f.lo + 1) << BigInt(f.lo);
      if (f.role === 'mode') mode |= fm;
      if (f.role === 'control') control |= fm;
    }
    // A bit that is both (a declared-control register with a mode field) counts as mode.
    control &= ~mode;
    if (mode) rm.mode.set(r.name, mode);
    if (control) rm.control.set(r.name, control);
  }
  return rm;
}

/** Roles touched by accessing `bits` (a mask) of register `reg`. */
function regRoles(isa: Isa, reg: string, bits: bigint): Set<Role> {
  const rm = roleMasks(isa);
  const out = new Set<Role>();
  if ((rm.mode.get(reg) ?? 0n) & bits) out.add('mode');
  if ((rm.control.get(reg) ?? 0n) & bits) out.add('control');
  const all = (rm.mode.get(reg) ?? 0n) | (rm.control.get(reg) ?? 0n);
  if (bits & ~all) out.add('plain');
  return out;
}

export function spaceRole(isa: Isa, space: string): Role {
  const m = isaIndex(isa).memories.get(space);
  if (m) return m.role;
  const v = isaIndex(isa).views.get(space);
  return v ? (isaIndex(isa).memories.get(v.memory)?.role ?? 'plain') : 'plain';
}

/** Effects plus what the classifier needs but the JSON result does not carry. */
export interface EffectsDetail {
  effects: InstructionEffects;
  /** The condition under which the instruction raises a privilege-kind trap (IR, 1 bit). */
  privilegeCondition: Expr;
  /** May reach `halt`. */
  halts: boolean;
  /** Mode/control elements read or written, by name ("R.bound", "M"). */
  modeReads: string[];
  controlReads: string[];
  modeWrites: string[];
  controlWrites: string[];
  clockReads: string[];
  /** Mode/control state read outside views' translations (in the instruction's own expressions). */
  directModeReads: string[];
  directControlReads: string[];
  /** Memories and views the instruction accesses itself (a translation's page-table reads aside). */
  directSpaces: string[];
}

class Collector {
  reads = new Set<string>();
  writes = new Set<string>();
  modeReads = new Set<string>();
  controlReads = new Set<string>();
  modeWrites = new Set<string>();
  controlWrites = new Set<string>();
  clockReads = new Set<string>();
  /** Mode/control elements read by the instruction itself, not inside a view's translation. */
  directModeReads = new Set<string>();
  directControlReads = new Set<string>();
  inTranslation = 0;
  traps = new Map<string, Expr>();
  halts = false;
  constructor(readonly isa: Isa) {}

  touchReg(reg: string, bits: bigint, name: string, write: boolean): void {
    const r = isaIndex(this.isa).registers.get(reg);
    if (!r) return;
    (write ? this.writes : this.reads).add(name);
    const roles = regRoles(this.isa, reg, bits & maskOf(r.width));
    // Name the role-carrying fields precisely when the whole register is touched.
    const named = (role: Role) => {
      if (name !== reg || r.role === role) return [name];
      const fs = r.fields.filter((f) => f.role === role).map((f) => `${reg}.${f.name}`);
      return fs.length ? fs : [name];
    };
    if (roles.has('mode')) for (const n of named('mode')) (write ? this.modeWrites : this.modeReads).add(n);
    if (roles.has('control')) for (const n of named('control')) (write ? this.controlWrites : this.controlReads).add(n);
    if (!write && !this.inTranslation && roles.has('mode')) this.directModeReads.add(name);
    if (!write && !this.inTranslation && roles.has('control')) this.directControlReads.add(name);
    if (!write && r.clock) this.clockReads.add(reg);
  }

  /** Memories and views the instruction itself accesses (not a translation's table walk). */
  directSpaces = new Set<string>();

  touchSpace(space: string, write: boolean): void {
    (write ? this.writes : this.reads).add(space);
    if (!this.inTranslation) this.directSpaces.add(space);
    const role = spaceRole(this.isa, space);
    if (role === 'mode') (write ? this.modeWrites : this.modeReads).add(space);
    if (role === 'control') (write ? this.controlWrites : this.controlReads).add(space);
    if (!write && !this.inTranslation && role === 'mode') this.directModeReads.add(space);
    if (!write && !this.inTranslation && role === 'control') this.directControlReads.add(space);
  }

  touchFile(file: string, write: boolean): void {
    (write ? this.writes : this.reads).add(file);
    const f = isaIndex(this.isa).files.get(file);
    if (f?.role === 'mode') (write ? this.modeWrites : this.modeReads).add(file);
    if (f?.role === 'control') (write ? this.controlWrites : this.controlReads).add(file);
    if (!write && !this.inTranslation && f?.role === 'mode') this.directModeReads.add(file);
    if (!write && !this.inTranslation && f?.role === 'control') this.directControlReads.add(file);
  }

  addTrap(trap: string, cond: Expr): void {
    const old = this.traps.get(trap);
    this.traps.set(trap, old ? orE(old, cond) : cond);
  }
}

interface Ctx {
  /** Condition under which this point is reached (locals substituted). */
  reach: Expr;
  locals: Map<string, Expr>;
  params?: Map<string, Expr>;
  /** Inline let-bound names into conditions (inside translations and functions, whose names mean
   *  nothing at the instruction); the instruction's own names are kept, as the author wrote them. */
  inline: boolean;
}

function expr(c: Collector, e: Expr, ctx: Ctx): void {
  const isa = c.isa;
  switch (e.k) {
    case 'reg':
      c.touchReg(e.reg, maskOf(e.width), e.reg, false);
      return;
    case 'field':
      c.touchReg(e.reg, maskOf(e.hi - e.lo + 1) << BigInt(e.lo), `${e.reg}.${e.field}`, false);
      return;
    case 'file':
      c.touchFile(e.file, false);
      expr(c, e.index, ctx);
      return;
    case 'mem':
      expr(c, e.addr, ctx);
      c.touchSpace(e.space, false);
      viewAccess(c, e.space, e.addr, ctx);
      return;
    case 'unop':
    case 'zext':
    case 'sext':
    case 'slice':
      expr(c, e.a, ctx);
      return;
    case 'binop':
      expr(c, e.a, ctx);
      expr(c, e.b, ctx);
      return;
    case 'concat':
      for (const p of e.parts) expr(c, p, ctx);
      return;
    case 'ite': {
      expr(c, e.cond, ctx);
      const cond = substitute(e.cond, ctx.locals, ctx.params);
      expr(c, e.then, { ...ctx, reach: andE(ctx.reach, cond) });
      expr(c, e.else, { ...ctx, reach: andE(ctx.reach, notE(cond)) });
      return;
    }
    case 'call': {
      for (const a of e.args) expr(c, a, ctx);
      const f = isaIndex(isa).functions.get(e.fn);
      if (!f) return;
      // Functions are pure (parameters only), but walk them anyway: a checker slip must not hide a read.
      const fctx: Ctx = { reach: TRUE, locals: new Map(), params: new Map(), inline: true };
      stmts(c, f.body, fctx);
      expr(c, f.result, fctx);
      return;
    }
    case 'const':
    case 'operand':
    case 'local':
    case 'param':
    case 'builtin':
      return;
    default:
      assertNever(e, 'expression');
  }
}

/** A view access reads what its translation reads and may raise the translation's traps. */
function viewAccess(c: Collector, space: string, addr: Expr, ctx: Ctx): void {
  const v = isaIndex(c.isa).views.get(space);
  if (!v) return;
  const t = isaIndex(c.isa).translations.get(v.translation);
  if (!t) return;
  const a = substitute(addr, ctx.locals, ctx.params);
  const tctx: Ctx = { reach: ctx.reach, locals: new Map(), params: new Map([[t.param.name, a]]), inline: true };
  c.inTranslation++;
  stmts(c, t.body, tctx);
  expr(c, t.result, tctx);
  c.inTranslation--;
}

function lvalue(c: Collector, t: LValue, ctx: Ctx): void {
  switch (t.k) {
    case 'reg':
      c.touchReg(t.reg, maskOf(t.width), t.reg, true);
      return;
    case 'field':
      c.touchReg(t.reg, maskOf(t.hi - t.lo + 1) << BigInt(t.lo), `${t.reg}.${t.field}`, true);
      return;
    case 'file':
      expr(c, t.index, ctx);
      c.touchFile(t.file, true);
      return;
    case 'mem':
      expr(c, t.addr, ctx);
      c.touchSpace(t.space, true);
      viewAccess(c, t.space, t.addr, ctx);
      return;
    default:
      assertNever(t, 'lvalue');
  }
}

/** Whether every path through `body` ends in a trap or halt. */
export function alwaysAborts(body: Stmt[]): boolean {
  for (const s of body) {
    if (s.k === 'trap' || s.k === 'halt') return true;
    if (s.k === 'if' && alwaysAborts(s.then) && alwaysAborts(s.else)) return true;
  }
  return false;
}

function stmts(c: Collector, body: Stmt[], ctx: Ctx): void {
  for (const s of body) {
    switch (s.k) {
      case 'let':
        expr(c, s.value, ctx);
        if (ctx.inline) ctx.locals.set(s.name, substitute(s.value, ctx.locals, ctx.params));
        break;
      case 'assign':
        expr(c, s.value, ctx);
        lvalue(c, s.target, ctx);
        break;
      case 'trap':
        c.addTrap(s.trap, ctx.reach);
        return; // nothing after a trap runs
      case 'halt':
        c.halts = true;
        return;
      case 'if': {
        expr(c, s.cond, ctx);
        const cond = substitute(s.cond, ctx.locals, ctx.params);
        stmts(c, s.then, { ...ctx, reach: andE(ctx.reach, cond) });
        stmts(c, s.else, { ...ctx, reach: andE(ctx.reach, notE(cond)) });
        // Code after an `if` whose branch always aborts runs only when that branch was not taken.
        if (alwaysAborts(s.then)) ctx.reach = andE(ctx.reach, notE(cond));
        if (alwaysAborts(s.else)) ctx.reach = andE(ctx.reach, cond);
        break;
      }
      default:
        assertNever(s, 'statement');
    }
  }
}

export function instructionEffects(isa: Isa, instr: Instruction): EffectsDetail {
  const c = new Collector(isa);
  stmts(c, instr.semantics, { reach: TRUE, locals: new Map(), inline: false });
  const kinds = new Map(isa.traps.map((t) => [t.name, t.kind]));
  let privilegeCondition: Expr = { k: 'const', width: 1, value: '0x0' };
  const traps: InstructionEffects['traps'] = [];
  for (const [trap, cond] of c.traps) {
    const kind = kinds.get(trap) ?? 'illegal';
    traps.push({ trap, kind, condition: printExpr(cond) });
    if (kind === 'privilege') privilegeCondition = orE(privilegeCondition, cond);
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    effects: {
      reads: sorted(c.reads),
      writes: sorted(c.writes),
      readsMode: c.modeReads.size > 0,
      readsControl: c.controlReads.size > 0,
      writesMode: c.modeWrites.size > 0,
      writesControl: c.controlWrites.size > 0,
      readsClock: c.clockReads.size > 0,
      traps,
      halts: c.halts,
      modeReads: sorted(c.modeReads),
      controlReads: sorted(c.controlReads),
      modeWrites: sorted(c.modeWrites),
      controlWrites: sorted(c.controlWrites),
      clockReads: sorted(c.clockReads),
      directModeReads: sorted(c.directModeReads),
      directControlReads: sorted(c.directControlReads),
    },
    privilegeCondition,
    halts: c.halts,
    modeReads: sorted(c.modeReads),
    controlReads: sorted(c.controlReads),
    modeWrites: sorted(c.modeWrites),
    controlWrites: sorted(c.controlWrites),
    clockReads: sorted(c.clockReads),
    directModeReads: sorted(c.directModeReads),
    directControlReads: sorted(c.directControlReads),
    directSpaces: sorted(c.directSpaces),
  };
}
