import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble, disassemble, disassembleProgram } from '../../src/asm/index.js';
import { roundTrip } from './gen.js';
import type { Isa } from '../../src/ir/types.js';
import { byteFixture, pgFixture } from './fixture.js';

describe('disassemble', () => {
  it('prints with the syntax: registers by name, simm signed, imm/addr above 9 in hex', () => {
    const lines = disassemble(pgFixture, [0x0310000an, 0x15108000n, 0x04230009n, 0x4000001fn, 0x43000000n], 0x10);
    expect(lines.map((l) => [l.address, l.instruction, l.text])).toEqual([
      [0x10, 'LOADI', 'LOADI r1, 0xa'],
      [0x11, 'ADDI', 'ADDI r1, -32768'],
      [0x12, 'LOADX', 'LOADX r2, [r3+9]'],
      [0x13, 'LPSW', 'LPSW [0x1f]'],
      [0x14, 'HALT', 'HALT'],
    ]);
    expect(lines[1]!.operands).toEqual({ rd: 1n, value: -32768n });
  });

  it('shows a word that decodes to nothing as .word, and an instruction cut short too', () => {
    expect(disassemble(pgFixture, [0xff000000n, 0x01000000n]).map((l) => l.text)).toEqual(['.word 0xff000000', 'LOAD r0, [0]']);
    // JMPL needs four bytes; only two are given.
    expect(disassemble(byteFixture, [0x21n, 0x12n], 0x80).map((l) => [l.address, l.text])).toEqual([
      [0x80, '.word 0x21'],
      [0x81, '.word 0x12'],
    ]);
  });

  it('names addresses by the program labels', () => {
    const r = assemble(pgFixture, '.org 4\ntop: JZ r2, top\nJMP out\nout: HALT', 'p.s');
    expect(r.ok && disassembleProgram(pgFixture, r.program).map((l) => l.text)).toEqual(['JZ r2, top', 'JMP out', 'HALT']);
  });

  it('reads variable-length instructions and register names from the file', () => {
    const words = [0x40n, 0x04n, 0x46n, 5n, 0x4cn, 0x01n, 0xfdn, 0n];
    expect(disassemble(byteFixture, words).map((l) => [l.address, l.length, l.text])).toEqual([
      [0, 2, 'MOV al, bl'],
      [2, 2, 'MOV cl, #5'],
      [4, 3, 'MOV al, [bl+-3]'],
      [7, 1, 'NOP'],
    ]);
  });
});

describe('round trip (fast-check)', () => {
  it('pg: random instruction sequences survive text -> words -> text', () => {
    roundTrip(pgFixture);
  });

  it('a byte machine with shared mnemonics and split fields', () => {
    roundTrip(byteFixture);
  });
});

// ---- fuzz: the assembler never throws ----

const pieces = [
  'LOAD',
  'LOADX',
  'HALT',
  'JMP',
  'ADDI',
  'r1',
  'r15',
  'r16',
  'R3',
  'loop',
  'loop:',
  ':',
  ',',
  '[',
  ']',
  '+',
  '-',
  '(',
  ')',
  '0x',
  '0xffff',
  '0b1',
  '12',
  '-1',
  "'a'",
  "'",
  '"hi"',
  '"',
  '\\',
  '.word',
  '.org',
  '.equ',
  '.space',
  '.ascii',
  '.entry',
  '.kernel',
  '.user',
  '.',
  ';',
  '#',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r\n',
  'é',
  '💥',
  '99999999999999999999999',
];

function neverThrows(isa: Isa, src: string): void {
  const r = assemble(isa, src, 'fuzz.s');
  if (r.ok) {
    for (const s of r.program.segments) for (const w of s.words) expect(w >= 0n).toBe(true);
  } else {
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) {
      expect(d.code).not.toBe('ISA6099');
      expect(d.span.line).toBeGreaterThanOrEqual(1);
      expect(d.span.col).toBeGreaterThanOrEqual(1);
    }
  }
}

describe('fuzz (fast-check)', () => {
  it('random text: a program or diagnostics, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => neverThrows(pgFixture, s)),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (s) => neverThrows(byteFixture, s)),
      { numRuns: 200 },
    );
  });

  it("token soup from the assembler's own vocabulary", () => {
    const soup = fc.array(fc.constantFrom(...pieces), { maxLength: 40 }).map((xs) => xs.join(' '));
    fc.assert(
      fc.property(soup, (s) => neverThrows(pgFixture, s)),
      { numRuns: 400 },
    );
    fc.assert(
      fc.property(soup, (s) => neverThrows(byteFixture, s.replace(/r1/g, 'al'))),
      { numRuns: 200 },
    );
  });

  it('valid programs with a character deleted, duplicated or replaced', () => {
    const base =
      '.org 0x10\nstart: LOADI r1, 10\nloop: ADDI r1, -1\n JNZ r1, loop\n LOADX r2, [r3+4]\n.word start+2, \'A\'\n.ascii "hi"\n.equ N, 3\n.space N\n.entry start\n';
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.constantFrom('delete', 'dup', 'replace'), fc.string({ minLength: 1, maxLength: 1 }), (i, op, c) => {
        const s =
          op === 'delete'
            ? base.slice(0, i) + base.slice(i + 1)
            : op === 'dup'
              ? base.slice(0, i) + base[i] + base.slice(i)
              : base.slice(0, i) + c + base.slice(i + 1);
        neverThrows(pgFixture, s);
      }),
      { numRuns: 500 },
    );
  });

  it('hostile sizes are diagnostics, not hangs or crashes', () => {
    neverThrows(pgFixture, '.space 0x7fffffffffff');
    neverThrows(pgFixture, 'LOADI r1, ' + '-'.repeat(5000) + '1');
    neverThrows(pgFixture, '.word ' + Array.from({ length: 3000 }, () => '1').join('+'));
    neverThrows(pgFixture, 'JMP ' + '('.repeat(2000) + '1' + ')'.repeat(2000));
    neverThrows(pgFixture, 'LOADX r1, [' + 'r2+'.repeat(500) + '1]');
  });
});
