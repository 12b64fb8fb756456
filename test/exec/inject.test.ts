// A hostile spec must not run code: no name, doc string or literal text from the spec reaches the
// generated JavaScript.
import { afterEach, describe, expect, it } from 'vitest';
import { compiledSourceFor, createMachine, MachineError } from '../../src/exec/machine.js';
import { blockSources, blockStats } from '../../src/exec/compile.js';
import { parseIsaText } from '../../src/ir/index.js';
import { readFileSync } from 'node:fs';
import type { Isa } from '../../src/ir/types.js';
import { bin, c, halt, iff, inlineIsa, instr, letS, loc, mem, opnd, reg, register, setReg, sp, trap, assign, root } from './helpers.js';

const PAYLOAD = '"); globalThis.__pwned = 1; ("';
const g = globalThis as { __pwned?: number };

afterEach(() => {
  delete g.__pwned;
});

/** A spec whose every name carries a payload. */
function hostile(): Isa {
  const N = (s: string) => `${s}${PAYLOAD}`;
  const a = N('a');
  return inlineIsa({
    name: N('isa'),
    doc: PAYLOAD,
    registers: [
      { ...register(N('P'), 16), doc: PAYLOAD },
      register(N('A'), 8),
      { ...register(N('F'), 8), fields: [{ name: N('f'), hi: 3, lo: 0, role: 'plain', span: sp }] },
    ],
    files: [{ name: N('r'), count: 4, width: 8, role: 'plain', readonly: false, names: [PAYLOAD], span: sp }],
    memories: [{ name: N('E'), wordWidth: 8, size: 256, role: 'plain', span: sp, doc: PAYLOAD }],
    views: [{ name: N('V'), memory: N('E'), translation: N('t'), span: sp }],
    translations: [
      {
        name: N('t'),
        param: { name: N('x'), width: 8 },
        resultWidth: 8,
        span: sp,
        body: [letS(N('y'), { k: 'param', name: N('x'), width: 8 })],
        result: loc(N('y'), 8),
      },
    ],
    functions: [{ name: N('fn'), params: [{ name: N('p'), width: 8 }], resultWidth: 8, span: sp, body: [], result: { k: 'param', name: N('p'), width: 8 } }],
    traps: [{ name: N('trap'), kind: 'software', vector: 3, span: sp, doc: PAYLOAD }],
    fetch: { space: N('V'), pc: N('P'), span: sp },
    instructions: [
      {
        ...instr(
          N('LD'),
          16,
          8,
          1,
          [{ name: a, kind: 'addr', width: 8 }],
          [
            letS(N('v'), mem(N('V'), opnd(a, 8), 1, 8)),
            setReg(N('A'), 8, { k: 'call', fn: N('fn'), args: [loc(N('v'), 8)], width: 8 }),
            assign({ k: 'file', file: N('r'), index: c(2, 1), width: 8 }, reg(N('A'), 8)),
            assign({ k: 'field', reg: N('F'), field: N('f'), hi: 3, lo: 0, width: 4 }, c(4, 5)),
            iff(bin('eq', reg(N('A'), 8), c(8, 0xee)), [trap(N('trap'))]),
          ],
        ),
        syntax: [
          { k: 'text', text: PAYLOAD },
          { k: 'operand', name: a },
        ],
        doc: PAYLOAD,
      },
      instr(N('HLT'), 16, 8, 2, [], [halt()]),
      instr(N('JMP'), 16, 8, 3, [{ name: a, kind: 'addr', width: 8 }], [setReg(N('P'), 16, { k: 'zext', a: opnd(a, 8), width: 16 })]),
    ],
  });
}

describe('generated code contains nothing from the spec', () => {
  it('hand-built IR with hostile names everywhere compiles, runs, and leaks no text', () => {
    const isa = hostile();
    const src = compiledSourceFor(isa);
    expect(src).not.toContain('__pwned');
    expect(src).not.toContain('globalThis');
    const m = createMachine(isa);
    m.loadImage(isa.memories[0]!.name, 0, [0x01, 0x40, 0x02, 0x00]);
    m.writeMem(isa.memories[0]!.name, 0x40, 0x2an);
    expect(m.run().kind).toBe('halted');
    expect(m.readReg(isa.registers[1]!.name)).toBe(0x2an);
    expect(m.readFile(isa.files[0]!.name, 1)).toBe(0x2an);
    expect(m.readReg(isa.registers[2]!.name)).toBe(5n);
    expect(g.__pwned).toBeUndefined();
  });

  it('blocks compiled at run time from a hostile spec leak no text either', () => {
    const isa = hostile();
    const m = createMachine(isa);
    // LD 0x40; JMP 0: a hot loop, so its block is compiled.
    m.loadImage(isa.memories[0]!.name, 0, [0x01, 0x40, 0x03, 0x00]);
    m.writeMem(isa.memories[0]!.name, 0x40, 0x2an);
    const built = blockStats.built;
    expect(m.run({ maxSteps: 1000 }).kind).toBe('budget');
    expect(blockStats.built).toBeGreaterThan(built);
    const src = blockSources.join('\n');
    expect(src).not.toContain('__pwned');
    expect(src).not.toContain('globalThis');
    expect(m.readFile(isa.files[0]!.name, 1)).toBe(0x2an);
    expect(g.__pwned).toBeUndefined();
  });

  it('a constant, width or bit position that is not a number is refused, never printed', () => {
    const base = inlineIsa({ registers: [register('P', 16), register('A', 8)], instructions: [instr('X', 8, 8, 1, [], [setReg('A', 8, c(8, 1))])] });
    const withValue = (value: unknown): Isa => ({
      ...base,
      instructions: [instr('X', 8, 8, 1, [], [setReg('A', 8, { k: 'const', width: 8, value } as never)])],
    });
    for (const bad of ['0x1); globalThis.__pwned = 1; (0', '1 + 1', 'globalThis', 42]) {
      expect(() => createMachine(withValue(bad))).toThrow(MachineError);
    }
    const badWidth = { ...base, registers: [register('P', 16), { ...register('A', 8), width: '8); globalThis.__pwned = 1; (8' as never }] };
    expect(() => createMachine(badWidth)).toThrow(MachineError);
    const badSlice: Isa = {
      ...base,
      instructions: [instr('X', 8, 8, 1, [], [setReg('A', 8, { k: 'slice', a: reg('A', 8), hi: '7); globalThis.__pwned = 1; (7' as never, lo: 0, width: 8 })])],
    };
    expect(() => createMachine(badSlice)).toThrow(MachineError);
    const badVector = { ...base, traps: [{ name: 't', kind: 'software' as const, vector: '1; globalThis.__pwned = 1' as never, span: sp }] };
    expect(() => createMachine(badVector)).toThrow(MachineError);
    const badKind = { ...base, instructions: [instr('X', 8, 8, 1, [], [{ k: 'eval', code: 'globalThis.__pwned = 1' } as never])] };
    expect(() => createMachine(badKind)).toThrow(MachineError);
    expect(g.__pwned).toBeUndefined();
  });

  it('doc strings and syntax strings of a parsed spec do not reach the source', () => {
    const text = readFileSync(root + 'isas/pg.isa', 'utf8')
      .replace('/// Load a word: r[rd] <- V[a].', '/// "); globalThis.__pwned = 1; (" `${globalThis.__pwned = 1}`')
      .replace('syntax "LOAD {rd}, [{a}]";', 'syntax "LOAD {rd}, [{a}] \\"); globalThis.__pwned = 1; (\\"";');
    const r = parseIsaText(text, 'hostile.isa');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.isa.instructions[0]!.doc).toContain('__pwned');
    const src = compiledSourceFor(r.isa);
    expect(src).not.toContain('__pwned');
    const m = createMachine(r.isa);
    m.run({ maxSteps: 100 });
    expect(g.__pwned).toBeUndefined();
  });
});
