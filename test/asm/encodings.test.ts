// Real machines' encodings: operand bit slices anywhere, little-endian groups, implied zero bits
// and PC-relative operands, through the front end, the assembler, the disassembler, both decoders
// of the machine, the JSON form and the formatter.
import { describe, expect, it } from 'vitest';
import { assemble, disassemble, formatAsmDiagnostic } from '../../src/asm/index.js';
import { exportIsaJson, parseIsaJson, parseIsaText, type Isa } from '../../src/ir/index.js';
import { formatSpec } from '../../src/ir/format.js';
import { decodeOperands } from '../../src/exec/interpret.js';
import { createMachine } from '../../src/exec/machine.js';
import { memHost } from '../ir/helpers.js';

// A byte-fetched little-endian machine with a RISC-V-like branch (slices, implied bit 0, relative
// to the instruction), an x86-like imm32 after an opcode byte and an x86-like short jump relative
// to the next instruction.
const SPEC = `isa enc;
memory E : 8 [65536];
register PC : 16;
register M : 1 mode;
registers r[32] : 32;
register ACC : 32;
modes {
  sup when M == 1;
}
fetch E at PC;
names {
  seven = 7;
  wide = 0x12345678;
}
instruction BEQ(rs1 : reg r, rs2 : reg r, off : simm 13) {
  syntax "beq {rs1}, {rs2}, {off:pc}";
  encoding little(off[12] off[10..5] rs2 rs1 0b000:3 off[4..1] off[11] 0b1100011:7);
  semantics {
    if r[rs1] == r[rs2] {
      PC = PC + sext(off, 16);
    }
  }
}
instruction MOVI(k : imm 32) {
  syntax "movi {k}";
  encoding 0xB8:8 little(k);
  semantics {
    ACC = k;
  }
}
instruction JMP8(rel : simm 8) {
  syntax "jmp {rel:next_pc}";
  encoding 0xEB:8 rel;
  semantics {
    PC = next_pc + sext(rel, 16);
  }
}
`;

function load(text = SPEC): Isa {
  const r = parseIsaText(text, 'enc.isa', memHost({}));
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`).join('\n'));
  return r.isa;
}

function words(isa: Isa, src: string): bigint[] {
  const r = assemble(isa, src, 'p.s');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatAsmDiagnostic(d, src)).join('\n'));
  return r.program.segments.flatMap((s) => s.words);
}

describe('encodings of real machines', () => {
  const isa = load();

  it('places slices, stores little groups least significant byte first, and encodes targets relative', () => {
    // beq r1, r2, top at 0 with top = 0: offset 0. At 4, back to 0: offset -4 = 0x1ffc (13 bits):
    // off[12]=1 off[10..5]=0x3f off[4..1]=0xe off[11]=1 -> 0xfe208ee3 (RISC-V: beq r1, r2, .-4).
    expect(words(isa, 'top: beq r1, r2, top\nbeq r1, r2, top\n')).toEqual([0x63n, 0x80n, 0x20n, 0x00n, 0xe3n, 0x8en, 0x20n, 0xfen]);
    expect(words(isa, 'movi 0x12345678')).toEqual([0xb8n, 0x78n, 0x56n, 0x34n, 0x12n]);
    // jmp to itself: the distance from the next instruction is -2.
    expect(words(isa, 'here: jmp here')).toEqual([0xebn, 0xfen]);
  });

  it('the IR records each slice as operand bits lo.. and the mask/match over fetch order', () => {
    const beq = isa.instructions[0]!;
    expect(beq.encoding.items[0]).toMatchObject({ k: 'little', width: 32, word: 8 });
    const items = beq.encoding.items[0]!.k === 'little' ? beq.encoding.items[0]!.items : [];
    expect(items.filter((i) => i.k === 'field' && i.operand === 'off').map((i) => [i.width, i.k === 'field' ? i.lo : -1])).toEqual([
      [1, 12],
      [6, 5],
      [4, 1],
      [1, 11],
    ]);
    // The opcode (bits 6..0, funct3 14..12) is in the first and second bytes fetched.
    expect(beq.encoding.mask).toBe('0x7f700000');
    expect(beq.encoding.match).toBe('0x63000000');
  });

  it('disassembles to the target and the same operand values; both machine decoders agree', () => {
    const w = words(isa, '.org 0x100\nbeq r1, r2, 0x80\nmovi 7\njmp 0x100\n');
    const lines = disassemble(isa, w, 0x100);
    expect(lines.map((l) => l.text)).toEqual(['beq r1, r2, 0x80', 'movi 7', 'jmp 0x100']);
    expect(lines[0]!.operands).toEqual({ rs1: 1n, rs2: 2n, off: -128n });
    expect(lines[2]!.operands).toEqual({ rel: -11n });
    // The interpreter's decoder: the raw operand bits (off = -128 as 13 bits).
    const bits = BigInt(
      '0x' +
        w
          .slice(0, 4)
          .map((b) => b.toString(16).padStart(2, '0'))
          .join(''),
    );
    expect(decodeOperands(isa.instructions[0]!, bits)).toEqual({ rs1: 1n, rs2: 2n, off: 0x1f80n });
    // The compiled machine runs the same program: the branch is taken (r1 = r2 = 0) to 0x80.
    const m = createMachine(isa);
    m.loadImage('E', 0x100, w);
    m.pc = 0x100n;
    const d = m.decodeAt(0x100n);
    expect(d.kind === 'instr' && [d.instr.mnemonic, d.operands]).toEqual(['BEQ', { rs1: 1n, rs2: 2n, off: 0x1f80n }]);
    m.step();
    expect(m.pc).toBe(0x80n);
  });

  it('an offset whose implied bits are set, or a target out of reach, is an error naming why', () => {
    const r = assemble(isa, 'x: beq r1, r2, x+3\nbeq r1, r2, 0x2000\n', 'p.s');
    expect(r.ok).toBe(false);
    const msgs = r.ok ? [] : r.diagnostics.map((d) => d.message);
    expect(msgs[0]).toContain('a multiple of 2: bit 0 is not encoded and must be 0');
    expect(msgs[1]).toContain('target 8192 (0x2000) (8188 (0x1ffc) from 4) does not fit operand off (signed 13 bits: -4096..0xfff)');
  });

  it("the spec's names are values a program may write, and a program's own symbol wins", () => {
    expect(isa.symbols?.map((s) => [s.name, s.value])).toEqual([
      ['seven', '0x7'],
      ['wide', '0x12345678'],
    ]);
    expect(words(isa, 'movi wide')).toEqual([0xb8n, 0x78n, 0x56n, 0x34n, 0x12n]);
    expect(words(isa, '.equ seven, 9\nmovi seven')).toEqual([0xb8n, 9n, 0n, 0n, 0n]);
    const dup = parseIsaText(SPEC.replace('wide = 0x12345678;', 'seven = 8;'), 'enc.isa', memHost({}));
    expect(dup.diagnostics.map((d) => [d.code, d.message])).toEqual([['ISA2001', expect.stringContaining("name 'seven'")]]);
  });

  it('a decode condition leaves the excluded operand values to another instruction, in every decoder', () => {
    // x86-like: ModRM rm = 100 means a SIB byte follows, so the base-register form excludes it.
    const text = `isa sib;
memory E : 8 [256];
register PC : 8;
register M : 1 mode;
registers g[8] : 8;
register A : 8;
modes {
  sup when M == 1;
}
fetch E at PC;
instruction LDX(rd : reg g, rb : reg g, d : imm 8) {
  syntax "ld {rd}, [{rb}+{d}]";
  encoding 0x8b:8 0b10:2 rd rb d when rb != 4;
  semantics {
    A = 1;
  }
}
instruction LDS(rd : reg g, d : imm 8) {
  syntax "ld {rd}, [g4+{d}]";
  encoding 0x8b:8 0b10:2 rd 0b100:3 0x24:8 d;
  semantics {
    A = 2;
  }
}
`;
    const sib = load(text);
    expect(sib.instructions[0]!.encoding.exclude).toEqual([{ operand: 'rb', value: '0x4', mask: '0x700', match: '0x400' }]);
    // No overlap is reported (the condition removes it); g4 takes the SIB form.
    expect(words(sib, 'ld g1, [g3+5]\nld g1, [g4+5]')).toEqual([0x8bn, 0x8bn, 5n, 0x8bn, 0x8cn, 0x24n, 5n]);
    expect(disassemble(sib, [0x8bn, 0x8cn, 0x24n, 5n]).map((l) => l.instruction)).toEqual(['LDS']);
    const m = createMachine(sib);
    m.loadImage('E', 0, [0x8bn, 0x8cn, 0x24n, 5n]);
    const d = m.decodeAt(0n);
    expect(d.kind === 'instr' && d.instr.mnemonic).toBe('LDS');
    const f = formatSpec(text, 'sib.isa');
    expect(f.ok && f.text).toContain('encoding 0x8b:8 0b10:2 rd rb d when rb != 4;');
    // Alone, the base-register form refuses the excluded register, saying why.
    const alone = load(text.slice(0, text.indexOf('instruction LDS')));
    const bad = assemble(alone, 'ld g1, [g4+5]', 'p.s');
    expect(!bad.ok && bad.diagnostics.map((x) => [x.code, x.message])).toEqual([
      ['ISA6003', 'register g4 does not fit operand rb of ld: this encoding excludes rb = 4'],
    ]);
    // Without the condition the two overlap.
    const r = parseIsaText(text.replace(' when rb != 4', ''), 'sib.isa', memHost({}));
    expect(r.diagnostics.map((x) => x.code)).toEqual(['ISA4006']);
  });

  it('survives the JSON form and the formatter unchanged', () => {
    const back = parseIsaJson(exportIsaJson(isa), 'enc.isa.json');
    expect(back.isa?.instructions.map((i) => [i.encoding, i.syntax])).toEqual(isa.instructions.map((i) => [i.encoding, i.syntax]));
    expect(back.isa?.symbols).toEqual(isa.symbols);
    const f = formatSpec(SPEC, 'enc.isa');
    expect(f.ok && f.text).toContain('encoding little(off[12] off[10..5] rs2 rs1 0b000:3 off[4..1] off[11] 0b1100011:7);');
    expect(f.ok && f.text).toContain('encoding 0xB8:8 little(k);');
    expect(f.ok && f.text).toContain('syntax "jmp {rel:next_pc}";');
    expect(f.ok && f.text).toContain('names {\n  seven = 7;\n  wide = 0x12345678;\n}');
  });
});
