import { insertOperands } from '../../src/ir/encoding.js';
// Shared helpers of the exec tests: loading pg.isa, a tiny pg encoder built from the spec's own
// encodings, IR literal builders for inline specs, and a random expression generator.
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import type { BinOp, Expr, Instruction, Isa, LValue, Operand, Span, Stmt } from '../../src/ir/types.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export function loadPg(): Isa {
  const r = loadIsaFile(root + 'isas/pg.isa');
  if (!r.ok) throw new Error('pg.isa does not load: ' + JSON.stringify(r.diagnostics.slice(0, 3)));
  return r.isa;
}

/** Encode `mnemonic` with operand values from the spec's encoding items (the test's own encoder,
 *  independent of the machine's decoder). */
export function encode(isa: Isa, mnemonic: string, ops: Record<string, number> = {}): number {
  const ins = isa.instructions.find((i) => i.mnemonic === mnemonic);
  if (!ins) throw new Error('no instruction ' + mnemonic);
  for (const k of Object.keys(ops)) {
    if (!ins.operands.some((o) => o.name === k)) throw new Error(`${mnemonic} has no operand ${k}`);
  }
  // The fields wherever the encoding puts them (slices, little-endian groups: src/ir/encoding.ts).
  return Number(insertOperands(ins.encoding, new Map(Object.entries(ops).map(([k, x]) => [k, BigInt(x)]))));
}

// ---- IR literal builders ----

export const sp: Span = { file: 'inline.isa', line: 1, col: 1, endLine: 1, endCol: 2 };
export const hx = (v: number | bigint): string => '0x' + BigInt(v).toString(16);
export const c = (width: number, v: number | bigint): Expr => ({
  k: 'const',
  width,
  value: hx(BigInt(v) & ((1n << BigInt(width)) - 1n)),
});
export const reg = (r: string, width: number): Expr => ({ k: 'reg', reg: r, width });
export const opnd = (name: string, width: number): Expr => ({ k: 'operand', name, width });
export const loc = (name: string, width: number): Expr => ({ k: 'local', name, width });
const CMP = ['eq', 'ne', 'ult', 'ule', 'ugt', 'uge', 'slt', 'sle', 'sgt', 'sge'];
export const bin = (op: BinOp, a: Expr, b: Expr): Expr => ({ k: 'binop', op, a, b, width: CMP.includes(op) ? 1 : a.width });
export const mem = (space: string, addr: Expr, words: number, width: number): Expr => ({ k: 'mem', space, addr, words, width });
export const assign = (target: LValue, value: Expr): Stmt => ({ k: 'assign', target, value, span: sp });
export const setReg = (r: string, width: number, value: Expr): Stmt => assign({ k: 'reg', reg: r, width }, value);
export const iff = (cond: Expr, then: Stmt[], els: Stmt[] = []): Stmt => ({ k: 'if', cond, then, else: els, span: sp });
export const trap = (t: string): Stmt => ({ k: 'trap', trap: t, span: sp });
export const letS = (name: string, value: Expr): Stmt => ({ k: 'let', name, value, span: sp });
export const halt = (): Stmt => ({ k: 'halt', span: sp });

export function register(name: string, width: number, init = 0n, role: 'mode' | 'control' | 'plain' = 'plain') {
  return { name, width, role, readonly: false, clock: false, init: hx(init), fields: [], span: sp };
}

/** An instruction whose encoding is an opcode in the top `opBits` bits and operand fields after it. */
export function instr(mnemonic: string, width: number, opBits: number, opcode: number, operands: Operand[], semantics: Stmt[]): Instruction {
  const items: Instruction['encoding']['items'] = [{ k: 'fixed', width: opBits, value: hx(opcode) }];
  let used = opBits;
  for (const o of operands) {
    items.push({ k: 'field', operand: o.name, width: o.width });
    used += o.width;
  }
  if (used > width) throw new Error('operands do not fit');
  if (used < width) items.push({ k: 'fixed', width: width - used, value: '0x0' });
  const mask = (((1n << BigInt(opBits)) - 1n) << BigInt(width - opBits)) | ((1n << BigInt(width - used)) - 1n);
  const match = BigInt(opcode) << BigInt(width - opBits);
  return { mnemonic, operands, syntax: [], encoding: { width, items, mask: hx(mask), match: hx(match) }, claims: [], semantics, span: sp };
}

/** A minimal inline spec: pc P (16 bits), memory E, one trap of each kind the tests need. */
export function inlineIsa(over: Partial<Isa>): Isa {
  return {
    format: 'isavirt-ir',
    version: 1,
    name: 'inline',
    source: 'inline.isa',
    extends: [],
    endian: 'little',
    registers: [register('P', 16)],
    files: [],
    memories: [{ name: 'E', wordWidth: 8, size: 256, role: 'plain', span: sp }],
    views: [],
    translations: [],
    functions: [],
    modes: [{ name: 'only', when: c(1, 1), span: sp }],
    guestMode: 'only',
    traps: [],
    trapEntry: [],
    reset: [],
    fetch: { space: 'E', pc: 'P', span: sp },
    assumptions: [],
    instructions: [],
    ...over,
  };
}

// ---- random expressions (for the agreement property) ----

/** A small deterministic PRNG (xorshift32) driven by a fast-check seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x;
    return (x >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  big(width: number): bigint {
    // Bias toward edge values: 0, 1, all ones, the sign bit.
    const m = (1n << BigInt(width)) - 1n;
    switch (this.int(6)) {
      case 0:
        return 0n;
      case 1:
        return 1n & m;
      case 2:
        return m;
      case 3:
        return 1n << BigInt(width - 1);
      default: {
        let v = 0n;
        for (let i = 0; i < width; i += 16) v = (v << 16n) | BigInt(this.int(65536));
        return v & m;
      }
    }
  }
}

/** Adapt e to width w (slice the low bits or zero-extend). */
export function adapt(e: Expr, w: number): Expr {
  if (e.width === w) return e;
  if (e.width > w) return { k: 'slice', a: e, hi: w - 1, lo: 0, width: w };
  return { k: 'zext', a: e, width: w };
}

const ARITH: BinOp[] = ['add', 'sub', 'mul', 'udiv', 'urem', 'sdiv', 'srem', 'and', 'or', 'xor', 'shl', 'lshr', 'ashr'];
const CMPS: BinOp[] = ['eq', 'ne', 'ult', 'ule', 'ugt', 'uge', 'slt', 'sle', 'sgt', 'sge'];
export const WIDTHS = [1, 3, 8, 13, 16, 31, 32, 33, 40, 63, 64];

/** A random expression of width w over `leaves` (chosen by width) and the function `fn`. */
export function randomExpr(rng: Rng, w: number, depth: number, leaves: Expr[], extra?: (rng: Rng, w: number) => Expr | null): Expr {
  if (depth <= 0 || rng.int(5) === 0) {
    if (extra && rng.int(4) === 0) {
      const e = extra(rng, w);
      if (e) return e;
    }
    if (rng.int(3) === 0) return c(w, rng.big(w));
    return adapt(rng.pick(leaves), w);
  }
  const sub = (ww: number) => randomExpr(rng, ww, depth - 1, leaves, extra);
  switch (rng.int(11)) {
    case 0:
    case 1:
    case 2: {
      const op = rng.pick(ARITH);
      if (op === 'shl' || op === 'lshr' || op === 'ashr') {
        const bw = rng.pick(WIDTHS);
        return bin(op, sub(w), rng.int(3) === 0 ? c(bw, rng.int(w + 3)) : sub(bw));
      }
      return bin(op, sub(w), sub(w));
    }
    case 3:
      if (w === 1) {
        const ow = rng.pick(WIDTHS);
        return bin(rng.pick(CMPS), sub(ow), sub(ow));
      }
      return { k: 'unop', op: rng.pick(['not', 'neg'] as const), a: sub(w), width: w };
    case 4: {
      if (w < 2) return { k: 'unop', op: 'not', a: sub(w), width: w };
      const hw = 1 + rng.int(w - 1);
      return { k: 'concat', parts: [sub(hw), sub(w - hw)], width: w };
    }
    case 5: {
      const sw = Math.min(64, w + rng.int(64 - w + 1));
      const lo = rng.int(sw - w + 1);
      return { k: 'slice', a: sub(sw), hi: lo + w - 1, lo, width: w };
    }
    case 6: {
      const fw = 1 + rng.int(w);
      return { k: rng.int(2) ? 'zext' : 'sext', a: sub(fw), width: w };
    }
    case 7:
      return { k: 'ite', cond: sub(1), then: sub(w), else: sub(w), width: w };
    case 8:
      return { k: 'unop', op: rng.pick(['not', 'neg'] as const), a: sub(w), width: w };
    default: {
      const ow = rng.pick(WIDTHS);
      if (w === 1) return bin(rng.pick(CMPS), sub(ow), sub(ow));
      return bin(rng.pick(ARITH), sub(w), sub(w));
    }
  }
}
