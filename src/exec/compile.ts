// Compiles a spec's semantics to JavaScript, once per spec (and per memory-window configuration).
//
// Safety: the generated source is made only of identifiers this file invents (s3, t12, m1, o0, f2)
// and numbers it formats itself (L, LB below). No name, doc string or literal text from the spec
// reaches the source: every spec name is looked up in a Map and replaced by an index, every
// constant is parsed to a bigint and re-printed, every width/position is checked to be a safe
// integer before it is printed. A hostile spec cannot run code.
//
// Representation: a value of width <= 32 is a JS number in [0, 2^w) (arithmetic with `>>> 0` and
// masks, Math.imul); a wider one is a bigint in [0, 2^w). Registers <= 32 bits live in `u`
// (Uint32Array), wider in `w` (BigUint64Array); memory `i` is the typed array `m<i>`.
//
// Precise traps: registers an instruction writes are held in locals and stored only at the end
// (or at `halt`); a register-file or memory write after which a trap is still possible saves the
// old word in locals first, and every trap exit restores those in reverse order.
//
// Status codes of the generated functions: 0 done (RUN: budget used up), 1 halt, 2 illegal
// instruction, 3 trap (x.t = trap index, x.ret = return pc, x.pc = pc of the instruction),
// 4 timer trap (after a completed instruction), 5 (EX) the fetch trapped, 6 (RUN) the trap handler
// asked RUN to stop.
//
// Traps inside RUN: RUN does not return for a trap. It calls the machine's handler `H(status)` in
// place (x.t, x.ret, x.pc and x.n set as above); 0 means the trap was dealt with (hook or trap
// entry) and the loop goes on, anything else ends RUN with that status. A monitor that takes a trap
// every few hundred instructions then pays a call, not a return from and re-entry into the loop.
//
// Blocks: a pc RUN reaches often (HOT_AFTER times) becomes a block, its straight run of
// instructions up to one that writes the pc or the fetch translation's registers, decoded once
// and compiled into one function with the operands, the pc and next_pc as literals (`instantiate`
// builds them at run time, `Gen.blockSource` writes them; the same safety rule holds: only
// generated names and printed numbers). Each instruction commits as it completes, so a trap in
// the middle leaves the state of those before it (precise, as if each ran alone). A block stays
// valid while (1) its guard holds: the bits of the registers the fetch translation reads have the
// values they had when it was decoded, checked at entry, and (2) no word its decoding read (the
// instruction words, the page-table words the translation read) has been written: every store
// into a watched memory checks a bitmap, and a hit drops the blocks decoded from that page and ends
// the running block after the storing instruction. RUN runs a block only when the budget and every
// timer leave room for all of it, so budgets and timer interrupts fall on the exact instruction.
// Inside a block the guard's values are constants, and `Folder` evaluates what they decide (an
// M-mode Sv32 walk becomes `va[19..0]`).

import {
  fieldRuns,
  type Expr,
  type Func,
  type Isa,
  type LValue,
  type Stmt,
  type Translation,
  type Builtin,
  type Instruction,
  assertNever,
  forEachChildExpr as forEachChild,
  mapChildExpr,
  mapLValueExpr,
  walkExpr,
  walkStmts,
  derived,
  derivedKey,
} from '../ir/index.js';
import { evalExpr } from './interpret.js';
import { MachineError, checkWidth, isInt, type Layout, type MemSlot } from './layout.js';

export const ST_HALT = 1;
export const ST_ILLEGAL = 2;
export const ST_TRAP = 3;
export const ST_TIMER = 4;
/** EX: fetching the instruction trapped (x.t = trap index). */
export const ST_FETCH_TRAP = 5;
/** RUN: the trap handler asked RUN to return (the run ends, or must re-enter). */
export const ST_STOP = 6;

/** A physical-memory window: the guest sees words [0, size) of `memory` at host [base, base+size). */
export interface MemoryWindow {
  memory: string;
  base: number;
  size: number;
}

/** Everything the factory needs at run time; the generated code reads and writes these fields. */
export interface Exchange {
  /** Instructions attempted by the last RUN call. */
  n: number;
  /** Trap index (into isa.traps). */
  t: number;
  /** Return pc of the trap (number, or bigint for a pc wider than 32 bits). */
  ret: number | bigint;
  /** pc of the instruction that stopped RUN. */
  pc: number | bigint;
  /** DEC: instruction index, operand values, words. */
  ins: number;
  ops: (number | bigint)[];
  len: number;
  /** The console's output: the bytes stored at its address, in order. */
  out: number[];
  /** The console's host word without a memory window (a memory console; see memAccess). */
  ca: number;
}

export type TypedMemory = Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export interface CompiledFns {
  /** Instruction k's semantics on the live state: (operands..., next_pc) -> status. */
  I: ((...args: (number | bigint)[]) => number)[];
  /** The trap entry: (trap_vector, return_pc) -> status. */
  TE: (tv: number, rpc: number | bigint) => number;
  /** The reset block -> status. */
  RS: () => number;
  /** Fetch and decode at pc into x.ins/x.ops/x.len -> status (0, 2 or 3). */
  DEC: (pc: number | bigint) => number;
  /** Run at most `budget` instructions -> status; x.n = instructions attempted. */
  RUN: (budget: number) => number;
  /** Fetch, decode and run the instruction at pc (pc register set to it first) -> status 0, 1,
   *  2 (no encoding matches), 3 (x.t, x.ret) or 5 (fetch trap, x.t); x.ins = its index. */
  EX: (pc: number | bigint) => number;
  /** Drop every compiled block (state was replaced from outside the generated code). */
  FLUSH: () => void;
  /** Word `a` of memory `mi` was written from outside the generated code: invalidate the blocks
   *  that depend on it (at the next block entry). */
  WCHK: (mi: number, a: number) => void;
  /** What block functions are made from (the block builder's side of the factory). */
  C: BlockContext;
}

/** The run-time objects a block function's prelude binds (see Gen.blockSource). */
export interface BlockContext {
  u: Uint32Array;
  w: BigUint64Array;
  w32: Uint32Array;
  x: Exchange;
  V: Int32Array;
  M: TypedMemory[];
  WT: (Uint8Array | null)[];
  /** A watched page was written: (memory index, page). */
  INV: (mi: number, page: number) => void;
  /** Register the pages DECW read since the last call as pages the block at `pc` depends on. */
  REG: (pc: number) => void;
  F: ((...args: (number | bigint)[]) => number | bigint)[];
  /** DEC that marks every word it reads in the watch bitmaps; null without block support. */
  DECW: ((pc: number) => number) | null;
}

/** A compiled block: `f(lim)` runs it (see Gen.blockDispatch); `n` instructions long. */
export interface Block {
  f: (lim: number) => number;
  n: number;
}

/** One decoded instruction of a block. */
interface BlockInsn {
  index: number;
  ops: (number | bigint)[];
  len: number;
  pc: number;
}

// Block compilation parameters. A pc becomes a block after HOT_AFTER visits (code run a few times
// only, as in witness replay, is not worth a `new Function`); a block has at most MAX_BLOCK_LEN
// instructions. The run loop finds blocks in a direct-mapped table of SLOT_BITS bits (a Map
// lookup per instruction halved the speed of code that has no block yet).
const HOT_AFTER = 16;
const SLOT_BITS = 12;
const MAX_BLOCK_LEN = 64;
/** Written pages remembered between two looks of the run loop; beyond, every block is dropped. */
const MAX_PENDING = 64;
/** Page -> block entries kept before the tables start again (blocks evicted from the table and
 *  rebuilt leave entries behind). */
const MAX_PAGE_ENTRIES = 1 << 16;
/** Block functions kept per program (by what they were compiled from), to skip recompiling. */
const MAX_CACHED = 4096;
/** More words of translation state than this and the guard would cost more than it saves. */
const MAX_GUARD = 64;

export type Factory = (
  u: Uint32Array,
  w: BigUint64Array,
  M: TypedMemory[],
  x: Exchange,
  tc: Int32Array,
  /** The trap handler RUN calls in place: (status 2, 3 or 4) -> 0 to go on, else RUN's status. */
  H: (status: number) => number,
  /** The block builder RUN calls for a hot pc: a block, or undefined (no block starts there);
   *  null: this machine runs without blocks. */
  BLD: ((pc: number) => Block | undefined) | null,
) => CompiledFns;

export interface Program {
  source: string;
  factory: Factory;
  /** Trap indices of the timers, in the order of the `tc` countdown array. */
  timers: number[];
  /** The generator, kept to compile blocks; null when the spec runs without blocks. */
  gen: Gen | null;
}

// ---- literal formatting: the only way numbers reach generated source ----

/** A call argument worth substituting into the inlined body as an expression: reading it again
 *  costs nothing and a slice of it can then be read directly. */
function inlineArg(a: Expr): boolean {
  return a.k === 'reg' || a.k === 'field' || a.k === 'const';
}

/** Placeholders in a block's source for the loads and stores of its file-element locals (both
 *  are only known once the block is written; see Gen.blockSource). */
const LOADF = '/*load elements*/';
const FLUSHF = '/*store elements*/';

/** Code that is a literal as L or LB print it. */
const LITERAL = /^(?:[0-9]+|0x[0-9a-f]+n)$/;

function L(n: number): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new MachineError('internal: non-integer literal');
  return n < 0 ? `(${String(n)})` : String(n);
}

function LB(v: bigint): string {
  if (typeof v !== 'bigint' || v < 0n) throw new MachineError('internal: bad bigint literal');
  return `0x${v.toString(16)}n`;
}

function parseHex(h: unknown, what: string): bigint {
  if (typeof h !== 'string') throw new MachineError(`${what}: constant is not a string`);
  try {
    const v = BigInt(h);
    if (v < 0n) throw new Error();
    return v;
  } catch {
    throw new MachineError(`${what}: malformed constant`);
  }
}

const maskN = (w: number): number => (w === 32 ? 0xffffffff : 2 ** w - 1);
const maskB = (w: number): bigint => (1n << BigInt(w)) - 1n;
const narrow = (w: number): boolean => w <= 32;

/** Normalise a number expression to width w (<= 32). */
function normN(x: string, w: number): string {
  return w === 32 ? `((${x}) >>> 0)` : `((${x}) & ${L(maskN(w))})`;
}

/** Signed value of a number of width w (<= 32) as an int32. */
function sxN(x: string, w: number): string {
  return w === 32 ? `((${x}) | 0)` : `(((${x}) << ${L(32 - w)}) >> ${L(32 - w)})`;
}

function constCode(v: bigint, w: number): string {
  v &= maskB(w);
  return narrow(w) ? L(Number(v)) : LB(v);
}

/** Bits hi..lo of a value of width wa. */
function sliceCode(x: string, wa: number, hi: number, lo: number): string {
  const wr = hi - lo + 1;
  if (lo >= wa) return narrow(wr) ? '0' : '0n';
  if (narrow(wa)) {
    if (lo === 0 && wr >= wa) return narrow(wr) ? x : `BigInt(${x})`;
    const core = lo === 0 ? `((${x}) & ${L(maskN(Math.min(wr, 32)))})` : `(((${x}) >>> ${L(lo)}) & ${L(maskN(Math.min(wr, 32)))})`;
    return narrow(wr) ? core : `BigInt(${core})`;
  }
  const shifted = lo === 0 ? x : `((${x}) >> ${LB(BigInt(lo))})`;
  if (lo === 0 && wr >= wa) return x;
  return narrow(wr) ? `Number(BigInt.asUintN(${L(wr)}, ${shifted}))` : `BigInt.asUintN(${L(wr)}, ${shifted})`;
}

/** Zero-extend or truncate a value of width `from` to width `to`. */
function fit(x: string, from: number, to: number): string {
  if (from === to) return x;
  if (to < from) return sliceCode(x, from, to - 1, 0);
  if (narrow(from) && !narrow(to)) return `BigInt(${x})`;
  return x;
}

/** Concatenation, high part first. */
function concatCode(parts: { code: string; width: number }[]): string {
  const total = parts.reduce((s, p) => s + p.width, 0);
  if (parts.length === 1) return parts[0]!.code;
  let shift = total;
  const terms: string[] = [];
  for (const p of parts) {
    shift -= p.width;
    if (narrow(total)) terms.push(shift === 0 ? `(${p.code})` : `((${p.code}) << ${L(shift)})`);
    else {
      const b = narrow(p.width) ? `BigInt(${p.code})` : `(${p.code})`;
      terms.push(shift === 0 ? b : `(${b} << ${LB(BigInt(shift))})`);
    }
  }
  const joined = `(${terms.join(' | ')})`;
  return total === 32 ? `(${joined} >>> 0)` : joined;
}

/** (x + i) mod 2^to, for x of width `from`, in the representation of `to`. */
function wrapTo(x: string, from: number, i: number, to: number): string {
  if (narrow(from)) {
    const sum = i === 0 ? x : `(${x}) + ${L(i)}`;
    if (narrow(to)) return i === 0 && to >= from ? x : normN(sum, to);
    return `BigInt(${sum})`;
  }
  const sum = i === 0 ? x : `(${x}) + ${LB(BigInt(i))}`;
  return narrow(to) ? `Number(BigInt.asUintN(${L(to)}, ${sum}))` : `BigInt.asUintN(${L(to)}, ${sum})`;
}

/** A host index: (x + i) mod size, for x of width `from` (size a power of two < 2^31). */
function wrapIndex(x: string, from: number, i: number, size: number): string {
  if (narrow(from)) {
    if (i === 0 && 2 ** from <= size) return x;
    return `(((${x}) + ${L(i)}) & ${L(size - 1)})`;
  }
  return `Number(((${x}) + ${LB(BigInt(i))}) & ${LB(BigInt(size - 1))})`;
}

const HELPERS = `"use strict";
function hShl(a, b, w, m) { return b >= w ? 0 : w === 32 ? (a << b) >>> 0 : (a << b) & m; }
function hLshr(a, b, w) { return b >= w ? 0 : a >>> b; }
function hAshr(a, b, w, m) {
  const s = w === 32 ? a | 0 : (a << (32 - w)) >> (32 - w);
  const r = b >= w ? (s < 0 ? -1 : 0) : s >> b;
  return w === 32 ? r >>> 0 : r & m;
}
function hUdiv(a, b, m) { return b === 0 ? m : (a / b) >>> 0; }
function hUrem(a, b) { return b === 0 ? a : a % b; }
function hSdiv(a, b, w, m) {
  const sa = w === 32 ? a | 0 : (a << (32 - w)) >> (32 - w);
  const sb = w === 32 ? b | 0 : (b << (32 - w)) >> (32 - w);
  if (sb === 0) return sa < 0 ? 1 : m;
  const q = Math.trunc(sa / sb);
  return w === 32 ? q >>> 0 : q & m;
}
function hSrem(a, b, w, m) {
  const sa = w === 32 ? a | 0 : (a << (32 - w)) >> (32 - w);
  const sb = w === 32 ? b | 0 : (b << (32 - w)) >> (32 - w);
  if (sb === 0) return a;
  const r = sa % sb;
  return w === 32 ? r >>> 0 : r & m;
}
function hAmt(b) { return b > 255n ? 255 : Number(b); }
function bShl(a, b, w) { return b >= w ? 0n : BigInt.asUintN(w, a << BigInt(b)); }
function bLshr(a, b, w) { return b >= w ? 0n : a >> BigInt(b); }
function bAshr(a, b, w) { return BigInt.asUintN(w, BigInt.asIntN(w, a) >> BigInt(b >= w ? w : b)); }
function bUdiv(a, b, m) { return b === 0n ? m : a / b; }
function bUrem(a, b) { return b === 0n ? a : a % b; }
function bSdiv(a, b, w, m) {
  const sa = BigInt.asIntN(w, a), sb = BigInt.asIntN(w, b);
  if (sb === 0n) return sa < 0n ? 1n : m;
  return BigInt.asUintN(w, sa / sb);
}
function bSrem(a, b, w) {
  const sa = BigInt.asIntN(w, a), sb = BigInt.asIntN(w, b);
  return sb === 0n ? a : BigInt.asUintN(w, sa % sb);
}
`;

// ---- the code generator ----

interface Env {
  scopes: Map<string, string>[];
  params: Map<string, string>;
  operands: Map<string, string>;
  builtins: Partial<Record<Builtin, string>>;
}

interface BodyOptions {
  /** The pc register's value as a literal (an instruction compiled into a block). */
  pcConst?: string;
  /** Record every memory word read in the watch bitmaps (the decoder blocks are built with). */
  logReads?: boolean;
  /** Registers whose value a block's guard fixes: name -> literal. */
  staticRegs?: Map<string, string>;
  /** The guarded bits of registers in a block (see Folder). */
  guarded?: Map<string, { mask: bigint; value: bigint }>;
  /** Registers a block keeps in locals across its instructions: name -> local (stored back into
   *  `u`/`w` at every exit of the block). */
  cache?: Map<string, string>;
  /** Register files whose elements a block keeps in locals (every access to them in the block
   *  has a constant index): slot -> local, filled as elements are used. */
  fileCache?: { files: Set<string>; slots: Map<number, string> };
}

interface Exits {
  /** Statements leaving the body with trap `t` (the undo has already been emitted). */
  trap(t: number): string;
  /** Statements leaving the body after `halt` (the commit has already been emitted). */
  halt(): string;
}

function emptyEnv(): Env {
  return { scopes: [new Map()], params: new Map(), operands: new Map(), builtins: {} };
}

/** One generated function body (or one inlined instruction body). */
class Body {
  out: string[] = [];
  readonly decls: string[] = [];
  readonly regLocal = new Map<string, string>();
  pcFlag: string | null = null;
  readonly undo: string[] = [];
  /** Let identifiers holding a 33..52-bit value as a number (see midSum), not a bigint. */
  readonly mid = new Set<string>();
  private depth = 0;
  /** Inside a translation's body (pure: no writes), where lets may be evaluated lazily. */
  private inTranslation = false;
  /** While set, hoist() returns the code itself (see lazyLet). */
  private inline = false;

  constructor(
    readonly g: Gen,
    public env: Env,
    readonly exits: Exits,
    /** Assignments after which a trap is still possible (their old values are saved). */
    readonly needUndo: Set<Stmt> = new Set(),
    /** Identifier holding next_pc (instructions): the pc rule applies at commit. */
    readonly npc: string | null = null,
    readonly opts: BodyOptions = {},
  ) {}

  /** Hold every register the statements write in a local, loaded at entry. */
  localise(stmts: Stmt[]): void {
    for (const name of writtenRegs(stmts)) {
      const r = this.g.reg(name);
      const id = this.g.fresh('s');
      // Inside a block the pc register is not stored between instructions: its value is a literal.
      const init =
        name === this.g.isa.fetch.pc && this.opts.pcConst !== undefined
          ? this.opts.pcConst
          : (this.opts.cache?.get(name) ?? `${r.wide ? 'w' : 'u'}[${L(r.slot)}]`);
      this.decls.push(`let ${id} = ${init};`);
      this.regLocal.set(name, id);
      if (name === this.g.isa.fetch.pc && this.npc) {
        this.pcFlag = this.g.fresh('q');
        this.decls.push(`let ${this.pcFlag} = 0;`);
      }
    }
  }

  /** Store the register locals; `withPc` false (an instruction inside a block that falls through to
   *  the next one) leaves the pc register alone, the block knows it. */
  commit(withPc = true): string {
    const parts: string[] = [];
    const pcName = this.g.isa.fetch.pc;
    for (const [name, id] of this.regLocal) {
      if (name === pcName && this.npc) continue;
      const r = this.g.reg(name);
      const cached = this.opts.cache?.get(name);
      parts.push(cached ? `${cached} = ${id};` : `${r.wide ? 'w' : 'u'}[${L(r.slot)}] = ${id};`);
    }
    if (this.npc && withPc) {
      const pc = this.g.layout.pc;
      const arr = `${pc.wide ? 'w' : 'u'}[${L(pc.slot)}]`;
      const local = this.regLocal.get(pcName);
      parts.push(local ? `${arr} = ${this.pcFlag} ? ${local} : ${this.npc};` : `${arr} = ${this.npc};`);
    }
    return parts.join(' ');
  }

  trapCode(t: number): string {
    return `{ ${[...this.undo].reverse().join(' ')} ${this.exits.trap(t)} }`;
  }

  text(): string {
    return [...this.decls, ...this.out].join('\n');
  }

  /** Bind `code` to a fresh const unless it is already an identifier or a literal. */
  hoist(code: string): string {
    if (/^[a-z][0-9]*$|^[0-9]+n?$|^0x[0-9a-f]+n$/.test(code)) return code;
    // Building an expression that must stay one expression (a lazy let): repeat it instead.
    if (this.inline) return `(${code})`;
    const id = this.g.fresh('t');
    this.out.push(`const ${id} = ${code};`);
    return id;
  }

  capture(f: () => string): [string[], string] {
    const saved = this.out;
    this.out = [];
    try {
      const code = f();
      return [this.out, code];
    } finally {
      this.out = saved;
    }
  }

  // ---- statements ----

  stmts(list: Stmt[]): void {
    for (const s of list) this.stmt(s);
  }

  block(list: Stmt[]): void {
    this.env.scopes.push(new Map());
    try {
      this.stmts(list);
    } finally {
      this.env.scopes.pop();
    }
  }

  stmt(s: Stmt): void {
    switch (s.k) {
      case 'let': {
        const id = this.g.fresh('t');
        const lazy = this.inTranslation ? this.lazyLet(id, s.value) : null;
        if (lazy !== null) {
          this.env.scopes[this.env.scopes.length - 1]!.set(s.name, lazy);
          return;
        }
        const mid = this.midSum(s.value);
        if (mid !== null) {
          // A carry or borrow computed one bit wider than 32: a double holds it exactly, and its
          // slices (the usual use: sum[31..0], sum[32]) need no bigint at all.
          this.out.push(`const ${id} = ${mid};`);
          this.mid.add(id);
        } else this.out.push(`const ${id} = ${this.ex(s.value)};`);
        this.env.scopes[this.env.scopes.length - 1]!.set(s.name, id);
        return;
      }
      case 'assign':
        this.assign(s, s.target, s.value);
        return;
      case 'if': {
        const c = this.ex(s.cond);
        this.out.push(`if (${c}) {`);
        this.block(s.then);
        if (s.else.length > 0) {
          this.out.push('} else {');
          this.block(s.else);
        }
        this.out.push('}');
        return;
      }
      case 'trap':
        this.out.push(this.trapCode(this.g.trap(s.trap)));
        return;
      case 'halt':
        this.out.push(`{ ${this.commit()} ${this.exits.halt()} }`);
        return;
      default:
        // (A malformed IR object reaches here at run time; compileProgram reports it as such.)
        assertNever(s, 'statement');
    }
  }

  private saveOld(arr: string, idx: string, wide: boolean): void {
    const f = this.g.fresh('f');
    const a = this.g.fresh('a');
    const v = this.g.fresh('v');
    this.decls.push(`let ${f} = 0, ${a} = 0, ${v} = ${wide ? '0n' : '0'};`);
    this.out.push(`${f} = 1; ${a} = ${idx}; ${v} = ${arr}[${a}];`);
    this.undo.push(`if (${f}) ${arr}[${a}] = ${v};`);
  }

  private assign(s: Stmt, t: LValue, value: Expr): void {
    // The value is evaluated before the target's index or address, as the reference interpreter does.
    const v = this.ex(value);
    switch (t.k) {
      case 'reg': {
        const r = this.g.reg(t.reg);
        const local = this.regLocal.get(t.reg);
        if (!local) throw new MachineError('internal: register write without a local');
        this.out.push(`${local} = ${fit(v, value.width, r.width)};`);
        if (this.pcFlag && t.reg === this.g.isa.fetch.pc) this.out.push(`${this.pcFlag} = 1;`);
        return;
      }
      case 'field': {
        const r = this.g.reg(t.reg);
        const local = this.regLocal.get(t.reg);
        if (!local) throw new MachineError('internal: register write without a local');
        if (!isInt(t.hi, 0, r.width - 1) || !isInt(t.lo, 0, t.hi)) throw new MachineError(`field of ${t.reg}: bad bit range`);
        const fw = t.hi - t.lo + 1;
        const fv = fit(v, value.width, fw);
        if (narrow(r.width)) {
          const inv = (~(maskN(fw) * 2 ** t.lo) >>> 0) & maskN(r.width);
          const shifted = t.lo === 0 ? `(${fv})` : `((${fv}) << ${L(t.lo)})`;
          this.out.push(`${local} = ((${local} & ${L(inv)}) | ${shifted}) >>> 0;`);
        } else {
          const inv = maskB(r.width) & ~(maskB(fw) << BigInt(t.lo));
          const b = narrow(fw) ? `BigInt(${fv})` : `(${fv})`;
          this.out.push(`${local} = (${local} & ${LB(inv)}) | (${b} << ${LB(BigInt(t.lo))});`);
        }
        if (this.pcFlag && t.reg === this.g.isa.fetch.pc) this.out.push(`${this.pcFlag} = 1;`);
        return;
      }
      case 'file': {
        const f = this.g.file(t.file);
        const val = this.hoist(fit(v, value.width, f.width));
        const cached = this.cachedElement(t.file, t.index);
        if (cached !== null) {
          if (this.needUndo.has(s)) {
            const fl = this.g.fresh('f'),
              old = this.g.fresh('v');
            this.decls.push(`let ${fl} = 0, ${old} = ${f.wide ? '0n' : '0'};`);
            this.out.push(`${fl} = 1; ${old} = ${cached};`);
            this.undo.push(`if (${fl}) ${cached} = ${old};`);
          }
          this.out.push(`${cached} = ${val};`);
          return;
        }
        const idx = this.hoist(this.fileIndex(t.file, t.index));
        const arr = f.wide ? 'w' : 'u';
        if (this.needUndo.has(s)) this.saveOld(arr, idx, f.wide);
        this.out.push(`${arr}[${idx}] = ${val};`);
        return;
      }
      case 'mem': {
        const val = this.hoist(v);
        const words = checkWords(t.words);
        const acc = this.memAccess(t.space, this.ex(t.addr), t.addr.width, words);
        const ww = acc.slot.wordWidth;
        const total = value.width;
        const arr = `m${L(acc.slot.index)}`;
        acc.idxs.forEach((idx0, i) => {
          const idx = this.hoist(idx0);
          const shift = this.g.isa.endian === 'little' ? i * ww : (words - 1 - i) * ww;
          const part = fit(sliceCode(val, total, Math.min(shift + ww - 1, Math.max(total - 1, shift)), shift), Math.max(1, Math.min(ww, total - shift)), ww);
          const word = shift >= total ? (narrow(ww) ? '0' : '0n') : part;
          if (this.needUndo.has(s)) this.saveOld(arr, idx, !narrow(ww));
          this.out.push(`${arr}[${idx}] = ${word};`);
          // The console's byte is also the run's output (undone with the store if a trap follows).
          const atConsole = acc.atConsole[i];
          if (atConsole !== undefined) {
            if (this.needUndo.has(s)) {
              const f = this.g.fresh('f'),
                n = this.g.fresh('a');
              this.decls.push(`let ${f} = 0, ${n} = 0;`);
              this.out.push(`${f} = 1; ${n} = x.out.length;`);
              this.undo.push(`if (${f}) x.out.length = ${n};`);
            }
            this.out.push(`if (${atConsole}) x.out.push(${word});`);
          }
          // A store into a page that compiled blocks were decoded from (or that the fetch
          // translation read) invalidates them: the run loop flushes before the next block.
          const wt = this.g.watch.get(acc.slot.index);
          if (wt !== undefined) {
            const pg = this.hoist(`${idx} >>> ${L(wt)}`);
            this.out.push(`if (WT${L(acc.slot.index)}[${pg}] !== 0) INV(${L(acc.slot.index)}, ${pg});`);
          }
        });
        return;
      }
      default:
        assertNever(t, 'assignment target');
    }
  }

  /** In a block, the local that holds element `index` of file `name` when the block keeps that
   *  file's elements in locals and the index is a known constant; else null. */
  private cachedElement(name: string, index: Expr): string | null {
    const fc = this.opts.fileCache;
    if (!fc || !fc.files.has(name) || (index.k !== 'const' && index.k !== 'operand')) return null;
    const code = index.k === 'const' ? constCode(parseHex(index.value, 'constant'), checkWidth(index.width, 'expression')) : this.env.operands.get(index.name);
    if (code === undefined || !LITERAL.test(code)) return null;
    const f = this.g.file(name);
    const slot = f.base + Number(BigInt(code.replace(/n$/, '')) % BigInt(f.count));
    let id = fc.slots.get(slot);
    if (id === undefined) {
      id = `e${L(fc.slots.size)}`;
      fc.slots.set(slot, id);
    }
    return id;
  }

  private fileIndex(name: string, index: Expr): string {
    const f = this.g.file(name);
    const i = this.ex(index);
    const pow2 = (f.count & (f.count - 1)) === 0;
    let rel: string;
    // An index narrower than the file needs no wrap (the common case: a register operand).
    if (narrow(index.width) && 2 ** index.width <= f.count) rel = i;
    else if (narrow(index.width)) rel = pow2 ? `((${i}) & ${L(f.count - 1)})` : `((${i}) % ${L(f.count)})`;
    else rel = `Number((${i}) % ${LB(BigInt(f.count))})`;
    return f.base === 0 ? rel : `(${L(f.base)} + ${rel})`;
  }

  /** Host indices of the `words` words at address `a` (width aw) in a memory or view; emits the
   *  translation (which may trap) and the window check. */
  memAccess(space: string, a: string, aw: number, words: number, first = 0): { slot: MemSlot; idxs: string[]; atConsole: string[] } {
    const g = this.g;
    const direct = g.layout.mems.get(space);
    const idxs: string[] = [];
    // Per word, the test that it is the console's byte (empty: the space has no console).
    const atConsole: string[] = [];
    const con = g.isa.console?.space === space ? g.isa.console.address : undefined;
    let slot: MemSlot;
    if (direct) {
      slot = direct;
      const base = words > 1 || con !== undefined ? this.hoist(a) : a;
      for (let i = first; i < first + words; i++)
        idxs.push(con === undefined ? wrapIndex(base, aw, i, slot.size) : this.hoist(wrapIndex(base, aw, i, slot.size)));
    } else {
      const view = g.layout.views.get(space);
      if (!view) throw new MachineError('unknown memory or view in the IR');
      const tr = g.layout.translations.get(view.translation)!;
      slot = g.layout.mems.get(view.memory)!;
      const base = this.hoist(a);
      // Every word's address is translated before any is used (a trap aborts the whole access).
      for (let i = first; i < first + words; i++) {
        const p = this.hoist(wrapTo(base, aw, i, tr.param.width));
        // A view's console is at the address the program writes, before its translation.
        if (con !== undefined) atConsole.push(narrow(tr.param.width) ? `${p} === ${L(con)}` : `${p} === ${LB(BigInt(con))}`);
        const r = this.translate(tr, p);
        idxs.push(this.hoist(wrapIndex(r, tr.resultWidth, 0, slot.size)));
      }
    }
    const win = g.windows.get(slot.index);
    // A memory's console is the guest's word: in the windowed variant the index before the
    // window's base; without a window, x.ca (the machine moves it with the guest's allocation).
    if (direct && con !== undefined) for (const idx of idxs) atConsole.push(win ? `${idx} === ${L(con)}` : `${idx} === x.ca`);
    if (win) {
      return {
        slot,
        atConsole,
        idxs: idxs.map((idx0) => {
          const idx = this.hoist(idx0);
          this.out.push(`if (${idx} >= ${L(win.size)}) ${this.trapCode(g.memTrap)}`);
          return win.base === 0 ? idx : `(${idx} + ${L(win.base)})`;
        }),
      };
    }
    return { slot, idxs, atConsole };
  }

  /** Inline a translation: its statements run here, with its parameter bound to `p`. */
  private translate(tr: Translation, p: string): string {
    if (this.depth > 8) throw new MachineError('translations nest more than 8 deep');
    const saved = this.env;
    this.env = { ...emptyEnv(), params: new Map([[tr.param.name, p]]) };
    this.depth++;
    try {
      for (const s of tr.body) {
        if (s.k === 'assign' || s.k === 'halt') throw new MachineError('a translation may not write state or halt');
      }
      let body = tr.body,
        result = tr.result;
      if (this.opts.guarded) {
        // A Sv32 walk in M-mode is `va[19..0]` once `paging` is known to be false.
        const f = new Folder(this.g, this.env, this.opts, new Set(this.regLocal.keys()));
        const t = { result };
        body = f.stmts(tr.body, [], [], t);
        result = t.result;
      }
      const wasIn = this.inTranslation;
      this.inTranslation = true;
      try {
        this.stmts(body);
        return this.hoist(fit(this.ex(result), result.width, tr.resultWidth));
      } finally {
        this.inTranslation = wasIn;
      }
    } finally {
      this.depth--;
      this.env = saved;
    }
  }

  private readReg(name: string): string {
    const local = this.regLocal.get(name);
    if (local) return local;
    if (name === this.g.isa.fetch.pc && this.opts.pcConst !== undefined) return this.opts.pcConst;
    // A register the block's guard pins (written by no instruction before this one in the block).
    const fixed = this.opts.staticRegs?.get(name);
    if (fixed !== undefined) return fixed;
    const cached = this.opts.cache?.get(name);
    if (cached !== undefined) return cached;
    const r = this.g.reg(name);
    return `${r.wide ? 'w' : 'u'}[${L(r.slot)}]`;
  }

  private readMem(e: Extract<Expr, { k: 'mem' }>): string {
    const words = checkWords(e.words);
    const acc = this.memAccess(e.space, this.ex(e.addr), e.addr.width, words);
    const ww = acc.slot.wordWidth;
    const arr = `m${L(acc.slot.index)}`;
    const vals = acc.idxs.map((idx) => ({ code: `${arr}[${this.logged(acc.slot.index, idx)}]`, width: ww }));
    if (this.g.isa.endian === 'little') vals.reverse();
    return fit(concatCode(vals), ww * words, e.width);
  }

  /** A function's body inlined here: its lets in a scope of their own, parameters bound to the
   *  argument codes `raw` or, where raw is '', to the argument expressions themselves. */
  private inlineCall(fn: Func, args: Expr[], raw: string[]): string {
    if (this.depth > 16) throw new MachineError('function calls nest more than 16 deep');
    const params = new Map<string, string>();
    const subst = new Map<string, Expr>();
    fn.params.forEach((p, i) => {
      const a = args[i]!;
      const pw = checkWidth(p.width, 'parameter');
      if (raw[i] === '') {
        subst.set(p.name, a.width === pw ? a : a.width < pw ? { k: 'zext', a, width: pw } : { k: 'slice', a, hi: pw - 1, lo: 0, width: pw });
      } else params.set(p.name, this.hoist(fit(raw[i]!, a.width, pw)));
    });
    const sub = (x: Expr): Expr => (x.k === 'param' && subst.has(x.name) ? subst.get(x.name)! : mapChildExpr(x, sub));
    const saved = this.env;
    this.env = { scopes: [new Map()], params, operands: saved.operands, builtins: saved.builtins };
    this.depth++;
    try {
      for (const st of fn.body) {
        if (st.k !== 'let') throw new MachineError('a function body may only hold let statements');
        this.stmt({ ...st, value: sub(st.value) });
      }
      return this.hoist(this.ex(sub(fn.result)));
    } finally {
      this.depth--;
      this.env = saved;
    }
  }

  private foldCall(e: Extract<Expr, { k: 'call' }>, raw: string[]): string | null {
    try {
      const args: Expr[] = e.args.map((a, i) =>
        a.k === 'const' ? a : { k: 'const', width: a.width, value: '0x' + BigInt(raw[i]!.replace(/n$/, '')).toString(16) },
      );
      const v = evalExpr(this.g.isa, { regs: {}, files: {}, mem: {} }, { ...e, args });
      return constCode(v, e.width);
    } catch {
      return null;
    }
  }

  /** Bits hi..lo (at most 32 of them) of a 33..64-bit register as it sits in `w`, read as two
   *  32-bit halves (w32) without making a bigint; null when that does not apply (the register is
   *  held in a local or is a literal here, the slice is wider than 32 bits, a big-endian host). */
  private wideRegSlice(name: string, hi: number, lo: number): string | null {
    const r = this.g.reg(name);
    if (!r.wide || !this.g.w32 || hi - lo >= 32 || hi >= r.width) return null;
    if (this.regLocal.has(name) || this.opts.staticRegs?.has(name)) return null;
    const wr = hi - lo + 1;
    const lw = `w32[${L(2 * r.slot)}]`,
      hw = `w32[${L(2 * r.slot + 1)}]`;
    const mask = (x: string) => (wr === 32 ? `((${x}) >>> 0)` : `((${x}) & ${L(maskN(wr))})`);
    if (lo >= 32) return mask(lo === 32 ? hw : `${hw} >>> ${L(lo - 32)}`);
    if (hi < 32) return mask(lo === 0 ? lw : `${lw} >>> ${L(lo)}`);
    return mask(`(${lw} >>> ${L(lo)}) | (${hw} << ${L(32 - lo)})`);
  }

  /** In a translation a let that cannot trap is computed where it is first used, if at all: a
   *  Sv32 walk's page-table reads are not needed when `paging` is false (the interpreter computes
   *  them and throws them away; only a trap could tell, and these cannot trap). Returns the code
   *  of a use, `(t ?? (t = value))`, or null when the value needs statements of its own. */
  private lazyLet(id: string, value: Expr): string | null {
    if (new TrapFlow(this.g).expr(value)) return null;
    const saved = this.inline;
    this.inline = true;
    try {
      const [stmts, code] = this.capture(() => this.ex(value));
      if (stmts.length > 0) return null;
      if (LITERAL.test(code)) return code;
      this.out.push(`let ${id};`);
      return `(${id} ?? (${id} = ${code}))`;
    } finally {
      this.inline = saved;
    }
  }

  private localId(name: string): string {
    for (let i = this.env.scopes.length - 1; i >= 0; i--) {
      const id = this.env.scopes[i]!.get(name);
      if (id) return id;
    }
    throw new MachineError('a let name is used outside its scope');
  }

  /** For a 33..52-bit add or sub of zero-extended values of at most 32 bits: the number code of
   *  its exact value (a double, in [0, 2^w)); else null. */
  private midSum(e: Expr): string | null {
    if (e.k !== 'binop' || (e.op !== 'add' && e.op !== 'sub') || !(e.width > 32 && e.width <= 52)) return null;
    const ok = (x: Expr): boolean =>
      (x.k === 'zext' && x.a.width <= 32) || (x.k === 'const' && (parseHex(x.value, 'constant') & maskB(checkWidth(x.width, 'constant'))) < 2n ** 32n);
    if (!ok(e.a) || !ok(e.b)) return null;
    const part = (x: Expr): string =>
      x.k === 'zext' ? this.ex(x.a) : L(Number(parseHex((x as Extract<Expr, { k: 'const' }>).value, 'constant') & maskB(x.width)));
    const a = part(e.a),
      b = part(e.b);
    if (e.op === 'add') return `(${a} + ${b})`;
    const d = this.hoist(`(${a} - ${b})`);
    return `(${d} < 0 ? ${d} + ${L(2 ** e.width)} : ${d})`;
  }

  /** A memory index, recorded in the watch bitmap when this body logs its reads (DECW). */
  logged(mem: number, idx: string): string {
    return this.opts.logReads && this.g.watch.has(mem) ? `WL${L(mem)}(${idx})` : idx;
  }

  // ---- expressions ----

  ex(e: Expr): string {
    const w = checkWidth(e.width, 'expression');
    switch (e.k) {
      case 'const':
        return constCode(parseHex(e.value, 'constant'), w);
      case 'reg':
        return fit(this.readReg(e.reg), this.g.reg(e.reg).width, w);
      case 'field': {
        const r = this.g.reg(e.reg);
        if (!isInt(e.hi, 0, 63) || !isInt(e.lo, 0, e.hi)) throw new MachineError('field: bad bit range');
        return fit(this.wideRegSlice(e.reg, e.hi, e.lo) ?? sliceCode(this.readReg(e.reg), r.width, e.hi, e.lo), e.hi - e.lo + 1, w);
      }
      case 'file': {
        const f = this.g.file(e.file);
        const cached = this.cachedElement(e.file, e.index);
        if (cached !== null) return fit(cached, f.width, w);
        return fit(`${f.wide ? 'w' : 'u'}[${this.fileIndex(e.file, e.index)}]`, f.width, w);
      }
      case 'mem':
        return this.readMem(e);
      case 'operand': {
        const id = this.env.operands.get(e.name);
        if (!id) throw new MachineError('an operand is used outside its instruction');
        return id;
      }
      case 'local': {
        const id = this.localId(e.name);
        return this.mid.has(id) ? `BigInt(${id})` : id;
      }
      case 'param': {
        const id = this.env.params.get(e.name);
        if (!id) throw new MachineError('a parameter is used outside its function');
        return id;
      }
      case 'builtin': {
        const id = this.env.builtins[e.name];
        if (!id) throw new MachineError('a built-in name is used where it has no value');
        return fit(id, this.g.builtinWidth(e.name), w);
      }
      case 'unop': {
        const a = this.ex(e.a);
        if (e.op === 'not') return narrow(w) ? (w === 32 ? `(~(${a}) >>> 0)` : `((${a}) ^ ${L(maskN(w))})`) : `((${a}) ^ ${LB(maskB(w))})`;
        if (e.op === 'neg') return narrow(w) ? normN(`-(${a})`, w) : `BigInt.asUintN(${L(w)}, -(${a}))`;
        throw new MachineError('unknown unary operator in the IR');
      }
      case 'binop':
        return this.binop(e);
      case 'concat':
        return fit(
          concatCode(e.parts.map((p) => ({ code: this.ex(p), width: checkWidth(p.width, 'expression') }))),
          e.parts.reduce((s, p) => s + p.width, 0),
          w,
        );
      case 'slice': {
        if (!isInt(e.hi, 0, 63) || !isInt(e.lo, 0, e.hi)) throw new MachineError('slice: bad bit range');
        if (e.a.k === 'reg') {
          const direct = this.wideRegSlice(e.a.reg, e.hi, e.lo);
          if (direct !== null) return fit(direct, e.hi - e.lo + 1, w);
        }
        if (e.a.k === 'local' && e.hi - e.lo < 32 && e.hi < e.a.width) {
          const id = this.localId(e.a.name);
          if (this.mid.has(id)) {
            const wr = e.hi - e.lo + 1;
            const shifted = e.lo === 0 ? id : `Math.floor(${id} / ${L(2 ** e.lo)})`;
            return fit(wr === 32 ? `(${shifted} >>> 0)` : `(${shifted} % ${L(2 ** wr)})`, wr, w);
          }
        }
        const a = this.ex(e.a);
        return fit(sliceCode(a, e.a.width, e.hi, e.lo), e.hi - e.lo + 1, w);
      }
      case 'zext':
        return fit(this.ex(e.a), e.a.width, w);
      case 'sext': {
        const a = this.ex(e.a);
        const from = e.a.width;
        if (w <= from) return fit(a, from, w);
        if (narrow(from)) return narrow(w) ? normN(sxN(a, from), w) : `BigInt.asUintN(${L(w)}, BigInt(${sxN(a, from)}))`;
        return `BigInt.asUintN(${L(w)}, BigInt.asIntN(${L(from)}, ${a}))`;
      }
      case 'ite': {
        const c = this.ex(e.cond);
        // Branches are lazy (as in the interpreter): a branch that may trap becomes an if statement.
        const [tOut, tCode] = this.capture(() => this.ex(e.then));
        const [eOut, eCode] = this.capture(() => this.ex(e.else));
        if (tOut.length === 0 && eOut.length === 0) return `((${c}) ? ${tCode} : ${eCode})`;
        const id = this.g.fresh('t');
        this.out.push(`let ${id};`, `if (${c}) {`, ...tOut, `${id} = ${tCode};`, '} else {', ...eOut, `${id} = ${eCode};`, '}');
        return id;
      }
      case 'call': {
        const { fn } = this.g.func(e.fn);
        if (!Array.isArray(e.args) || e.args.length !== fn.params.length) throw new MachineError('a call has the wrong number of arguments');
        // Register, field and constant arguments are substituted into the body as expressions (so
        // a slice of a 64-bit register argument reads its 32-bit halves, no bigint); others are
        // evaluated once, here.
        const raw = e.args.map((a) => (inlineArg(a) ? '' : this.ex(a)));
        // In a block, a call whose arguments are all literals (operands, guarded registers) is
        // evaluated now: functions are pure, and the interpreter is the semantics' reference.
        if (this.opts.staticRegs && e.args.every((a, i) => a.k === 'const' || LITERAL.test(raw[i]!))) {
          const folded = this.foldCall(e, raw);
          if (folded !== null) return folded;
        }
        return fit(this.inlineCall(fn, e.args, raw), fn.resultWidth, w);
      }
      default:
        return assertNever(e, 'expression');
    }
  }

  private binop(e: Extract<Expr, { k: 'binop' }>): string {
    const a = this.ex(e.a);
    if ((e.op === 'and' || e.op === 'or') && e.width === 1 && !new TrapFlow(this.g).expr(e.b)) {
      // 0/1 values: && and || give the same number, and skip the right side when the left decides
      // (it cannot trap, so skipping it shows nothing). Only if it needs no statements of its own.
      const [stmts, b] = this.capture(() => this.ex(e.b));
      if (stmts.length === 0) return e.op === 'and' ? `(${a} && ${b})` : `(${a} || ${b})`;
      this.out.push(...stmts);
      return e.op === 'and' ? `(${a} & ${b})` : `(${a} | ${b})`;
    }
    const b = this.ex(e.b);
    const w = checkWidth(e.a.width, 'expression');
    const n = narrow(w);
    const m = n ? L(maskN(w)) : LB(maskB(w));
    const W = L(w);
    const bool = (c: string) => `((${c}) ? 1 : 0)`;
    const sa = n ? sxN(a, w) : `BigInt.asIntN(${W}, ${a})`;
    const sb = n ? sxN(b, w) : `BigInt.asIntN(${W}, ${b})`;
    switch (e.op) {
      case 'add':
        return n ? normN(`${a} + ${b}`, w) : `BigInt.asUintN(${W}, ${a} + ${b})`;
      case 'sub':
        return n ? normN(`${a} - ${b}`, w) : `BigInt.asUintN(${W}, ${a} - ${b})`;
      case 'mul':
        if (!n) return `BigInt.asUintN(${W}, ${a} * ${b})`;
        return w <= 16 ? normN(`${a} * ${b}`, w) : normN(`Math.imul(${a}, ${b})`, w);
      case 'udiv':
        return n ? `hUdiv(${a}, ${b}, ${m})` : `bUdiv(${a}, ${b}, ${m})`;
      case 'urem':
        return n ? `hUrem(${a}, ${b})` : `bUrem(${a}, ${b})`;
      case 'sdiv':
        return n ? `hSdiv(${a}, ${b}, ${W}, ${m})` : `bSdiv(${a}, ${b}, ${W}, ${m})`;
      case 'srem':
        return n ? `hSrem(${a}, ${b}, ${W}, ${m})` : `bSrem(${a}, ${b}, ${W})`;
      case 'and':
        return n ? (w === 32 ? `((${a} & ${b}) >>> 0)` : `(${a} & ${b})`) : `(${a} & ${b})`;
      case 'or':
        return n ? (w === 32 ? `((${a} | ${b}) >>> 0)` : `(${a} | ${b})`) : `(${a} | ${b})`;
      case 'xor':
        return n ? (w === 32 ? `((${a} ^ ${b}) >>> 0)` : `(${a} ^ ${b})`) : `(${a} ^ ${b})`;
      case 'shl':
      case 'lshr':
      case 'ashr': {
        const bw = e.b.width;
        // A constant amount needs no range check.
        if (e.b.k === 'const') {
          const k = parseHex(e.b.value, 'constant') & maskB(bw);
          if (k >= BigInt(w)) {
            if (e.op !== 'ashr') return n ? '0' : '0n';
            return n ? (w === 32 ? `((${sa} >> 31) >>> 0)` : `((${sa} >> 31) & ${m})`) : `BigInt.asUintN(${W}, ${sa} >> ${LB(BigInt(w))})`;
          }
          const kk = Number(k);
          if (kk === 0) return a;
          if (n) {
            if (e.op === 'shl') return normN(`${a} << ${L(kk)}`, w);
            if (e.op === 'lshr') return `(${a} >>> ${L(kk)})`;
            return normN(`${sa} >> ${L(kk)}`, w);
          }
          if (e.op === 'shl') return `BigInt.asUintN(${W}, ${a} << ${LB(k)})`;
          if (e.op === 'lshr') return `(${a} >> ${LB(k)})`;
          return `BigInt.asUintN(${W}, ${sa} >> ${LB(k)})`;
        }
        const amt = narrow(bw) ? b : `hAmt(${b})`;
        if (n) {
          if (e.op === 'shl') return `hShl(${a}, ${amt}, ${W}, ${m})`;
          if (e.op === 'lshr') return `hLshr(${a}, ${amt}, ${W})`;
          return `hAshr(${a}, ${amt}, ${W}, ${m})`;
        }
        if (e.op === 'shl') return `bShl(${a}, ${amt}, ${W})`;
        if (e.op === 'lshr') return `bLshr(${a}, ${amt}, ${W})`;
        return `bAshr(${a}, ${amt}, ${W})`;
      }
      case 'eq':
        return bool(`${a} === ${b}`);
      case 'ne':
        return bool(`${a} !== ${b}`);
      case 'ult':
        return bool(`${a} < ${b}`);
      case 'ule':
        return bool(`${a} <= ${b}`);
      case 'ugt':
        return bool(`${a} > ${b}`);
      case 'uge':
        return bool(`${a} >= ${b}`);
      case 'slt':
        return bool(`${sa} < ${sb}`);
      case 'sle':
        return bool(`${sa} <= ${sb}`);
      case 'sgt':
        return bool(`${sa} > ${sb}`);
      case 'sge':
        return bool(`${sa} >= ${sb}`);
      default:
        return assertNever(e.op, 'binary operator');
    }
  }
}

function checkWords(n: unknown): number {
  if (!isInt(n, 1, 64)) throw new MachineError('a memory access must be of 1..64 words');
  return n;
}

/** Registers written anywhere in `stmts` (whole or by field). */
function writtenRegs(stmts: Stmt[], acc = new Set<string>()): Set<string> {
  for (const s of stmts) {
    if (s.k === 'assign' && (s.target.k === 'reg' || s.target.k === 'field')) acc.add(s.target.reg);
    if (s.k === 'if') {
      writtenRegs(s.then, acc);
      writtenRegs(s.else, acc);
    }
  }
  return acc;
}

/**
 * Partial evaluation for block code: a block's operands, pc and next_pc are literals and its
 * guard fixes some bits of the fetch translation's registers, so expressions over only those are
 * evaluated here (by the reference interpreter), `if`s and `?:` on a known condition lose the
 * other branch, `&&`/`||` with a known side short-circuit, and lets nothing uses any more are
 * dropped when evaluating them cannot trap. Registers the instruction writes are never taken as
 * known. The output is IR again; the code generator runs on it as on any other.
 */
class Folder {
  private readonly flow: TrapFlow;
  constructor(
    private readonly g: Gen,
    private readonly env: Env,
    private readonly opts: BodyOptions,
    private readonly written: Set<string>,
  ) {
    this.flow = new TrapFlow(g);
  }

  /** Simplified statements; `after` are expressions evaluated after them; `tail.result` (a
   *  translation's result, in the statements' scope) is simplified with them. */
  stmts(list: Stmt[], after: Expr[], scopes: Map<string, Expr | null>[] = [], tail?: { result: Expr }): Stmt[] {
    const out: Stmt[] = [];
    scopes.push(new Map());
    for (const s of list) {
      switch (s.k) {
        case 'let': {
          const v = this.expr(s.value, scopes);
          scopes[scopes.length - 1]!.set(s.name, v.k === 'const' ? v : null);
          // A known value is substituted where the name is used; the let itself goes.
          if (v.k !== 'const') out.push({ ...s, value: v });
          break;
        }
        case 'assign':
          out.push({ ...s, target: mapLValueExpr(s.target, (e) => this.expr(e, scopes)), value: this.expr(s.value, scopes) });
          break;
        case 'if': {
          const c = this.expr(s.cond, scopes);
          const known = c.k === 'const' ? parseHex(c.value, 'constant') !== 0n : undefined;
          out.push({
            ...s,
            cond: c,
            then: known === false ? [] : this.stmts(s.then, [], scopes),
            else: known === true ? [] : this.stmts(s.else, [], scopes),
          });
          break;
        }
        case 'trap':
        case 'halt':
          out.push(s);
          break;
        default:
          assertNever(s, 'statement');
      }
    }
    if (tail) tail.result = this.expr(tail.result, scopes);
    scopes.pop();
    // Drop lets no later statement (nor `after`) names, unless evaluating them may trap.
    const used = new Set<string>();
    const note = (e: Expr): void =>
      walkExpr(e, (x) => {
        if (x.k === 'local') used.add(x.name);
      });
    after.forEach(note);
    if (tail) note(tail.result);
    const kept: Stmt[] = [];
    for (let i = out.length - 1; i >= 0; i--) {
      const st = out[i]!;
      if (st.k === 'let' && !used.has(st.name) && !this.flow.expr(st.value)) continue;
      walkStmts(
        [st],
        () => {},
        (e) => {
          if (e.k === 'local') used.add(e.name);
        },
      );
      kept.push(st);
    }
    return kept.reverse();
  }

  expr(e: Expr, scopes: Map<string, Expr | null>[]): Expr {
    const w = checkWidth(e.width, 'expression');
    const known = (v: bigint): Expr => ({ k: 'const', width: w, value: '0x' + (v & maskB(w)).toString(16) });
    const lit = (code: string | undefined): Expr => (code !== undefined && LITERAL.test(code) ? known(BigInt(code.replace(/n$/, ''))) : e);
    switch (e.k) {
      case 'const':
        return e;
      case 'local': {
        for (let i = scopes.length - 1; i >= 0; i--) {
          if (scopes[i]!.has(e.name)) return scopes[i]!.get(e.name) ?? e;
        }
        return e;
      }
      case 'operand':
        return lit(this.env.operands.get(e.name));
      case 'param':
        return lit(this.env.params.get(e.name));
      case 'builtin':
        return lit(this.env.builtins[e.name]);
      case 'reg': {
        if (e.reg === this.g.isa.fetch.pc) return lit(this.opts.pcConst);
        const r = this.opts.guarded?.get(e.reg);
        if (!r || this.written.has(e.reg) || r.mask !== maskB(w)) return e;
        return known(r.value);
      }
      case 'field': {
        const r = this.opts.guarded?.get(e.reg);
        if (!r || this.written.has(e.reg) || !isInt(e.hi, 0, 63) || !isInt(e.lo, 0, e.hi)) return e;
        const fm = maskB(e.hi - e.lo + 1) << BigInt(e.lo);
        return (r.mask & fm) === fm ? known((r.value & fm) >> BigInt(e.lo)) : e;
      }
      case 'mem':
      case 'file':
        return mapChildExpr(e, (c) => this.expr(c, scopes));
      case 'ite': {
        const c = this.expr(e.cond, scopes);
        if (c.k === 'const') return this.expr(parseHex(c.value, 'constant') !== 0n ? e.then : e.else, scopes);
        return { ...e, cond: c, then: this.expr(e.then, scopes), else: this.expr(e.else, scopes) };
      }
      case 'binop': {
        const a = this.expr(e.a, scopes);
        // 1-bit and/or with a known side: the other side need not be evaluated if it cannot trap
        // (the interpreter evaluates both; only a trap could tell).
        if ((e.op === 'and' || e.op === 'or') && w === 1) {
          const absorbing = e.op === 'and' ? 0n : 1n;
          if (a.k === 'const' && parseHex(a.value, 'constant') === absorbing && !this.flow.expr(e.b)) return known(absorbing);
          const b = this.expr(e.b, scopes);
          if (b.k === 'const' && parseHex(b.value, 'constant') === absorbing && !this.flow.expr(e.a)) return known(absorbing);
          return this.evaluated({ ...e, a, b });
        }
        return this.evaluated({ ...e, a, b: this.expr(e.b, scopes) });
      }
      case 'unop':
      case 'slice':
      case 'zext':
      case 'sext':
      case 'concat':
      case 'call':
        return this.evaluated(mapChildExpr(e, (c) => this.expr(c, scopes)));
      default:
        return assertNever(e, 'expression');
    }
  }

  /** `e` evaluated when all its direct children are constants (they are already simplified). */
  private evaluated(e: Expr): Expr {
    let all = true;
    forEachChild(e, (c) => {
      if (c.k !== 'const') all = false;
    });
    if (!all) return e;
    try {
      const v = evalExpr(this.g.isa, { regs: {}, files: {}, mem: {} }, e);
      return { k: 'const', width: e.width, value: '0x' + (v & maskB(e.width)).toString(16) };
    } catch {
      return e;
    }
  }
}

/** Which file/memory writes need their old value saved: those after which a trap may still come. */
class TrapFlow {
  readonly needUndo = new Set<Stmt>();
  constructor(private readonly g: Gen) {}

  /** Marks writes in `list` given whether a trap may follow it; returns whether `list` may trap. */
  mark(list: Stmt[], trapAfter: boolean): boolean {
    let t = trapAfter;
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i]!;
      switch (s.k) {
        case 'trap':
          t = true;
          break;
        case 'halt':
          t = false;
          break;
        case 'let':
          t = t || this.expr(s.value);
          break;
        case 'assign': {
          const tk = s.target.k;
          if (t && (tk === 'file' || tk === 'mem')) this.needUndo.add(s);
          t = t || this.expr(s.value) || this.lvalue(s.target);
          break;
        }
        case 'if': {
          const a = this.mark(s.then, t);
          const b = this.mark(s.else, t);
          t = a || b || this.expr(s.cond);
          break;
        }
        default:
          assertNever(s, 'statement');
      }
    }
    return t;
  }

  private lvalue(t: LValue): boolean {
    switch (t.k) {
      case 'reg':
      case 'field':
        return false;
      case 'file':
        return this.expr(t.index);
      case 'mem':
        return this.space(t.space) || this.expr(t.addr);
      default:
        return assertNever(t, 'assignment target');
    }
  }

  private space(name: string): boolean {
    if (this.g.layout.views.has(name)) return true;
    const m = this.g.layout.mems.get(name);
    return m !== undefined && this.g.windows.has(m.index);
  }

  /** Conservative: may evaluating `e` trap (a view access, or a memory under a window)? */
  expr(e: Expr): boolean {
    switch (e.k) {
      case 'mem':
        return this.space(e.space) || this.expr(e.addr);
      case 'file':
        return this.expr(e.index);
      case 'unop':
      case 'slice':
      case 'zext':
      case 'sext':
        return this.expr(e.a);
      case 'binop':
        return this.expr(e.a) || this.expr(e.b);
      case 'concat':
        return e.parts.some((p) => this.expr(p));
      case 'ite':
        return this.expr(e.cond) || this.expr(e.then) || this.expr(e.else);
      case 'call':
        return e.args.some((a) => this.expr(a));
      // Leaves read state or names; functions cannot trap (they only compute).
      case 'const':
      case 'reg':
      case 'field':
      case 'operand':
      case 'local':
      case 'param':
      case 'builtin':
        return false;
      default:
        return assertNever(e, 'expression');
    }
  }
}

// ---- decoding ----

interface Enc {
  index: number;
  instr: Instruction;
  len: number;
  /** Per word: mask and match of the fixed bits (numbers if the word is <= 32 bits). */
  masks: bigint[];
  matches: bigint[];
  /** Decode conditions: per excluded pattern, mask and match per word (src/ir/types.ts). */
  excluded: { masks: bigint[]; matches: bigint[] }[];
  /** Operand extraction from word identifiers. */
  operands: (words: string[]) => string[];
}

function encodingOf(isa: Isa, layout: Layout, index: number): Enc {
  const instr = isa.instructions[index]!;
  const ww = layout.fetchWordWidth;
  const len = layout.lengths[index]!;
  const width = instr.encoding.width;
  const shift = BigInt(len * ww - width);
  const mask = (parseHex(instr.encoding.mask, 'encoding mask') & maskB(width)) << shift;
  const match = (parseHex(instr.encoding.match, 'encoding match') & maskB(width)) << shift;
  // Encodings are written in fetch order whatever the data endian (src/ir/types.ts): the first
  // fetched word is the most significant, so combined-value word k (bits k*ww..) is fetched word
  // len-1-k.
  const wordOf = (k: number) => len - 1 - k;
  const masks: bigint[] = new Array(len).fill(0n);
  const matches: bigint[] = new Array(len).fill(0n);
  for (let k = 0; k < len; k++) {
    masks[wordOf(k)] = (mask >> BigInt(k * ww)) & maskB(ww);
    matches[wordOf(k)] = (match >> BigInt(k * ww)) & maskB(ww);
  }
  const excluded = (instr.encoding.exclude ?? []).map((x) => {
    const xm = (parseHex(x.mask, 'excluded mask') & maskB(width)) << shift;
    const xv = (parseHex(x.match, 'excluded match') & maskB(width)) << shift;
    const e = { masks: new Array<bigint>(len).fill(0n), matches: new Array<bigint>(len).fill(0n) };
    for (let k = 0; k < len; k++) {
      e.masks[wordOf(k)] = (xm >> BigInt(k * ww)) & maskB(ww);
      e.matches[wordOf(k)] = (xv >> BigInt(k * ww)) & maskB(ww);
    }
    return e;
  });
  // Operand fields: bit ranges in the combined value, wherever the encoding puts them
  // (src/ir/encoding.ts), with the operand bit each begins at.
  const fields = new Map<string, { hi: number; lo: number; opLo: number }[]>();
  for (const it of instr.encoding.items ?? []) if (!isInt(it.width, 1, 4096)) throw new MachineError('encoding item: bad width');
  for (const r of fieldRuns(instr.encoding)) {
    if (r.at < 0 || r.at + r.width > width) throw new MachineError('encoding items are wider than the encoding');
    const lo = r.at + Number(shift);
    const list = fields.get(r.operand) ?? [];
    list.push({ hi: lo + r.width - 1, lo, opLo: r.lo });
    fields.set(r.operand, list);
  }
  const opWidths = instr.operands.map((o) => checkWidth(o.width, 'operand'));
  const operands = (words: string[]) =>
    instr.operands.map((o, oi) => {
      const pieces: { code: string; width: number }[] = [];
      // From the operand's highest held bit down; bits no field holds are zero.
      const runs = [...(fields.get(o.name) ?? [])].sort((a, b) => b.opLo - a.opLo);
      let top = runs.length ? runs[0]!.opLo + runs[0]!.hi - runs[0]!.lo + 1 : 0;
      const zero = (w: number) => ({ code: narrow(w) ? '0' : '0n', width: w });
      for (const f of runs) {
        const fTop = f.opLo + f.hi - f.lo + 1;
        if (fTop < top) pieces.push(zero(top - fTop));
        let b = f.hi;
        while (b >= f.lo) {
          const k = Math.floor(b / ww);
          const segLo = Math.max(f.lo, k * ww);
          pieces.push({ code: sliceCode(words[wordOf(k)]!, ww, b - k * ww, segLo - k * ww), width: b - segLo + 1 });
          b = segLo - 1;
        }
        top = f.opLo;
      }
      if (runs.length && top > 0) pieces.push(zero(top));
      const ow = opWidths[oi]!;
      if (pieces.length === 0) return narrow(ow) ? '0' : '0n';
      // Pieces wider than 64 bits in total keep only their low bits (as the interpreter's mask does).
      let total = pieces.reduce((s, p) => s + p.width, 0);
      while (total > 64) {
        total -= pieces[0]!.width;
        pieces.shift();
      }
      return fit(concatCode(pieces), total, ow);
    });
  return { index, instr, len, masks, matches, excluded, operands };
}

/** The decoding switch: key bits of the first word, candidates per key in the interpreter's order
 *  (shortest encoding first, then spec order). */
interface Decoder {
  /** The switch key: bits lo.. (`bits` of them) of fetched word `word` (every encoding has it). */
  word: number;
  lo: number;
  bits: number;
  /** Groups of keys sharing one candidate list. */
  groups: { keys: number[]; cands: Enc[] }[];
  all: Enc[];
  maxLen: number;
}

function buildDecoder(isa: Isa, layout: Layout): Decoder {
  const all = isa.instructions.map((_, i) => encodingOf(isa, layout, i));
  all.sort((a, b) => a.len - b.len || a.index - b.index);
  const maxLen = Math.max(1, ...all.map((e) => e.len));
  const ww = layout.fetchWordWidth;
  const minLen = Math.max(1, Math.min(...all.map((e) => e.len)));
  // The switch key: a window of at most 10 bits that every instruction fixes, in one of the words
  // all of them have (not only the first: a RISC-V opcode is in the last byte fetched), chosen for
  // the shortest chains of tests after the switch (the least sum of squared group sizes), then
  // the fewest bits.
  let best = { word: 0, lo: 0, bits: 0 };
  let bestScore = all.length * all.length;
  for (let j = 0; j < minLen && all.length > 0; j++) {
    let common = maskB(Math.min(ww, 32));
    for (const e of all) common &= e.masks[j]!;
    for (let lo = 0; lo < Math.min(ww, 32); lo++) {
      for (let bits = 1; bits <= 10 && lo + bits <= Math.min(ww, 32); bits++) {
        if (((common >> BigInt(lo)) & maskB(bits)) !== maskB(bits)) break;
        const count = new Map<bigint, number>();
        for (const e of all) {
          const k = (e.matches[j]! >> BigInt(lo)) & maskB(bits);
          count.set(k, (count.get(k) ?? 0) + 1);
        }
        let score = 0;
        for (const c of count.values()) score += c * c;
        // A later word must do much better: its words are fetched before the switch, and the
        // score only counts chains, not how often each instruction runs.
        if (j === 0 ? score < bestScore : score * 2 < bestScore) {
          bestScore = score;
          best = { word: j, lo, bits };
        }
      }
    }
  }
  const byKey = new Map<string, { keys: number[]; cands: Enc[] }>();
  const keyCount = 1 << best.bits;
  for (let key = 0; key < keyCount; key++) {
    const cands = all.filter((e) => Number((e.matches[best.word]! >> BigInt(best.lo)) & maskB(best.bits)) === key || best.bits === 0);
    if (cands.length === 0) continue;
    const sig = cands.map((c) => c.index).join(',');
    const g = byKey.get(sig) ?? { keys: [], cands };
    g.keys.push(key);
    byKey.set(sig, g);
  }
  return { word: best.word, lo: best.lo, bits: best.bits, groups: [...byKey.values()], all, maxLen };
}

// ---- blocks: what they depend on ----

/** One 32-bit word of state the fetch translation reads (bits `mask` of it). */
interface GuardWord {
  arr: 'u' | 'w32';
  slot: number;
  mask: number;
}

interface BlockSupport {
  /** The state words a block's guard compares (what the fetch translation reads). */
  guard: GuardWord[];
  /** The registers in the guard: their guarded bits are constants inside a block (guard indices,
   *  low word first). */
  regs: { name: string; width: number; words: number[]; mask: bigint }[];
  /** Memory index -> page shift: the memories whose writes may change fetched code or the fetch
   *  translation, watched at this page granularity. */
  watch: Map<number, number>;
  /** Per instruction: a block ends after it (it writes the pc or what the fetch translation reads). */
  ends: boolean[];
  /** Per instruction: it writes what the fetch translation reads (no self-loop then). */
  writesDeps: boolean[];
  /** Per instruction: it may store into a watched memory. */
  stores: boolean[];
}

/**
 * Whether and how `isa` runs in blocks. A block is valid while (1) the registers the fetch
 * translation reads hold the values they had when it was decoded (its guard, checked at entry;
 * instructions that write them end a block), and (2) no word the decode read — the instruction
 * words and whatever the fetch translation read in memory — has been written (the watch bitmaps;
 * every store checks them). Together these make each instruction's fetch and decode what they
 * were when the block was built. Null (no blocks) for a pc wider than 32 bits, a fetch
 * translation that reads the pc register itself, or one reading more state than a cheap guard
 * covers.
 */
function blockSupport(isa: Isa, layout: Layout): BlockSupport | null {
  if (layout.pc.wide) return null;
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) return null; // w32 assumes a little-endian host
  const regs = new Map<string, bigint>();
  const files = new Set<string>();
  const mems = new Set<number>([layout.fetchMem.index]);
  const seenT = new Set<string>();
  const seenF = new Set<string>();
  const visitSpace = (space: string): void => {
    const direct = layout.mems.get(space);
    if (direct) {
      mems.add(direct.index);
      return;
    }
    const view = layout.views.get(space);
    if (!view) throw new MachineError('unknown memory or view in the IR');
    mems.add(layout.mems.get(view.memory)!.index);
    if (seenT.has(view.translation)) return;
    seenT.add(view.translation);
    const tr = layout.translations.get(view.translation)!;
    walkStmts(tr.body, () => {}, onExpr);
    walkExpr(tr.result, onExpr);
  };
  const onExpr = (e: Expr): void => {
    switch (e.k) {
      case 'reg': {
        const r = layout.regs.get(e.reg);
        if (!r) throw new MachineError('unknown register in the IR');
        regs.set(e.reg, (regs.get(e.reg) ?? 0n) | maskB(r.width));
        return;
      }
      case 'field':
        if (!isInt(e.hi, 0, 63) || !isInt(e.lo, 0, e.hi)) throw new MachineError('field: bad bit range');
        regs.set(e.reg, (regs.get(e.reg) ?? 0n) | (maskB(e.hi - e.lo + 1) << BigInt(e.lo)));
        return;
      case 'file':
        files.add(e.file);
        return;
      case 'mem':
        visitSpace(e.space);
        return;
      case 'call': {
        if (seenF.has(e.fn)) return;
        seenF.add(e.fn);
        const f = (isa.functions ?? []).find((x) => x.name === e.fn);
        if (!f) throw new MachineError('unknown function in the IR');
        walkStmts(f.body, () => {}, onExpr);
        walkExpr(f.result, onExpr);
        return;
      }
      case 'const':
      case 'operand':
      case 'local':
      case 'param':
      case 'builtin':
      case 'unop':
      case 'binop':
      case 'concat':
      case 'slice':
      case 'zext':
      case 'sext':
      case 'ite':
        return;
      default:
        assertNever(e, 'expression');
    }
  };
  visitSpace(isa.fetch.space);
  if (regs.has(isa.fetch.pc)) return null;
  const guard: GuardWord[] = [];
  const inGuard: BlockSupport['regs'] = [];
  const addWords = (arr: 'u' | 'w', slot: number, mask: bigint): number[] => {
    const at = guard.length;
    if (arr === 'u') guard.push({ arr: 'u', slot, mask: Number(mask & 0xffffffffn) });
    else {
      guard.push({ arr: 'w32', slot: 2 * slot, mask: Number(mask & 0xffffffffn) });
      guard.push({ arr: 'w32', slot: 2 * slot + 1, mask: Number((mask >> 32n) & 0xffffffffn) });
    }
    return guard.slice(at).map((_, i) => at + i);
  };
  for (const [name, mask] of regs) {
    const r = layout.regs.get(name)!;
    const words = addWords(r.wide ? 'w' : 'u', r.slot, mask & maskB(r.width));
    inGuard.push({ name, width: r.width, words, mask: mask & maskB(r.width) });
  }
  for (const name of files) {
    const f = layout.files.get(name);
    if (!f) throw new MachineError('unknown register file in the IR');
    for (let i = 0; i < f.count && guard.length <= MAX_GUARD; i++) addWords(f.wide ? 'w' : 'u', f.base + i, maskB(f.width));
  }
  if (guard.length > MAX_GUARD) return null;
  const watch = new Map<number, number>();
  // Word granularity up to 64 Ki words; larger memories in pages that keep the bitmap at 64 KiB.
  for (const mi of mems) watch.set(mi, Math.max(0, Math.log2(layout.memList[mi]!.size) - 16));
  const ends: boolean[] = [];
  const writesDeps: boolean[] = [];
  const stores: boolean[] = [];
  for (const ins of isa.instructions) {
    let deps = false,
      pc = false,
      st = false;
    walkStmts(
      ins.semantics,
      (s) => {
        if (s.k !== 'assign') return;
        const t = s.target;
        switch (t.k) {
          case 'reg':
          case 'field':
            if (t.reg === isa.fetch.pc) pc = true;
            if (regs.has(t.reg)) deps = true;
            return;
          case 'file':
            if (files.has(t.file)) deps = true;
            return;
          case 'mem': {
            const m = layout.mems.get(t.space) ?? layout.mems.get(layout.views.get(t.space)?.memory ?? '');
            if (m && watch.has(m.index)) st = true;
            return;
          }
          default:
            assertNever(t, 'lvalue');
        }
      },
      () => {},
    );
    ends.push(pc || deps);
    writesDeps.push(deps);
    stores.push(st);
  }
  return { guard, regs: inGuard, watch, ends, writesDeps, stores };
}

/** The functions of a compiled program bound to one machine's state, blocks built on demand. */
export function instantiate(
  p: Program,
  u: Uint32Array,
  w: BigUint64Array,
  M: TypedMemory[],
  x: Exchange,
  tc: Int32Array,
  H: (status: number) => number,
  blocks = true,
): CompiledFns {
  const gen = p.gen;
  const support = gen?.blocks;
  if (!gen || !support || !blocks) return p.factory(u, w, M, x, tc, H, null);
  const pcMod = 2 ** gen.layout.pc.width;
  // Assigned once below; `build` (called only after that) reads it.
  // eslint-disable-next-line prefer-const
  let fns: CompiledFns | undefined;
  const build = (pc: number): Block | undefined => {
    const C = fns!.C;
    const insns: BlockInsn[] = [];
    let at = pc;
    for (let k = 0; k < MAX_BLOCK_LEN; k++) {
      // The block stops before an instruction whose fetch traps or that decodes to nothing: the
      // one-instruction path raises that in the state it then has.
      if (C.DECW!(at) !== 0) break;
      insns.push({ index: x.ins, ops: x.ops.slice(), len: x.len, pc: at });
      if (support.ends[x.ins]) break;
      at = (at + x.len) % pcMod;
    }
    if (insns.length === 0) return undefined;
    C.REG(pc);
    const values = support.guard.map((g) => (g.arr === 'u' ? C.u : C.w32)[g.slot]! & g.mask);
    // The same instructions at the same pc under the same guard make the same block: after an
    // invalidation (or in another machine of this spec) the compiled function is reused.
    const key = `${pc}|${values.join(',')}|${insns.map((i) => `${i.index}:${i.len}:${i.ops.join(',')}`).join(';')}`;
    let make = gen.blockCache.get(key);
    if (!make) {
      const source = gen.blockSource(insns, values);
      blockStats.built++;
      blockSources.push(source);
      if (blockSources.length > 16) blockSources.shift();
      try {
        make = new Function('C', source) as (c: BlockContext) => (lim: number) => number;
      } catch (e) {
        throw new MachineError(`internal: a generated block does not parse (${(e as Error).message})`);
      }
      if (gen.blockCache.size >= MAX_CACHED) gen.blockCache.clear();
      gen.blockCache.set(key, make);
    }
    return { f: make(C), n: insns.length };
  };
  fns = p.factory(u, w, M, x, tc, H, build);
  return fns;
}

/** The sources of the last blocks compiled (by any machine), for review and the injection test. */
export const blockSources: string[] = [];
/** Blocks compiled so far in this process (the tests check that their programs reach blocks). */
export const blockStats = { built: 0 };

// ---- the generator for a whole spec ----

export class Gen {
  private n = 0;
  readonly funcIndex = new Map<string, number>();
  /** Trap index of the first memory-kind trap (windows raise it). */
  readonly memTrap: number;
  readonly windows: Map<number, { base: number; size: number }>;

  constructor(
    readonly isa: Isa,
    readonly layout: Layout,
    windows: MemoryWindow[],
  ) {
    (isa.functions ?? []).forEach((f, i) => this.funcIndex.set(f.name, i));
    this.memTrap = (isa.traps ?? []).findIndex((t) => t.kind === 'memory');
    this.windows = new Map();
    for (const win of windows) {
      const m = layout.mems.get(win.memory);
      if (!m) throw new MachineError(`memory window: unknown memory ${JSON.stringify(win.memory)}`);
      if (!isInt(win.base, 0, m.size) || !isInt(win.size, 1, m.size) || win.base + win.size > m.size) {
        throw new MachineError(`memory window on ${m.memory.name}: [base, base+size) must lie within its ${m.size} words`);
      }
      if (this.memTrap < 0) throw new MachineError('memory windows need a trap of kind memory in the spec');
      this.windows.set(m.index, { base: win.base, size: win.size });
    }
    this.blocks = blockSupport(isa, layout);
    for (const [mi, shift] of this.blocks?.watch ?? []) this.watch.set(mi, shift);
  }

  /** What block compilation needs of this spec; null when it does not apply (see blockSupport). */
  readonly blocks: BlockSupport | null;
  /** Memory index -> page shift of its watch bitmap (pages blocks depend on). */
  readonly watch = new Map<number, number>();
  /** The factory has `w32`, the 64-bit registers as 32-bit halves (a little-endian host). */
  readonly w32 = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  /** Compiled block functions by what they were compiled from (see instantiate). */
  readonly blockCache = new Map<string, (c: BlockContext) => (lim: number) => number>();

  fresh(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  reg(name: string) {
    const r = this.layout.regs.get(name);
    if (!r) throw new MachineError('unknown register in the IR');
    return r;
  }

  file(name: string) {
    const f = this.layout.files.get(name);
    if (!f) throw new MachineError('unknown register file in the IR');
    return f;
  }

  func(name: string) {
    const index = this.funcIndex.get(name);
    if (index === undefined) throw new MachineError('unknown function in the IR');
    return { index, fn: this.isa.functions[index]! };
  }

  trap(name: string): number {
    const t = this.layout.traps.get(name);
    if (t === undefined) throw new MachineError('unknown trap in the IR');
    return t;
  }

  builtinWidth(name: Builtin): number {
    return name === 'trap_vector' ? 8 : this.layout.pc.width;
  }

  private softTrap(t: number): boolean {
    const k = this.isa.traps[t]!.kind;
    return k === 'software' || k === 'interrupt';
  }

  private body(stmts: Stmt[], env: Env, exits: Exits, npc: string | null, opts: BodyOptions = {}): Body {
    // In a block: what the guard, the operands and the pc fix is evaluated now (see Folder).
    if (opts.guarded) stmts = new Folder(this, env, opts, writtenRegs(stmts)).stmts(stmts, []);
    const flow = new TrapFlow(this);
    flow.mark(stmts, false);
    const b = new Body(this, env, exits, flow.needUndo, npc, opts);
    b.localise(stmts);
    b.stmts(stmts);
    return b;
  }

  private functions(): string[] {
    const out: string[] = [];
    const fns = this.isa.functions ?? [];
    checkAcyclic(
      fns.map((f) => ({
        name: f.name,
        calls: callsIn([...f.body.map((s) => (s.k === 'let' ? s.value : null)).filter((e): e is Expr => e !== null), f.result]),
      })),
    );
    fns.forEach((f, i) => {
      const params = new Map<string, string>();
      const names = f.params.map((p, j) => {
        checkWidth(p.width, 'parameter');
        const id = `p${L(j)}`;
        params.set(p.name, id);
        return id;
      });
      const b = new Body(
        this,
        { ...emptyEnv(), params },
        {
          trap: () => {
            throw new MachineError('a function may not trap');
          },
          halt: () => {
            throw new MachineError('a function may not halt');
          },
        },
      );
      for (const s of f.body) if (s.k !== 'let') throw new MachineError('a function body may only hold let statements');
      b.stmts(f.body);
      const r = fit(b.ex(f.result), f.result.width, checkWidth(f.resultWidth, 'function result'));
      out.push(`function f${L(i)}(${names.join(', ')}) {`, b.text(), `return ${r};`, '}');
    });
    return out;
  }

  private instructionFns(): string[] {
    const out: string[] = [];
    this.isa.instructions.forEach((ins, k) => {
      const operands = new Map<string, string>();
      const names = ins.operands.map((o, j) => {
        const id = `o${L(j)}`;
        operands.set(o.name, id);
        return id;
      });
      const env: Env = { ...emptyEnv(), operands, builtins: { next_pc: 'npc' } };
      const b = this.body(ins.semantics, env, { trap: (t) => `x.t = ${L(t)}; return 3;`, halt: () => 'return 1;' }, 'npc');
      out.push(`function I${L(k)}(${[...names, 'npc'].join(', ')}) {`, b.text(), b.commit(), 'return 0;', '}');
    });
    out.push(`const I = [${this.isa.instructions.map((_, k) => `I${L(k)}`).join(', ')}];`);
    return out;
  }

  private blockFn(name: string, params: string[], stmts: Stmt[], builtins: Env['builtins']): string[] {
    const b = this.body(stmts, { ...emptyEnv(), builtins }, { trap: (t) => `x.t = ${L(t)}; return 3;`, halt: () => 'return 1;' }, null);
    return [`function ${name}(${params.join(', ')}) {`, b.text(), b.commit(), 'return 0;', '}'];
  }

  /** Timer predicates: a trap while evaluating one counts as "not now". */
  private timerFns(timers: number[]): string[] {
    const out: string[] = [];
    timers.forEach((t, i) => {
      const b = new Body(this, emptyEnv(), { trap: () => 'return 0;', halt: () => 'return 0;' });
      const c = b.ex(this.isa.traps[t]!.timer!.when);
      out.push(`function TW${L(i)}() {`, b.text(), `return ${c};`, '}');
    });
    return out;
  }

  private fetch(b: Body, pc: string, i: number): string {
    const pcw = this.layout.pc.width;
    const space = this.isa.fetch.space;
    const view = this.layout.views.get(space);
    if (view && !this.smallFetch()) {
      // Through a translation: a call of FETCH (FETCHW when logging), not the translation inlined
      // at every fetch site (an x86 decoder has hundreds, and a function that large is never
      // optimised). FT: the trap it raised, or -1. A translation as small as a bus mask stays inline.
      const tr = this.layout.translations.get(view.translation)!;
      const p = b.hoist(wrapTo(pc, pcw, i, tr.param.width));
      const id = this.fresh('w');
      b.out.push(`const ${id} = ${b.opts.logReads ? 'FETCHW' : 'FETCH'}(${p});`);
      const cases = this.fetchTraps().map((t) => `case ${L(t)}: ${b.trapCode(t)}`);
      if (cases.length > 0) b.out.push(`if (FT >= 0) { switch (FT) { ${cases.join(' ')} } }`);
      return id;
    }
    // Word i of an n-word fetch is at pc + i (not wrapped to the pc's width), like E[pc, n].
    const { slot, idxs } = b.memAccess(space, pc, pcw, 1, i);
    const idx = idxs[0]!;
    const id = this.fresh('w');
    b.out.push(`const ${id} = m${L(slot.index)}[${b.logged(slot.index, idx)}];`);
    return id;
  }

  private small: boolean | undefined;
  /** Whether the fetch translation inlined is short enough to repeat at every fetch site. */
  private smallFetch(): boolean {
    if (this.small === undefined) {
      const b = new Body(this, emptyEnv(), { trap: () => 'return 0;', halt: () => 'return 0;' });
      const { idxs } = b.memAccess(this.isa.fetch.space, 'p', this.layout.pc.width, 1, 0);
      this.small = b.text().length + idxs[0]!.length <= 200;
    }
    return this.small;
  }

  /** The traps a fetch through the fetch view may raise: its translation's (and those of views it
   *  reads through), and the window trap. */
  private fetchTraps(): number[] {
    const out = new Set<number>();
    const seen = new Set<string>();
    const visit = (space: string): void => {
      const v = this.layout.views.get(space);
      if (!v || seen.has(v.translation)) return;
      seen.add(v.translation);
      const tr = this.layout.translations.get(v.translation)!;
      walkStmts(
        tr.body,
        (st) => {
          if (st.k === 'trap') out.add(this.trap(st.trap));
        },
        (e) => {
          if (e.k === 'mem') visit(e.space);
        },
      );
      walkExpr(tr.result, (e) => {
        if (e.k === 'mem') visit(e.space);
      });
    };
    visit(this.isa.fetch.space);
    if (this.windows.size > 0 && this.memTrap >= 0) out.add(this.memTrap);
    return [...out].sort((a, b) => a - b);
  }

  /** FETCH(p) / FETCHW(p): the word at translation parameter p of the fetch view, FT = -1, or
   *  FT = the trap the translation (or a window) raised. */
  private fetchFns(): string[] {
    const view = this.layout.views.get(this.isa.fetch.space);
    if (!view) return [];
    const out = ['let FT = -1;'];
    for (const logReads of this.blocks ? [false, true] : [false]) {
      const b = new Body(
        this,
        emptyEnv(),
        {
          trap: (t) => `FT = ${L(t)}; return 0;`,
          halt: () => {
            throw new MachineError('a translation may not halt');
          },
        },
        new Set(),
        null,
        { logReads },
      );
      const { slot, idxs } = b.memAccess(this.isa.fetch.space, 'p', this.layout.translations.get(view.translation)!.param.width, 1, 0);
      const word = `m${L(slot.index)}[${b.logged(slot.index, idxs[0]!)}]`;
      out.push(`function ${logReads ? 'FETCHW' : 'FETCH'}(p) {`, b.text(), `FT = -1; return ${word};`, '}');
    }
    return out;
  }

  /** The decoding switch. `onMatch` returns the statements for a decoded instruction. */
  private decodeSwitch(b: Body, label: string, pc: string, dec: Decoder, onMatch: (e: Enc, words: string[]) => string[], onIllegal: string[]): void {
    const ww = this.layout.fetchWordWidth;
    const words: string[] = [];
    for (let j = 0; j <= (dec.bits > 0 ? dec.word : 0); j++) words.push(this.fetch(b, pc, j));
    const fetchUpTo = (n: number) => {
      const saved = b.out;
      const lines: string[] = [];
      b.out = lines;
      while (words.length < n) words.push(this.fetch(b, pc, words.length));
      b.out = saved;
      return lines;
    };
    const keyed = dec.bits > 0;
    const caseBody = (cands: Enc[]): string[] => {
      const lines: string[] = [];
      const before = words.length;
      for (const e of cands) {
        lines.push(...fetchUpTo(e.len));
        const tests: string[] = [];
        for (let j = 0; j < e.len; j++) {
          // The switch key already tested its bits of its word.
          const mk = j === dec.word && keyed ? e.masks[j]! & ~(maskB(dec.bits) << BigInt(dec.lo)) : e.masks[j]!;
          if (mk === 0n) continue;
          const mt = e.matches[j]! & mk;
          if (narrow(ww))
            tests.push(ww === 32 ? `(${words[j]} & ${L(Number(mk) | 0)}) === ${L(Number(mt) | 0)}` : `(${words[j]} & ${L(Number(mk))}) === ${L(Number(mt))}`);
          else tests.push(`(${words[j]} & ${LB(mk)}) === ${LB(mt)}`);
        }
        for (const x of e.excluded) {
          const parts: string[] = [];
          for (let j = 0; j < e.len; j++) {
            const mk = x.masks[j]!;
            if (mk === 0n) continue;
            const mt = x.matches[j]!;
            if (narrow(ww))
              parts.push(ww === 32 ? `(${words[j]} & ${L(Number(mk) | 0)}) === ${L(Number(mt) | 0)}` : `(${words[j]} & ${L(Number(mk))}) === ${L(Number(mt))}`);
            else parts.push(`(${words[j]} & ${LB(mk)}) === ${LB(mt)}`);
          }
          if (parts.length) tests.push(`!(${parts.join(' && ')})`);
        }
        lines.push(`if (${tests.length ? tests.join(' && ') : 'true'}) {`, ...onMatch(e, words.slice(0, e.len)), '}');
      }
      lines.push(...fetchUpTo(dec.maxLen), ...onIllegal);
      words.length = before;
      return lines;
    };
    if (dec.bits === 0) {
      b.out.push(`${label}: {`, ...caseBody(dec.all), '}');
      return;
    }
    const key = narrow(ww)
      ? `((${words[dec.word]} >>> ${L(dec.lo)}) & ${L(maskN(dec.bits))})`
      : `Number((${words[dec.word]} >> ${LB(BigInt(dec.lo))}) & ${LB(maskB(dec.bits))})`;
    b.out.push(`${label}: switch (${key}) {`);
    for (const g of dec.groups) {
      b.out.push(g.keys.map((k) => `case ${L(k)}:`).join(' ') + ' {', ...caseBody(g.cands), '}');
    }
    b.out.push('default: {', ...caseBody([]), '}', '}');
  }

  private npcCode(pc: string, len: number): string {
    return wrapTo(pc, this.layout.pc.width, len, this.layout.pc.width);
  }

  /** DEC, or (logReads) DECW: the same decoder marking every word it reads (the fetched words and
   *  the words the fetch translation reads) in the watch bitmaps, for the block builder. */
  private decFn(dec: Decoder, logReads = false): string[] {
    const b = new Body(this, emptyEnv(), { trap: (t) => `x.t = ${L(t)}; return 3;`, halt: () => 'return 1;' }, new Set(), null, { logReads });
    this.decodeSwitch(
      b,
      this.fresh('sw'),
      'pc',
      dec,
      (e, words) => [`x.ins = ${L(e.index)}; x.len = ${L(e.len)}; x.ops = [${e.operands(words).join(', ')}]; return 0;`],
      ['return 2;'],
    );
    return [`function ${logReads ? 'DECW' : 'DEC'}(pc) {`, b.text(), 'return 2;', '}'];
  }

  /** EX: one instruction at pc through the compiled semantics, without building a decode result. */
  private exFn(dec: Decoder): string[] {
    const pcr = this.layout.pc;
    const pcArr = `${pcr.wide ? 'w' : 'u'}[${L(pcr.slot)}]`;
    const b = new Body(this, emptyEnv(), { trap: (t) => `x.t = ${L(t)}; return 5;`, halt: () => 'return 1;' });
    this.decodeSwitch(
      b,
      this.fresh('sw'),
      'pc',
      dec,
      (e, words) => {
        const npc = this.fresh('n');
        return [
          `x.ins = ${L(e.index)}; x.len = ${L(e.len)};`,
          `const ${npc} = ${this.npcCode('pc', e.len)};`,
          `${pcArr} = pc;`,
          `const r = I${L(e.index)}(${[...e.operands(words), npc].join(', ')});`,
          `if (r === 3) x.ret = SOFT[x.t] === 1 ? ${npc} : pc;`,
          'return r;',
        ];
      },
      ['return 2;'],
    );
    return ['function EX(pc) {', b.text(), 'return 2;', '}'];
  }

  private runFn(dec: Decoder, timers: number[], inline: boolean): string[] {
    // A trap is handled in place (see the header): the loop goes on when H says so.
    const handle = (status: string) => `x.n = n; if ((st = H(${status})) === 0) continue main; break main;`;
    const pcr = this.layout.pc;
    const pcArr = `${pcr.wide ? 'w' : 'u'}[${L(pcr.slot)}]`;
    const loop = new Body(this, emptyEnv(), {
      trap: (t) => `x.t = ${L(t)}; x.ret = pc; x.pc = pc; ${handle('3')}`,
      halt: () => 'st = 1; break main;',
    });
    const label = this.fresh('sw');
    this.decodeSwitch(
      loop,
      label,
      'pc',
      dec,
      (e, words) => {
        const ops = e.operands(words);
        const opIds = ops.map(() => this.fresh('o'));
        const lines = opIds.length ? [`const ${opIds.map((id, j) => `${id} = ${ops[j]}`).join(', ')};`] : [];
        const npc = this.fresh('n');
        lines.push(`const ${npc} = ${this.npcCode('pc', e.len)};`);
        if (inline) {
          const operands = new Map<string, string>();
          e.instr.operands.forEach((o, j) => operands.set(o.name, opIds[j]!));
          const body = this.body(
            e.instr.semantics,
            { ...emptyEnv(), operands, builtins: { next_pc: npc } },
            {
              trap: (t) => `x.t = ${L(t)}; x.ret = ${this.softTrap(t) ? npc : 'pc'}; x.pc = pc; ${handle('3')}`,
              halt: () => 'x.pc = pc; st = 1; break main;',
            },
            npc,
          );
          lines.push(body.text(), body.commit());
        } else {
          lines.push(
            `const r = I${L(e.index)}(${[...opIds, npc].join(', ')});`,
            `if (r !== 0) { x.pc = pc; if (r === 1) { st = 1; break main; } x.ret = SOFT[x.t] === 1 ? ${npc} : pc; ${handle('r')} }`,
          );
        }
        lines.push(`break ${label};`);
        return lines;
      },
      [`x.pc = pc; ${handle('2')}`],
    );
    const text = loop.text();
    const timerCode = timers.map((t, i) => {
      const period = this.isa.traps[t]!.timer!.period;
      return `if (--tc[${L(i)}] === 0) { tc[${L(i)}] = ${L(period)}; if (TW${L(i)}() !== 0) { x.t = ${L(t)}; x.ret = ${pcArr}; x.pc = x.ret; ${handle('4')} } }`;
    });
    return [
      'function RUN(budget) {',
      'let n = 0, st = 0;',
      'main: while (n < budget) {',
      `const pc = ${pcArr};`,
      ...(this.blocks ? this.blockDispatch(timers) : []),
      'n++;',
      text,
      ...timerCode,
      '}',
      'x.n = n;',
      'return st;',
      '}',
    ];
  }

  /** The block path of RUN: the compiled block for pc (built once pc has been reached HOT_AFTER
   *  times), run when the budget and every timer leave room for all of it; otherwise, or when its
   *  guard fails, one instruction by the code below. A block returns 8 * attempted + status (0 it
   *  ended normally, 1 halt, 3 trap with x.t/x.ret/x.pc set, 7 its guard failed and nothing ran). */
  private blockDispatch(timers: number[]): string[] {
    const lim = timers.map((_, i) => `if (tc[${L(i)}] <= lim) lim = tc[${L(i)}] - 1;`);
    const dec = timers.map((_, i) => `tc[${L(i)}] -= done;`);
    return [
      'if (BLK) {',
      'if (V[0] !== 0) PROCESS();',
      `const h = Math.imul(pc, ${L(0x9e3779b1 | 0)}) >>> ${L(32 - SLOT_BITS)};`,
      'let bl = BCK[h] === pc ? BCV[h] : undefined;',
      'if (bl === undefined) {',
      `if (++HOT[h] >= ${L(HOT_AFTER)}) { HOT[h] = 0; bl = BLD(pc); if (bl !== undefined) { BCK[h] = pc; BCV[h] = bl; } }`,
      '}',
      'if (bl !== undefined) {',
      'let lim = budget - n;',
      ...lim,
      'if (bl.n <= lim) {',
      'const r = bl.f(lim);',
      'if (r === 7) { BCK[h] = -1; BCV[h] = undefined; }',
      'else {',
      'const bs = r % 8, cnt = (r - bs) / 8;',
      'n += cnt;',
      ...(timers.length ? ['const done = bs === 0 ? cnt : cnt - 1;', ...dec] : []),
      'if (bs === 0) continue main;',
      'if (bs === 1) { st = 1; break main; }',
      'x.n = n; if ((st = H(3)) === 0) continue main; break main;',
      '}',
      '}',
      '}',
      '}',
    ];
  }

  /** The narrow register files every access of the block's instructions (and of the
   *  translations they reach) indexes by a constant, once operands and the guard are known. */
  private constantlyIndexedFiles(insns: BlockInsn[]): Set<string> {
    const used = new Set<string>(),
      dynamic = new Set<string>();
    const seenT = new Set<string>();
    const visitSpace = (space: string): void => {
      const v = this.layout.views.get(space);
      if (!v || seenT.has(v.translation)) return;
      seenT.add(v.translation);
      const tr = this.layout.translations.get(v.translation)!;
      // A translation's indices depend on its parameter: any file it reads is not constant.
      const inTr = (x: Expr): void => {
        if (x.k === 'file') dynamic.add(x.file);
        if (x.k === 'mem') visitSpace(x.space);
      };
      walkStmts(tr.body, () => {}, inTr);
      walkExpr(tr.result, inTr);
    };
    const onExpr = (e: Expr): void => {
      if (e.k === 'file') (e.index.k === 'const' ? used : dynamic).add(e.file);
      if (e.k === 'mem') visitSpace(e.space);
    };
    for (const ins of insns) {
      const instr = this.isa.instructions[ins.index]!;
      const operands = new Map<string, string>();
      instr.operands.forEach((o, j) => operands.set(o.name, constCode(BigInt(ins.ops[j] ?? 0), checkWidth(o.width, 'operand'))));
      const env: Env = { ...emptyEnv(), operands, builtins: { next_pc: L(ins.pc) } };
      const folded = new Folder(this, env, { pcConst: L(ins.pc) }, writtenRegs(instr.semantics)).stmts(instr.semantics, []);
      walkStmts(
        folded,
        (st) => {
          if (st.k !== 'assign') return;
          if (st.target.k === 'file') (st.target.index.k === 'const' ? used : dynamic).add(st.target.file);
          if (st.target.k === 'mem') visitSpace(st.target.space);
        },
        onExpr,
      );
    }
    return new Set([...used].filter((f) => !dynamic.has(f) && !this.file(f).wide));
  }

  /** The source of one block: `insns` decoded at consecutive pcs, each instruction's semantics
   *  inlined with its operands, pc and next_pc as literals, committed as it completes (so a trap
   *  in the middle leaves the state of the instructions before it). `guard` holds the values the
   *  fetch translation's registers had when the block was decoded. */
  blockSource(insns: BlockInsn[], guard: number[]): string {
    const bs = this.blocks!;
    const pcr = this.layout.pc;
    const pcArr = `u[${L(pcr.slot)}]`;
    const pcMod = 2 ** pcr.width;
    const n = insns.length;
    const out: string[] = [HELPERS];
    out.push('const u = C.u, w = C.w, w32 = C.w32, x = C.x, V = C.V;');
    for (const m of this.layout.memList) out.push(`const m${L(m.index)} = C.M[${L(m.index)}];`);
    for (const mi of this.watch.keys()) out.push(`const WT${L(mi)} = C.WT[${L(mi)}];`);
    out.push('const INV = C.INV;');
    (this.isa.functions ?? []).forEach((_, i) => out.push(`const f${L(i)} = C.F[${L(i)}];`));
    const checks = bs.guard.flatMap((g, i) => (g.mask === 0 ? [] : [`(${g.arr}[${L(g.slot)}] & ${L(g.mask | 0)}) !== ${L((guard[i]! & g.mask) | 0)}`]));
    const staticRegs = new Map<string, string>();
    const guarded = new Map<string, { mask: bigint; value: bigint }>();
    for (const r of bs.regs) {
      const v = r.words.reduceRight((acc, gi) => (acc << 32n) | BigInt(guard[gi]! >>> 0), 0n) & r.mask;
      guarded.set(r.name, { mask: r.mask, value: v });
      if (r.mask === maskB(r.width)) staticRegs.set(r.name, constCode(v, r.width));
    }
    // Registers some instruction of the block writes live in locals for the whole block (a flags
    // register is then not loaded and stored by every instruction); each exit stores them back,
    // and as every instruction commits into them, that is the state after the last completed one.
    const cache = new Map<string, string>();
    const load: string[] = [];
    const store: string[] = [];
    for (const ins of insns) {
      for (const name of writtenRegs(this.isa.instructions[ins.index]!.semantics)) {
        if (name === this.isa.fetch.pc || cache.has(name)) continue;
        const r = this.reg(name);
        const id = `b${L(cache.size)}`;
        cache.set(name, id);
        load.push(`let ${id} = ${r.wide ? 'w' : 'u'}[${L(r.slot)}];`);
        store.push(`${r.wide ? 'w' : 'u'}[${L(r.slot)}] = ${id};`);
      }
    }
    // Register files too (the RISC-V and x86 general registers), when every access the block makes
    // to one has a constant index once the operands are known: nothing else can alias them.
    const fileCache = { files: this.constantlyIndexedFiles(insns), slots: new Map<number, string>() };
    // The element locals are known only once the code is written: FLUSHF stands for storing them.
    const flush = [...store, FLUSHF].join(' ');
    out.push('return function B(lim) {');
    if (checks.length) out.push(`if (${checks.join(' || ')}) return 7;`);
    out.push(...load, LOADF, 'let c = 0;', 'for (;;) {');
    let writesDeps = false;
    insns.forEach((ins, k) => {
      const instr = this.isa.instructions[ins.index]!;
      const final = k === n - 1;
      const pcL = L(ins.pc);
      const npcL = L((ins.pc + ins.len) % pcMod);
      const operands = new Map<string, string>();
      instr.operands.forEach((o, j) => operands.set(o.name, constCode(BigInt(ins.ops[j] ?? 0), checkWidth(o.width, 'operand'))));
      const done = `(c + ${L(k + 1)}) * 8`;
      const body = this.body(
        instr.semantics,
        { ...emptyEnv(), operands, builtins: { next_pc: npcL } },
        {
          trap: (t) => `${flush} ${pcArr} = ${pcL}; x.t = ${L(t)}; x.ret = ${this.softTrap(t) ? npcL : pcL}; x.pc = ${pcL}; return ${done} + 3;`,
          halt: () => `${flush} x.pc = ${pcL}; return ${done} + 1;`,
        },
        npcL,
        { pcConst: pcL, staticRegs, guarded, cache, fileCache },
      );
      out.push('{', body.text(), body.commit(final), '}');
      if (!final && bs.stores[ins.index]) out.push(`if (V[0] !== 0) { ${flush} ${pcArr} = ${npcL}; return ${done}; }`);
      writesDeps ||= bs.writesDeps[ins.index]!;
    });
    out.push(`c += ${L(n)};`);
    // A block whose last instruction jumps back to its start goes round again without returning to
    // the dispatcher, while the budget and the timers allow (its guard cannot have changed: no
    // instruction of it writes what the fetch translation reads) and no watched page was written.
    const last = this.isa.instructions[insns[n - 1]!.index]!;
    if (!writesDeps && writtenRegs(last.semantics).has(this.isa.fetch.pc)) {
      out.push(`if (${pcArr} === ${L(insns[0]!.pc)} && V[0] === 0 && c + ${L(n)} <= lim) continue;`);
    }
    out.push(`${flush} return c * 8;`, '}', '};');
    const loadF: string[] = [],
      storeF: string[] = [];
    for (const [slot, id] of fileCache.slots) {
      loadF.push(`let ${id} = u[${L(slot)}];`);
      storeF.push(`u[${L(slot)}] = ${id};`);
    }
    return out.join('\n').split(LOADF).join(loadF.join(' ')).split(FLUSHF).join(storeF.join(' '));
  }

  generate(): Program {
    const isa = this.isa;
    const timers: number[] = [];
    (isa.traps ?? []).forEach((t, i) => {
      if (t.timer) timers.push(i);
    });
    const dec = buildDecoder(isa, this.layout);
    const parts: string[] = [HELPERS];
    parts.push(`const ${this.layout.memList.map((m) => `m${L(m.index)} = M[${L(m.index)}]`).join(', ') || 'M_ = 0'};`);
    parts.push('const w32 = new Uint32Array(w.buffer, w.byteOffset, w.length * 2);');
    parts.push(`const SOFT = [${(isa.traps ?? []).map((_, i) => (this.softTrap(i) ? '1' : '0')).join(', ')}];`);
    parts.push(...this.functions());
    parts.push(...this.instructionFns());
    parts.push(...this.blockFn('TE', ['tv', 'rpc'], isa.trapEntry ?? [], { trap_vector: 'tv', return_pc: 'rpc' }));
    parts.push(...this.blockFn('RS', [], isa.reset ?? [], {}));
    parts.push(...this.timerFns(timers));
    parts.push(...this.fetchFns());
    parts.push(...this.decFn(dec));
    parts.push(...this.blockRuntime());
    if (this.blocks) parts.push(...this.decFn(dec, true));
    // Inline every instruction into the loop unless that makes the loop too large to optimise.
    const inlined = this.runFn(dec, timers, true);
    const size = inlined.reduce((s, l) => s + l.length, 0);
    parts.push(...(size <= 40000 ? inlined : this.runFn(dec, timers, false)));
    parts.push(...this.exFn(dec));
    const fnList = (isa.functions ?? []).map((_, i) => `f${L(i)}`).join(', ');
    parts.push(
      `const C = { u, w, w32, x, V, M, WT, INV, REG, F: [${fnList}], DECW: ${this.blocks ? 'DECW' : 'null'} };`,
      'return { I, TE, RS, DEC, RUN, EX, FLUSH, WCHK, C };',
    );
    const source = parts.join('\n');
    let factory: Factory;
    try {
      factory = new Function('u', 'w', 'M', 'x', 'tc', 'H', 'BLD', source) as Factory;
    } catch (e) {
      throw new MachineError(`internal: generated code does not parse (${(e as Error).message})`);
    }
    return { source, factory, timers, gen: this.blocks ? this : null };
  }

  /** The block cache, the hotness counters, the watch bitmaps and their checks. */
  private blockRuntime(): string[] {
    // V[0]: a watched page was written (PROCESS before the next block); V[1]: too many to list.
    const out = ['const V = new Int32Array(2);'];
    for (const [mi, shift] of this.watch) {
      const pages = Math.max(1, this.layout.memList[mi]!.size >>> shift);
      out.push(
        `const WT${L(mi)} = new Uint8Array(${L(pages)});`,
        `function WL${L(mi)}(a) { const p = a >>> ${L(shift)}; WT${L(mi)}[p] = 1; LOG.push(${L(mi)}, p); return a; }`,
      );
    }
    const wt = this.layout.memList.map((m) => (this.watch.has(m.index) ? `WT${L(m.index)}` : 'null'));
    const pb = this.layout.memList.map((m) => (this.watch.has(m.index) ? 'new Map()' : 'null'));
    const ws = this.layout.memList.map((m) => L(this.watch.get(m.index) ?? 0));
    out.push(
      `const WT = [${wt.join(', ')}], WS = [${ws.join(', ')}];`,
      // BCK/BCV: the block table (pc, block) by slot; HOT: visits of a slot without a block.
      `const BCK = new Float64Array(${L(2 ** SLOT_BITS)}).fill(-1), BCV = new Array(${L(2 ** SLOT_BITS)}).fill(undefined), HOT = new Uint8Array(${L(2 ** SLOT_BITS)});`,
      'const BLK = BLD !== null;',
      `function UNSLOT(pc) { const h = Math.imul(pc, ${L(0x9e3779b1 | 0)}) >>> ${L(32 - SLOT_BITS)}; if (BCK[h] === pc) { BCK[h] = -1; BCV[h] = undefined; } }`,
      // PB[memory]: page -> pcs of the blocks decoded from it; LOG: the pages DECW read since the
      // last REG; PEND: pages written since the run loop last looked (too many: drop everything).
      // PBN: entries in PB (evicted and rebuilt blocks add to it; past a bound, start again).
      `const PB = [${pb.join(', ')}], LOG = [], PEND = [];`,
      'let PBN = 0;',
      'function FLUSH() { PBN = 0; BCK.fill(-1); BCV.fill(undefined); for (const t of WT) if (t !== null) t.fill(0); for (const m of PB) if (m !== null) m.clear(); HOT.fill(0); LOG.length = 0; PEND.length = 0; V[0] = 0; }',
      `function INV(mi, p) { if (PEND.length < ${L(2 * MAX_PENDING)}) PEND.push(mi, p); else V[1] = 1; V[0] = 1; }`,
      'function PROCESS() {',
      'if (V[1] !== 0) { FLUSH(); V[1] = 0; return; }',
      'for (let i = 0; i < PEND.length; i += 2) {',
      'const mi = PEND[i], p = PEND[i + 1], l = PB[mi].get(p);',
      'if (l !== undefined) { for (const pc of l) UNSLOT(pc); PB[mi].delete(p); }',
      'WT[mi][p] = 0;',
      '}',
      'PEND.length = 0; V[0] = 0;',
      '}',
      `function REG(pc) { if (PBN > ${L(MAX_PAGE_ENTRIES)}) { const log = LOG.slice(); FLUSH(); LOG.push(...log); for (let i = 0; i < LOG.length; i += 2) WT[LOG[i]][LOG[i + 1]] = 1; }`,
      'for (let i = 0; i < LOG.length; i += 2) { const m = PB[LOG[i]], l = m.get(LOG[i + 1]); if (l === undefined) { m.set(LOG[i + 1], [pc]); PBN++; } else if (l[l.length - 1] !== pc) { l.push(pc); PBN++; } } LOG.length = 0; }',
      'function WCHK(mi, a) { const t = WT[mi]; if (t !== null && t !== undefined && t[a >>> WS[mi]] !== 0) INV(mi, a >>> WS[mi]); }',
    );
    return out;
  }
}

function callsIn(exprs: Expr[]): string[] {
  const out: string[] = [];
  for (const e of exprs)
    walkExpr(e, (x) => {
      if (x.k === 'call') out.push(x.fn);
    });
  return out;
}

function checkAcyclic(fns: { name: string; calls: string[] }[]): void {
  const calls = new Map(fns.map((f) => [f.name, f.calls]));
  const state = new Map<string, 1 | 2>();
  const visit = (n: string): void => {
    const s = state.get(n);
    if (s === 2) return;
    if (s === 1) throw new MachineError('functions call each other recursively');
    state.set(n, 1);
    for (const c of calls.get(n) ?? []) visit(c);
    state.set(n, 2);
  };
  for (const f of fns) visit(f.name);
}

const PROGRAMS = derivedKey<Map<string, Program>>('compiled programs by window configuration');

function windowKey(windows: MemoryWindow[]): string {
  return windows
    .map((w) => `${String(w.memory)}@${String(w.base)}+${String(w.size)}`)
    .sort()
    .join(';');
}

/** The compiled program of a spec for a window configuration (compiled once, then cached). */
export function compileProgram(isa: Isa, layout: Layout, windows: MemoryWindow[] = []): Program {
  const byWin = derived(isa, PROGRAMS, () => new Map<string, Program>());
  const key = windowKey(windows);
  let p = byWin.get(key);
  if (!p) {
    try {
      p = new Gen(isa, layout, windows).generate();
    } catch (e) {
      // A malformed IR object (missing fields, wrong types) is the caller's error, not a crash.
      if (e instanceof MachineError) throw e;
      throw new MachineError(`the IR is malformed (${(e as Error)?.message ?? String(e)})`);
    }
    byWin.set(key, p);
  }
  return p;
}
