import { describe, expect, it } from 'vitest';
import type { Expr, Instruction, Isa, Span, Stmt } from '../../src/ir/types.js';
import {
  binop,
  diffStates,
  modeOf,
  resetState,
  runSemantics,
  stepInstruction,
  takeTrap,
  evalExpr,
  combineWords,
  splitWords,
} from '../../src/exec/interpret.js';

// A hand-built IR (independent of the front end): a P&G-like machine with byte memory, big endian.
const sp: Span = { file: 't.isa', line: 1, col: 1, endLine: 1, endCol: 2 };
const c = (width: number, v: number | bigint): Expr => ({ k: 'const', width, value: '0x' + BigInt(v).toString(16) });
const reg = (r: string, width: number): Expr => ({ k: 'reg', reg: r, width });
const fld = (r: string, f: string, hi: number, lo: number): Expr => ({ k: 'field', reg: r, field: f, hi, lo, width: hi - lo + 1 });
const op = (name: string, width: number): Expr => ({ k: 'operand', name, width });
const bin = (o: Extract<Expr, { k: 'binop' }>['op'], a: Expr, b: Expr): Expr => ({
  k: 'binop',
  op: o,
  a,
  b,
  width: ['eq', 'ne', 'ult', 'ule', 'ugt', 'uge', 'slt', 'sle', 'sgt', 'sge'].includes(o) ? 1 : a.width,
});
const file = (i: Expr): Expr => ({ k: 'file', file: 'r', index: i, width: 16 });
const assign = (target: any, value: Expr): Stmt => ({ k: 'assign', target, value, span: sp });
const iff = (cond: Expr, then: Stmt[], els: Stmt[] = []): Stmt => ({ k: 'if', cond, then, else: els, span: sp });
const trap = (t: string): Stmt => ({ k: 'trap', trap: t, span: sp });
const instr = (mnemonic: string, opcode: number, operands: Instruction['operands'], semantics: Stmt[]): Instruction => ({
  mnemonic,
  operands,
  syntax: [],
  encoding: {
    width: 16,
    items: [
      { k: 'fixed', width: 8, value: '0x' + opcode.toString(16) },
      ...operands.map((o) => ({ k: 'field' as const, operand: o.name, width: 8 / operands.length })),
    ],
    mask: '0xff00',
    match: '0x' + (opcode << 8).toString(16),
  },
  claims: [],
  semantics,
  span: sp,
});

function mini(endian: 'little' | 'big' = 'big'): Isa {
  return {
    format: 'isavirt-ir',
    version: 1,
    name: 'mini',
    source: 't.isa',
    extends: [],
    endian,
    registers: [
      { name: 'M', width: 1, role: 'mode', readonly: false, clock: false, init: '0x1', fields: [], span: sp },
      { name: 'P', width: 8, role: 'plain', readonly: false, clock: false, init: '0x0', fields: [], span: sp },
      {
        name: 'R',
        width: 16,
        role: 'control',
        readonly: false,
        clock: false,
        init: '0x0',
        span: sp,
        fields: [
          { name: 'base', hi: 15, lo: 8, role: 'control', span: sp },
          { name: 'bound', hi: 7, lo: 0, role: 'control', span: sp },
        ],
      },
    ],
    files: [{ name: 'r', count: 4, width: 16, role: 'plain', readonly: false, names: [], span: sp }],
    memories: [{ name: 'E', wordWidth: 8, size: 256, role: 'plain', span: sp }],
    views: [{ name: 'V', memory: 'E', translation: 'rel', span: sp }],
    translations: [
      {
        name: 'rel',
        param: { name: 'a', width: 8 },
        resultWidth: 8,
        span: sp,
        body: [iff(bin('uge', { k: 'param', name: 'a', width: 8 }, fld('R', 'bound', 7, 0)), [trap('mt')])],
        result: bin('add', { k: 'param', name: 'a', width: 8 }, fld('R', 'base', 15, 8)),
      },
    ],
    functions: [
      {
        name: 'twice',
        params: [{ name: 'x', width: 16 }],
        resultWidth: 16,
        span: sp,
        body: [{ k: 'let', name: 'y', value: bin('add', { k: 'param', name: 'x', width: 16 }, { k: 'param', name: 'x', width: 16 }), span: sp }],
        result: { k: 'local', name: 'y', width: 16 },
      },
    ],
    modes: [
      { name: 'sup', when: bin('eq', reg('M', 1), c(1, 1)), span: sp },
      { name: 'user', when: bin('eq', reg('M', 1), c(1, 0)), span: sp },
    ],
    guestMode: 'user',
    traps: [
      { name: 'pt', kind: 'privilege', vector: 1, span: sp },
      { name: 'mt', kind: 'memory', vector: 2, span: sp },
      { name: 'sc', kind: 'software', vector: 4, span: sp },
      { name: 'ill', kind: 'illegal', vector: 5, span: sp },
    ],
    trapEntry: [
      assign({ k: 'mem', space: 'E', addr: c(8, 0), words: 1, width: 8 }, { k: 'builtin', name: 'return_pc', width: 8 }),
      assign({ k: 'mem', space: 'E', addr: c(8, 1), words: 1, width: 8 }, { k: 'builtin', name: 'trap_vector', width: 8 }),
      assign({ k: 'reg', reg: 'M', width: 1 }, c(1, 1)),
      assign({ k: 'reg', reg: 'P', width: 8 }, c(8, 0x80)),
    ],
    reset: [assign({ k: 'field', reg: 'R', field: 'bound', hi: 7, lo: 0, width: 8 }, c(8, 0xf0))],
    fetch: { space: 'V', pc: 'P', span: sp },
    assumptions: [],
    instructions: [
      // LD rd, a: r[rd] = V[a, 2]
      instr(
        'LD',
        1,
        [
          { name: 'rd', kind: 'reg', width: 2, file: 'r' },
          { name: 'a', kind: 'addr', width: 8 },
        ],
        [assign({ k: 'file', file: 'r', index: op('rd', 2), width: 16 }, { k: 'mem', space: 'V', addr: op('a', 8), words: 2, width: 16 })],
      ),
      // ST rs, a: V[a, 2] = r[rs]; r[0] = 7 first (to show a trap discards it)
      instr(
        'ST',
        2,
        [
          { name: 'rs', kind: 'reg', width: 2, file: 'r' },
          { name: 'a', kind: 'addr', width: 8 },
        ],
        [
          assign({ k: 'file', file: 'r', index: c(2, 0), width: 16 }, c(16, 7)),
          assign({ k: 'mem', space: 'V', addr: op('a', 8), words: 2, width: 16 }, file(op('rs', 2))),
        ],
      ),
      instr(
        'SETR',
        3,
        [{ name: 'rs', kind: 'reg', width: 2, file: 'r' }],
        [iff(bin('eq', reg('M', 1), c(1, 0)), [trap('pt')]), assign({ k: 'reg', reg: 'R', width: 16 }, file(op('rs', 2)))],
      ),
      instr('JMP', 4, [{ name: 'a', kind: 'addr', width: 8 }], [assign({ k: 'reg', reg: 'P', width: 8 }, op('a', 8))]),
      instr('SVC', 5, [], [trap('sc')]),
      instr(
        'DBL',
        6,
        [{ name: 'rd', kind: 'reg', width: 2, file: 'r' }],
        [assign({ k: 'file', file: 'r', index: op('rd', 2), width: 16 }, { k: 'call', fn: 'twice', args: [file(op('rd', 2))], width: 16 })],
      ),
      instr('HLT', 7, [], [{ k: 'halt', span: sp }]),
    ],
  };
}

const I = (isa: Isa, m: string) => isa.instructions.find((i) => i.mnemonic === m)!;

describe('reference interpreter', () => {
  it('reset initialises registers and runs the reset block', () => {
    const isa = mini();
    const s = resetState(isa);
    expect(s.regs).toEqual({ M: 1n, P: 0n, R: 0xf0n });
    expect(s.files.r).toEqual([0n, 0n, 0n, 0n]);
    expect(modeOf(isa, s)).toBe('sup');
  });

  it('reads several words through a view in the spec byte order, relocated', () => {
    for (const endian of ['big', 'little'] as const) {
      const isa = mini(endian);
      const s = resetState(isa);
      s.regs.R = 0x10f0n; // base 0x10
      s.mem.E!.set(0x15, 0xabn).set(0x16, 0xcdn);
      const out = runSemantics(isa, s, I(isa, 'LD'), { rd: 1n, a: 5n }, 0n);
      expect(out.kind).toBe('done');
      expect(out.state.files.r![1]).toBe(endian === 'big' ? 0xabcdn : 0xcdabn);
      expect(out.state.regs.P).toBe(2n); // pc unwritten: next_pc (two byte words)
      expect(s.files.r![1]).toBe(0n); // input untouched
    }
  });

  it('a translation trap is precise: earlier writes are discarded and the input state returned', () => {
    const isa = mini();
    const s = resetState(isa);
    s.files.r![2] = 0x1234n;
    // bound 0xf0: word 0xef is in bounds but its second word 0xf0 is not
    const out = runSemantics(isa, s, I(isa, 'ST'), { rs: 2n, a: 0xefn }, 3n);
    expect(out).toEqual({ kind: 'trap', trap: 'mt', state: s });
    expect(s.files.r![0]).toBe(0n);
    const ok = runSemantics(isa, s, I(isa, 'ST'), { rs: 2n, a: 0xeen }, 3n);
    expect(ok.kind).toBe('done');
    expect(diffStates(s, ok.state).sort()).toEqual(['E[0xee]', 'E[0xef]', 'P', 'r[0]']);
  });

  it('privilege check traps in user mode only', () => {
    const isa = mini();
    const s = resetState(isa);
    s.files.r![3] = 0x2040n;
    expect(runSemantics(isa, s, I(isa, 'SETR'), { rs: 3n }, 0n).state.regs.R).toBe(0x2040n);
    s.regs.M = 0n;
    expect(runSemantics(isa, s, I(isa, 'SETR'), { rs: 3n }, 0n).kind).toBe('trap');
  });

  it('register indices wrap modulo the file size and calls are inlined', () => {
    const isa = mini();
    const s = resetState(isa);
    s.files.r![1] = 0x9000n;
    const out = runSemantics(isa, s, I(isa, 'DBL'), { rd: 5n }, 0n); // operand masked to 2 bits: r[1]
    expect(out.state.files.r![1]).toBe(0x2000n); // 0x12000 wrapped to 16 bits
  });

  it('a written pc is kept; halting keeps writes', () => {
    const isa = mini();
    const s = resetState(isa);
    expect(runSemantics(isa, s, I(isa, 'JMP'), { a: 0x42n }, 8n).state.regs.P).toBe(0x42n);
    const h = runSemantics(isa, s, I(isa, 'HLT'), {}, 8n);
    expect(h.kind).toBe('halt');
  });

  it('takeTrap runs the entry with trap_vector and return_pc', () => {
    const isa = mini();
    const s = resetState(isa);
    s.regs.M = 0n;
    const t = takeTrap(isa, s, 'sc', 0x22n);
    expect(t.kind).toBe('done');
    expect(t.state.mem.E!.get(0)).toBe(0x22n);
    expect(t.state.mem.E!.get(1)).toBe(4n);
    expect(t.state.regs.M).toBe(1n);
    expect(t.state.regs.P).toBe(0x80n);
  });

  it('stepInstruction fetches through the view, decodes, runs and delivers traps', () => {
    const isa = mini();
    let s = resetState(isa);
    s.regs.R = 0x20f0n; // base 0x20
    s.mem.E!.set(0x20, 0x05n).set(0x21, 0n); // SVC at virtual 0
    s.mem.E!.set(0x22, 0x04n).set(0x23, 0x30n); // JMP 0x30 at virtual 2
    for (const [a, v] of s.mem.E!) s.mem.E!.set(a, BigInt(v));
    s.regs.P = 2n;
    const j = stepInstruction(isa, s);
    expect(j.kind).toBe('done');
    expect(j.state.regs.P).toBe(0x30n);
    s = { ...s, regs: { ...s.regs, P: 0n, M: 0n } };
    const t = stepInstruction(isa, s);
    expect(t.kind).toBe('trapped');
    if (t.kind === 'trapped') {
      expect(t.trap).toBe('sc');
      expect(t.state.mem.E!.get(0)).toBe(2n); // software trap returns to next_pc
    }
    // fetch beyond the bound: memory trap returns to the faulting pc
    const f = stepInstruction(isa, { ...s, regs: { ...s.regs, P: 0xf8n } });
    expect(f.kind).toBe('trapped');
    if (f.kind === 'trapped') {
      expect(f.trap).toBe('mt');
      expect(f.state.mem.E!.get(0)).toBe(0xf8n);
    }
    // an undecodable word raises the illegal trap
    const u = stepInstruction(isa, { ...s, regs: { ...s.regs, P: 0x10n } });
    expect(u.kind === 'trapped' && u.trap).toBe('ill');
  });

  it('operators follow SMT-LIB on division by zero, shifts and signed forms', () => {
    expect(binop('udiv', 5n, 0n, 8, 8)).toBe(0xffn);
    expect(binop('urem', 5n, 0n, 8, 8)).toBe(5n);
    expect(binop('sdiv', 0xfbn, 0n, 8, 8)).toBe(1n); // -5 / 0 = 1
    expect(binop('sdiv', 5n, 0n, 8, 8)).toBe(0xffn);
    expect(binop('sdiv', 0xf9n, 2n, 8, 8)).toBe(0xfdn); // -7/2 = -3
    expect(binop('srem', 0xf9n, 2n, 8, 8)).toBe(0xffn); // -7 rem 2 = -1
    expect(binop('srem', 0xf9n, 0n, 8, 8)).toBe(0xf9n);
    expect(binop('shl', 1n, 9n, 8, 8)).toBe(0n);
    expect(binop('ashr', 0x80n, 200n, 8, 8)).toBe(0xffn);
    expect(binop('lshr', 0x80n, 7n, 8, 8)).toBe(1n);
    expect(binop('slt', 0xffn, 0n, 8, 1)).toBe(1n);
    expect(binop('ult', 0xffn, 0n, 8, 1)).toBe(0n);
    const isa = mini();
    const s = resetState(isa);
    expect(evalExpr(isa, s, { k: 'sext', width: 16, a: c(8, 0x80) })).toBe(0xff80n);
    expect(evalExpr(isa, s, { k: 'concat', width: 16, parts: [c(8, 0xab), c(8, 0xcd)] })).toBe(0xabcdn);
    expect(evalExpr(isa, s, { k: 'slice', width: 4, a: c(8, 0xab), hi: 7, lo: 4 })).toBe(0xan);
    expect(evalExpr(isa, s, { k: 'unop', op: 'neg', width: 8, a: c(8, 1) })).toBe(0xffn);
  });

  it('word split and combine are inverse in both byte orders', () => {
    for (const e of ['little', 'big'] as const) {
      const v = 0x12345678n;
      const w = splitWords(e, v, 4, 8);
      expect(w).toEqual(e === 'little' ? [0x78n, 0x56n, 0x34n, 0x12n] : [0x12n, 0x34n, 0x56n, 0x78n]);
      expect(combineWords(e, w, 8)).toBe(v);
    }
  });
});
