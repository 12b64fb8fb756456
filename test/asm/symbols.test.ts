// Symbols and expressions of the assembler: `.equ` in dependency order (any order in the file, a
// cycle reported as a cycle, long chains fast), `.` for the current address, and operators.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble, formatAsmDiagnostic, type Program } from '../../src/asm/index.js';
import type { AsmDiagnostic } from '../../src/asm/index.js';
import { pgFixture } from './fixture.js';

function ok(src: string): Program {
  const r = assemble(pgFixture, src, 'prog.s');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
  return r.program;
}

function errs(src: string): AsmDiagnostic[] {
  const r = assemble(pgFixture, src, 'prog.s');
  if (r.ok) throw new Error('expected diagnostics, got a program');
  return r.diagnostics;
}

/** `.equ N0, N1 + 1` ... `.equ Nn, 5`: a forward chain, each defined by the next. */
function forwardChain(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`.equ N${i}, N${i + 1} + 1`);
  lines.push(`.equ N${n}, 5`, '.word N0');
  return lines.join('\n');
}

describe('.equ in dependency order', () => {
  it('a forward chain of 17 constants settles (it used to need a pass per link)', () => {
    const p = ok(forwardChain(17));
    expect(p.symbols['N0']).toBe(22);
  });

  it('a chain of 20 000 constants in reverse order is resolved in one pass, without recursion', () => {
    const p = ok(forwardChain(20_000));
    expect(p.symbols['N0']).toBe(20_005);
  });

  it('a cycle is reported once, as a cycle naming its constants', () => {
    const ds = errs('.equ A, B + 1\n.equ B, C\n.equ C, A\n.word A');
    const cyc = ds.filter((d) => d.code === 'ISA6018');
    expect(cyc).toHaveLength(2); // the cycle at its first constant, and the use of A on line 4
    expect(cyc[0]!.message).toBe('.equ constants defined in terms of each other: A -> B -> C -> A');
    expect(cyc[0]!.span.line).toBe(1);
    expect(ds.some((d) => d.code === 'ISA6004')).toBe(false);
  });

  it('a constant may use a label defined later, and a label after a constant-sized .space', () => {
    const p = ok('.equ END, done + 1\n.space SIZE\n.equ SIZE, 3\ndone: .word END');
    expect(p.labels['done']).toBe(3);
    expect(p.symbols['END']).toBe(4);
  });

  it('an undefined name in a constant is still an undefined symbol', () => {
    const ds = errs('.equ A, NOPE + 1\n.word A');
    expect(ds.map((d) => d.code)).toContain('ISA6004');
  });
});

describe('expressions', () => {
  it('. is the address of the statement; label arithmetic and shifts', () => {
    const p = ok('.org 0x10\n.word .\nhere: .word here - ., (here + 8) >> 2, 1 << 4 | 1, ~0 & 0xff, 7 * 3 % 4, 100 / 7 - 2 ^ 1');
    expect(p.segments[0]!.words.map(Number)).toEqual([0x10, 0, (0x11 + 8) >> 2, (1 << 4) | 1, 0xff, (7 * 3) % 4, (Math.floor(100 / 7) - 2) ^ 1]);
  });

  it('C precedence: shifts below +, & below shifts, | loosest', () => {
    const p = ok('.word 1 + 1 << 2, 6 & 3 << 1, 1 | 2 ^ 3 & 1');
    expect(p.segments[0]!.words.map(Number)).toEqual([8, 6 & (3 << 1), 1 | (2 ^ (3 & 1))]);
  });

  it('division by zero and absurd shifts are diagnostics', () => {
    expect(errs('.word 1 / 0').map((d) => d.code)).toEqual(['ISA6019']);
    expect(errs('.word 1 << 100000').map((d) => d.code)).toEqual(['ISA6019']);
  });

  it('. in an instruction operand: a branch to itself', () => {
    const p = ok('.org 0x20\nJNZ r1, .');
    expect(Number(p.segments[0]!.words[0]! & 0xffffn)).toBe(0x20);
  });
});

describe('hostile .equ chains (property)', () => {
  it('any order of a chain gives the same values; a random back-edge is reported as a cycle', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (n, seed, cyclic) => {
        const defs = Array.from({ length: n }, (_, i) => `.equ C${i}, ${i + 1 < n || cyclic ? `C${(i + 1) % n} + 1` : '7'}`);
        // A deterministic shuffle from the seed.
        for (let i = defs.length - 1; i > 0; i--) {
          const j = (seed * (i + 7)) % (i + 1);
          [defs[i], defs[j]] = [defs[j]!, defs[i]!];
        }
        const r = assemble(pgFixture, [...defs, '.word C0'].join('\n'), 'prog.s');
        if (cyclic) {
          expect(r.ok).toBe(false);
          if (!r.ok) expect(r.diagnostics.some((d) => d.code === 'ISA6018')).toBe(true);
        } else {
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.program.symbols['C0']).toBe(7 + n - 1);
        }
      }),
      { numRuns: 150 },
    );
  });
});
