import { describe, expect, it } from 'vitest';
import { assemble, ASM_CODES, formatAsmDiagnostic, loadProgram, programImage, formatListing, type Program } from '../../src/asm/index.js';
import type { AsmDiagnostic } from '../../src/asm/index.js';
import { byteFixture, pgFixture } from './fixture.js';
import type { Isa } from '../../src/ir/types.js';

function ok(isa: Isa, src: string): Program {
  const r = assemble(isa, src, 'prog.s');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
  return r.program;
}

function errs(isa: Isa, src: string): AsmDiagnostic[] {
  const r = assemble(isa, src, 'prog.s');
  if (r.ok) throw new Error('expected diagnostics, got a program');
  return r.diagnostics;
}

/** "ISA6001 2:3" for each diagnostic, for compact exact assertions. */
function where(ds: AsmDiagnostic[]): string[] {
  return ds.map((d) => `${d.code} ${d.span.line}:${d.span.col}`);
}

function hexWords(p: Program): string[][] {
  return p.segments.map((s) => [s.address.toString(16), ...s.words.map((w) => w.toString(16).padStart(8, '0'))]);
}

describe('assemble: pg instructions, encoded by hand from isas/pg.isa', () => {
  it('encodes every operand form', () => {
    const p = ok(
      pgFixture,
      `
        .org 0x10
start:  LOADI r1, 10          ; 03 1 0 000a
loop:   ADDI r1, -1           ; 15 1 0 ffff
        JNZ r1, loop          ; 22 1 0 0011
        LPSW [psw]            ; 40 00 0015
        LOADX r2, [r3+4]      ; 04 2 3 0004
        SHL r5, 31            ; 16 5, 15 zero bits, 11111
        SVC 0x80              ; 30 0000 80
        STOREX r15, [r14 + 0xffff]
        SETR r7               ; 41 7 00000
        ADD r0, r15           ; 10 0 f 0000
        LOAD r4, [0x1234]
        STORE r4, [start-1]
        JZ r9, 0b1010
        JMP start
        HALT
psw:    .word 0x100, 0x1000ffff
`,
    );
    expect(hexWords(p)).toEqual([
      [
        '10',
        '0310000a',
        '1510ffff',
        '22100011',
        '4000001f',
        '04230004',
        '1650001f',
        '30000080',
        '05feffff',
        '41700000',
        '100f0000',
        '01401234',
        '0240000f',
        '2190000a',
        '20000010',
        '43000000',
        '00000100',
        '1000ffff',
      ],
    ]);
    expect(p.symbols).toEqual({ start: 0x10, loop: 0x11, psw: 0x1f });
    expect(p.labels).toEqual({ start: 0x10, loop: 0x11, psw: 0x1f });
    expect(p.entry).toBe(0x10);
  });

  it('reads mnemonics and registers case-insensitively, spaces freely', () => {
    const a = ok(pgFixture, 'loadx R2,[r3+4]\n  LoadX   r2 , [ R3 +  4 ]  \n');
    expect(a.segments[0]!.words).toEqual([0x04230004n, 0x04230004n]);
  });

  it('accepts the smallest and largest value of each field and nothing beyond', () => {
    expect(ok(pgFixture, 'ADDI r0, -32768\nADDI r0, 32767\nLOADI r0, 0xffff\nSHL r0, 31').segments[0]!.words).toEqual([
      0x15008000n,
      0x15007fffn,
      0x0300ffffn,
      0x1600001fn,
    ]);
    expect(where(errs(pgFixture, 'ADDI r0, -32769\nADDI r0, 32768\nLOADI r0, -1\nSHL r0, 32\nJMP 0x10000'))).toEqual([
      'ISA6003 1:10',
      'ISA6003 2:10',
      'ISA6003 3:11',
      'ISA6003 4:9',
      'ISA6003 5:5',
    ]);
  });

  it('loads into the fetch memory under the view, and sets the pc to the entry on request', () => {
    const p = ok(pgFixture, '.org 0x20\nx: HALT\n.entry x');
    expect(programImage(pgFixture, p)).toEqual({ memory: 'E', words: new Map([[0x20, 0x43000000n]]) });
    const before = { regs: { P: 0n }, files: {}, mem: { E: new Map([[0, 7n]]) } };
    const s = loadProgram(pgFixture, p, before, { setPc: true });
    expect(s.mem.E!.get(0x20)).toBe(0x43000000n);
    expect(s.mem.E!.get(0)).toBe(7n);
    expect(s.regs.P).toBe(0x20n);
    expect(before.mem.E.has(0x20)).toBe(false); // the input state is not changed
  });
});

describe('assemble: directives', () => {
  it('.word takes expressions, negative values, characters and labels', () => {
    const p = ok(pgFixture, "a: .word 1, -1, 'A', a+2, 0b11, '\\n'\n");
    expect(p.segments[0]!.words).toEqual([1n, 0xffffffffn, 65n, 2n, 3n, 10n]);
  });

  it('.ascii puts one word per character, escapes decoded', () => {
    const p = ok(pgFixture, '.ascii "hi\\n", "\\"\\x41"');
    expect(p.segments[0]!.words).toEqual([104n, 105n, 10n, 34n, 65n]);
  });

  it('.space puts zero words', () => {
    const p = ok(pgFixture, '.word 9\n.space 3\nx: .word 8');
    expect(p.segments[0]!.words).toEqual([9n, 0n, 0n, 0n, 8n]);
    expect(p.symbols.x).toBe(4);
  });

  it('.org moves the location; a label on an .org line names the new address', () => {
    const p = ok(pgFixture, '.word 1\nhere: .org 0x40\n.word 2');
    expect(p.segments.map((s) => [s.address, s.words])).toEqual([
      [0, [1n]],
      [0x40, [2n]],
    ]);
    expect(p.symbols.here).toBe(0x40);
  });

  it('.equ names a constant usable before and after, in operands and directives', () => {
    const p = ok(pgFixture, 'LOADI r1, N+1\n.equ N, 0x20\n.equ M, N - 2\n.org M\n.word N');
    expect(p.segments.map((s) => [s.address, s.words])).toEqual([
      [0, [0x03100021n]],
      [0x1e, [0x20n]],
    ]);
    expect(p.symbols).toEqual({ N: 0x20, M: 0x1e });
    expect(p.labels).toEqual({});
  });

  it('.entry sets the entry; by default it is the first instruction of .kernel', () => {
    expect(ok(pgFixture, '.org 5\nHALT\nb: HALT\n.entry b').entry).toBe(6);
    expect(ok(pgFixture, '.user\n.org 2\nHALT\n.kernel\n.org 9\n.word 1\nHALT').entry).toBe(10);
    expect(ok(pgFixture, '.org 7\n.word 1\n').entry).toBe(7);
  });

  it('.kernel and .user tag segments; the location carries on across a switch', () => {
    const p = ok(pgFixture, '.org 0x10\nHALT\n.user\nHALT\n.kernel\nHALT');
    expect(p.segments.map((s) => [s.address, s.section, s.words.length])).toEqual([
      [0x10, 'kernel', 1],
      [0x11, 'user', 1],
      [0x12, 'kernel', 1],
    ]);
  });

  it('labels may be used before they are defined', () => {
    const p = ok(pgFixture, 'JMP end\n.space 2\nend: HALT');
    expect(p.segments[0]!.words[0]).toBe(0x20000003n);
  });

  it('records the source line of every statement that emits words', () => {
    const src = '; comment\n.org 3\nx: HALT\n\n.word 1, 2 # also a comment\n';
    const p = ok(pgFixture, src);
    expect(p.lines).toEqual([
      { address: 3, line: 3, length: 1, instruction: true },
      { address: 4, line: 5, length: 2 },
    ]);
    expect(formatListing(pgFixture, p, src).split('\n')[2]).toMatch(/^0003: 43000000 +x: HALT$/);
  });
});

describe('assemble: one mnemonic, several operand forms', () => {
  it('picks the instruction by register, immediate, bracketed address or indexed form', () => {
    const p = ok(byteFixture, 'MOV al, bl\nMOV cl, #5\nMOV dl, [0x20]\nMOV al, [bl+-3]\n');
    // MOV_rr 010000 dd 0000 ss 00; MOV_ri 010001 dd vvvvvvvv; MOV_rm 010010 dd a; MOV_rx 010011 dd 000000 xx oooooooo
    expect(p.segments[0]!.words).toEqual([0x40n, 0x04n, 0x46n, 5n, 0x4bn, 0x20n, 0x4cn, 0x01n, 0xfdn]);
  });

  it('encodes an operand split over two fields by bit slices', () => {
    expect(ok(byteFixture, 'JMPL 0x12:0xabc').segments[0]!.words).toEqual([0x21n, 0x12n, 0xa0n, 0xbcn]);
  });

  it('a register name is not a label, so it never fits an immediate form', () => {
    const ds = errs(byteFixture, 'MOV al, #bl');
    expect(where(ds)).toEqual(['ISA6002 1:10']);
    expect(ds[0]!.hint).toContain("'MOV {d}, #{v}'");
  });

  it('`#` is literal in a spec whose syntax uses it, and a comment at a line start or before a blank', () => {
    const p = ok(byteFixture, '# heading\nMOV cl, #5 # five\nNOP #\n');
    expect(p.segments[0]!.words).toEqual([0x46n, 5n, 0n]);
  });
});

describe('assemble: diagnostics with file:line:col', () => {
  it('unknown mnemonic, with a suggestion', () => {
    const ds = errs(pgFixture, '  LODI r1, 2');
    expect(where(ds)).toEqual(['ISA6001 1:3']);
    expect(ds[0]!.message).toBe("unknown instruction 'LODI'");
    expect(ds[0]!.hint).toBe("did you mean 'LOADI'?");
    expect(ds[0]!.span).toEqual({ file: 'prog.s', line: 1, col: 3, endLine: 1, endCol: 7 });
  });

  it('wrong operands: at the first token no syntax accepts, with the expected syntax', () => {
    const ds = errs(pgFixture, 'HALT\nLOAD r1, 5\nLOAD r1, [5\nADD r1\nLOADX r1, [r2-4]');
    expect(where(ds)).toEqual(['ISA6002 2:10', 'ISA6002 3:12', 'ISA6002 4:7', 'ISA6002 5:14']);
    expect(ds[0]!.message).toBe("wrong operands for LOAD: unexpected '5'");
    expect(ds[0]!.hint).toBe("expected 'LOAD {rd}, [{a}]' (rd: register r0..r15, a: address 0..0xffff)");
    expect(ds[1]!.message).toBe('wrong operands for LOAD: unexpected the end of the line');
  });

  it('value out of range names the operand and its range', () => {
    const ds = errs(pgFixture, '\n  LOADI r1, 70000');
    expect(where(ds)).toEqual(['ISA6003 2:13']);
    expect(ds[0]!.message).toBe('70000 (0x11170) does not fit operand value (16 bits: 0..0xffff)');
    expect(where(errs(pgFixture, '.word 0x100000000\n.word -0x80000001'))).toEqual(['ISA6003 1:7', 'ISA6003 2:7']);
  });

  it('undefined symbol, with a suggestion', () => {
    const ds = errs(pgFixture, 'loop: HALT\n JMP lop+1');
    expect(where(ds)).toEqual(['ISA6004 2:6']);
    expect(ds[0]!.hint).toBe("did you mean 'loop'?");
  });

  it('duplicate label or constant, and a register name used as one', () => {
    const ds = errs(pgFixture, 'a: HALT\na: HALT\n.equ a, 1\nr3: HALT');
    expect(where(ds)).toEqual(['ISA6005 2:1', 'ISA6005 3:6', 'ISA6013 4:1']);
    expect(ds[0]!.message).toBe("'a' is already defined (line 1)");
  });

  it('unknown directive and bad directive arguments', () => {
    const ds = errs(pgFixture, '.wrd 1\n.org\n.space 1, 2\n.equ 5\n.ascii 5\n.kernel 1\n.word 1,\n.entry 1\n.entry 2');
    expect(where(ds)).toEqual(['ISA6006 1:1', 'ISA6017 2:1', 'ISA6017 3:8', 'ISA6017 4:1', 'ISA6017 5:1', 'ISA6017 6:9', 'ISA6017 7:8', 'ISA6017 9:1']);
    expect(ds[0]!.hint).toBe("did you mean '.word'?");
  });

  it('bad number, character and string literals', () => {
    const ds = errs(pgFixture, "LOADI r1, 0x\nLOADI r1, 12ab\nLOADI r1, 0b102\nLOADI r1, 'ab'\nLOADI r1, ''\nLOADI r1, 'a\n.ascii \"x\n.ascii \"\\q\"");
    expect(where(ds)).toEqual(['ISA6007 1:11', 'ISA6007 2:11', 'ISA6007 3:11', 'ISA6008 4:11', 'ISA6008 5:11', 'ISA6008 6:11', 'ISA6009 7:8', 'ISA6009 8:8']);
  });

  it('something that is no statement at all', () => {
    expect(where(errs(pgFixture, 'HALT\n  , HALT\n 42'))).toEqual(['ISA6012 2:3', 'ISA6012 3:2']);
  });

  it('overlapping .org regions, reported at the later .org', () => {
    const ds = errs(pgFixture, '.org 0x10\nHALT\nHALT\n.org 0x11\n  .word 1');
    expect(where(ds)).toEqual(['ISA6010 4:1']);
    expect(ds[0]!.message).toBe('this region overlaps the one from line 1 at address 0x11');
  });

  it('addresses beyond the memory', () => {
    const ds = errs(byteFixture, '.org 0x100\n.org 0xff\nNOP\nNOP\n.space 300\n.entry 256');
    expect(where(ds)).toEqual(['ISA6011 1:6', 'ISA6011 4:1', 'ISA6003 5:8', 'ISA6011 6:8']);
  });

  it('reports every error in the file, in order, and renders with a caret', () => {
    const src = 'FOO\nLOADI r1, 1\nBAR';
    const ds = errs(pgFixture, src);
    expect(where(ds)).toEqual(['ISA6001 1:1', 'ISA6001 3:1']);
    expect(formatAsmDiagnostic(ds[1]!, src)).toContain('prog.s:3:1: error ISA6001: unknown instruction');
    expect(ASM_CODES.unknownMnemonic).toBe('ISA6001');
  });
});
