// The compiled machine must agree with the reference interpreter (src/exec/interpret.ts) on every
// instruction, operand values and state: same outcome, same trap, same resulting state.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMachine, type Machine, type DecodeResult } from '../../src/exec/machine.js';
import { diffStates, runSemantics, stepInstruction } from '../../src/exec/interpret.js';
import type { ConcreteState } from '../../src/exec/state.js';
import type { Expr, Isa, Stmt } from '../../src/ir/types.js';
import {
  adapt,
  assign,
  bin,
  c,
  encode,
  iff,
  inlineIsa,
  instr,
  letS,
  loadPg,
  loc,
  mem,
  opnd,
  randomExpr,
  reg,
  register,
  Rng,
  setReg,
  sp,
  trap,
  halt,
} from './helpers.js';

const mask = (w: number) => (1n << BigInt(w)) - 1n;

function decoded(m: Machine, index: number, operands: Record<string, bigint>, pc: bigint): Extract<DecodeResult, { kind: 'instr' }> {
  const instr = m.isa.instructions[index]!;
  const length = m.layout.lengths[index]!;
  const pcw = m.layout.pc.width;
  return { kind: 'instr', instr, index, operands, length, pc, nextPc: (pc + BigInt(length)) & mask(pcw) };
}

/** Run instruction `index` both ways from `state`; fail with the differences if they disagree. */
function agree(isa: Isa, m: Machine, state: ConcreteState, index: number, operands: Record<string, bigint>): string {
  const pc = state.regs[isa.fetch.pc] ?? 0n;
  const ref = runSemantics(isa, state, isa.instructions[index]!, operands, pc);
  m.restore(state);
  const got = m.execute(decoded(m, index, operands, pc));
  expect(got.kind).toBe(ref.kind);
  if (ref.kind === 'trap' && got.kind === 'trap') expect(got.trap).toBe(ref.trap);
  expect(diffStates(ref.state, m.snapshot())).toEqual([]);
  return ref.kind;
}

// ---- pg.isa ----

const pg = loadPg();

const word = fc.oneof(fc.constantFrom(0n, 1n, 0xffffffffn, 0x80000000n, 0x7fffffffn, 0xffffn, 0x10000n), fc.bigInt({ min: 0n, max: 0xffffffffn }));
const small = fc.integer({ min: 0, max: 63 });

/** A pg state whose addresses mostly stay in a small window, so loads, stores and bounds interact. */
const pgState = fc
  .record({
    M: fc.integer({ min: 0, max: 1 }),
    P: fc.oneof(small, fc.integer({ min: 0, max: 0xffff })),
    base: fc.oneof(small, fc.integer({ min: 0, max: 0xffff })),
    bound: fc.oneof(small, fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })),
    r: fc.array(fc.oneof(word, small.map(BigInt)), { minLength: 16, maxLength: 16 }),
    mem: fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 140 }), fc.integer({ min: 0, max: 0xffff })), word), { maxLength: 24 }),
  })
  .map(({ M, P, base, bound, r, mem }): ConcreteState => ({
    regs: { M: BigInt(M), P: BigInt(P), R: (BigInt(base) << 16n) | BigInt(bound) },
    files: { r },
    mem: { E: new Map(mem.filter(([, v]) => v !== 0n)) },
  }));

const pgInstr = fc.integer({ min: 0, max: pg.instructions.length - 1 }).chain((index) =>
  fc
    .tuple(
      ...pg.instructions[index]!.operands.map((o) =>
        fc.oneof(
          fc.bigInt({ min: 0n, max: mask(o.width) }),
          fc.integer({ min: 0, max: 70 }).map((v) => BigInt(v) & mask(o.width)),
        ),
      ),
    )
    .map((vals) => ({ index, operands: Object.fromEntries(pg.instructions[index]!.operands.map((o, i) => [o.name, vals[i]!])) })),
);

describe('agreement with the reference interpreter', () => {
  it('pg.isa: every instruction, random operands and states', () => {
    const m = createMachine(pg);
    const kinds = new Set<string>();
    fc.assert(
      fc.property(pgState, pgInstr, (state, { index, operands }) => {
        kinds.add(agree(pg, m, state, index, operands));
      }),
      { numRuns: 3000 },
    );
    // The generator reaches all three outcomes.
    expect([...kinds].sort()).toEqual(['done', 'halt', 'trap']);
  });

  it('pg.isa: whole steps (fetch, decode, run, trap entry) match stepInstruction', () => {
    const m = createMachine(pg);
    const instrWord = fc.oneof(
      pgInstr.map(({ index, operands }) =>
        BigInt(encode(pg, pg.instructions[index]!.mnemonic, Object.fromEntries(Object.entries(operands).map(([k, v]) => [k, Number(v)])))),
      ),
      word,
    );
    fc.assert(
      fc.property(pgState, instrWord, fc.boolean(), (state, w, withEntry) => {
        // Put the instruction where the pc fetches it from (when in bounds), and a new PSW.
        const R = state.regs.R!;
        const phys = Number((state.regs.P! + (R >> 16n)) & 0xffffn);
        state.mem.E!.set(phys, w);
        if (withEntry) state.mem.E!.set(4, (1n << 16n) | 0x40n).set(5, 0xffffn);
        const ref = stepInstruction(pg, state);
        m.restore(state);
        const got = m.step();
        const refKind = ref.kind === 'done' || ref.kind === 'trapped' ? 'stepped' : ref.kind === 'halt' ? 'halted' : 'stuck';
        expect(got.kind).toBe(refKind);
        if (ref.kind === 'trapped' && got.kind === 'stepped') expect(got.trap).toBe(ref.trap);
        expect(diffStates(ref.state, m.snapshot())).toEqual([]);
      }),
      { numRuns: 2000 },
    );
  });

  for (const endian of ['little', 'big'] as const) {
    it(`random semantics over every operator, widths 1..64, views, calls and traps (${endian} endian)`, () => {
      const kinds = new Set<string>();
      fc.assert(
        fc.property(fc.integer(), fc.integer(), (specSeed, stateSeed) => {
          const isa = randomSpec(new Rng(specSeed), endian);
          const m = createMachine(isa, { noReset: true });
          const rng = new Rng(stateSeed);
          const state = randomState(isa, rng);
          const operands = { a: rng.big(13), b: rng.big(40) };
          kinds.add(agree(isa, m, state, 0, operands));
        }),
        { numRuns: 400 },
      );
      expect([...kinds].sort()).toEqual(['done', 'halt', 'trap']);
    });
  }

  it('shift amounts at and beyond the width, division by zero and signed overflow, in every width', () => {
    const ops = ['shl', 'lshr', 'ashr', 'udiv', 'urem', 'sdiv', 'srem', 'mul', 'sub'] as const;
    for (const w of [1, 7, 8, 16, 31, 32, 33, 63, 64]) {
      const edge = [0n, 1n, mask(w), 1n << BigInt(w - 1), mask(w) >> 1n, BigInt(w), BigInt(w + 1), 2n].map((v) => v & mask(w));
      const body: Stmt[] = [];
      ops.forEach((op, i) => body.push(assign({ k: 'file', file: 'out', index: c(4, i), width: w }, bin(op, opnd('x', w), opnd('y', w)))));
      const isa = inlineIsa({
        registers: [register('P', 16)],
        files: [{ name: 'out', count: 16, width: w, role: 'plain', readonly: false, names: [], span: sp }],
        instructions: [
          {
            ...instr('OPS', 8, 8, 1, [], []),
            operands: [
              { name: 'x', kind: 'imm', width: w },
              { name: 'y', kind: 'imm', width: w },
            ],
            semantics: body,
          },
        ],
      });
      const m = createMachine(isa, { noReset: true });
      for (const x of edge) for (const y of edge) agree(isa, m, { regs: { P: 0n }, files: {}, mem: {} }, 0, { x, y });
    }
  });
});

// ---- random specs ----

const REGS: [string, number][] = [
  ['A', 8],
  ['B', 16],
  ['C', 32],
  ['D', 33],
  ['Q', 64],
  ['X', 1],
  ['LIM', 8],
  ['BASE', 8],
];

function randomSpec(rng: Rng, endian: 'little' | 'big'): Isa {
  const leaves: Expr[] = [
    opnd('a', 13),
    opnd('b', 40),
    ...REGS.map(([n, w]) => reg(n, w)),
    { k: 'field', reg: 'C', field: 'mid', hi: 19, lo: 4, width: 16 },
    { k: 'file', file: 'r', index: opnd('a', 13), width: 40 },
  ];
  let depth = 3;
  // Memory reads (direct and through the trapping view) and calls as extra leaves.
  const extra = (g: Rng, w: number): Expr | null => {
    switch (g.int(4)) {
      case 0: {
        const words = 1 + g.int(4);
        return adapt(mem('E', randomExpr(g, 8, 1, leaves), words, words * 8), w);
      }
      case 1: {
        const words = 1 + g.int(3);
        return adapt(mem('V', randomExpr(g, 8, 1, leaves), words, words * 8), w);
      }
      case 2:
        return adapt({ k: 'call', fn: 'f', args: [randomExpr(g, 16, 1, leaves), randomExpr(g, 40, 1, leaves)], width: 24 }, w);
      default:
        return null;
    }
  };
  const ex = (w: number) => randomExpr(rng, w, depth, leaves, extra);
  const regStmt = (): Stmt => {
    const [n, w] = rng.pick(REGS);
    return rng.int(4) === 0 ? assign({ k: 'field', reg: 'C', field: 'mid', hi: 19, lo: 4, width: 16 }, ex(16)) : setReg(n, w, ex(w));
  };
  const stmt = (): Stmt => {
    switch (rng.int(9)) {
      case 0:
        return assign({ k: 'file', file: 'r', index: ex(2), width: 40 }, ex(40));
      case 1: {
        const words = 1 + rng.int(4);
        return assign({ k: 'mem', space: 'E', addr: ex(8), words, width: words * 8 }, ex(words * 8));
      }
      case 2: {
        const words = 1 + rng.int(2);
        return assign({ k: 'mem', space: 'V', addr: ex(8), words, width: words * 8 }, ex(words * 8));
      }
      case 3:
        return iff(ex(1), [rng.int(3) === 0 ? halt() : trap(rng.pick(['boom', 'mt']))]);
      case 4:
        return iff(ex(1), [regStmt(), regStmt()], [regStmt()]);
      case 5:
        return setReg('P', 16, ex(16));
      default:
        return regStmt();
    }
  };
  const body: Stmt[] = [letS('t', ex(17))];
  leaves.push(loc('t', 17));
  const n = 3 + rng.int(6);
  for (let i = 0; i < n; i++) body.push(stmt());
  depth = 2;
  return inlineIsa({
    endian,
    registers: [
      register('P', 16),
      ...REGS.map(([nm, w]) => ({ ...register(nm, w), fields: nm === 'C' ? [{ name: 'mid', hi: 19, lo: 4, role: 'plain' as const, span: sp }] : [] })),
    ],
    files: [{ name: 'r', count: 4, width: 40, role: 'plain', readonly: false, names: [], span: sp }],
    views: [{ name: 'V', memory: 'E', translation: 'tr', span: sp }],
    translations: [
      {
        name: 'tr',
        param: { name: 'x', width: 8 },
        resultWidth: 8,
        span: sp,
        body: [iff(bin('uge', { k: 'param', name: 'x', width: 8 }, reg('LIM', 8)), [trap('mt')])],
        result: bin('add', { k: 'param', name: 'x', width: 8 }, reg('BASE', 8)),
      },
    ],
    functions: [
      {
        name: 'f',
        params: [
          { name: 'x', width: 16 },
          { name: 'y', width: 40 },
        ],
        resultWidth: 24,
        span: sp,
        body: [
          letS('z', {
            k: 'concat',
            parts: [
              { k: 'param', name: 'x', width: 16 },
              { k: 'slice', a: { k: 'param', name: 'y', width: 40 }, hi: 7, lo: 0, width: 8 },
            ],
            width: 24,
          }),
        ],
        result: bin('xor', loc('z', 24), { k: 'slice', a: bin('sdiv', { k: 'param', name: 'y', width: 40 }, zext40(loc('z', 24))), hi: 30, lo: 7, width: 24 }),
      },
    ],
    traps: [
      { name: 'boom', kind: 'software', vector: 1, span: sp },
      { name: 'mt', kind: 'memory', vector: 2, span: sp },
    ],
    instructions: [
      {
        ...instr('X', 8, 8, 1, [], []),
        operands: [
          { name: 'a', kind: 'imm', width: 13 },
          { name: 'b', kind: 'imm', width: 40 },
        ],
        semantics: body,
      },
    ],
  });
}

function zext40(e: Expr): Expr {
  return { k: 'zext', a: e, width: 40 };
}

function randomState(isa: Isa, rng: Rng): ConcreteState {
  const regs: Record<string, bigint> = {};
  for (const r of isa.registers) regs[r.name] = rng.big(r.width);
  regs.LIM = BigInt(rng.int(256)); // the view traps for addresses >= LIM
  const files = { r: [0, 1, 2, 3].map(() => rng.big(40)) };
  const E = new Map<number, bigint>();
  for (let i = 0; i < 256; i++) if (rng.int(3) > 0) E.set(i, BigInt(1 + rng.int(255)));
  return { regs, files, mem: { E } };
}
