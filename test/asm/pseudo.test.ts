// The assembler's pseudo-instructions: the expansion a condition picks, labels laid out after
// expansion, the listing's lines, the diagnostics, and what the expanded program computes.
import { describe, expect, it } from 'vitest';
import { assemble, disassembleProgram, formatListing, type Program } from '../../src/asm/index.js';
import { loadIsaFile, parseIsaText } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { runGuest } from '../../src/vmm/index.js';

function load(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.isa;
}
const riscv = load('isas/riscv.isa');

function ok(isa: Isa, src: string): Program {
  const r = assemble(isa, src, 'p.s');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.code} ${d.message}`).join('\n'));
  return r.program;
}
const texts = (isa: Isa, p: Program) => disassembleProgram(isa, p).map((l) => l.text);

describe('pseudo-instructions (isas/riscv.isa)', () => {
  it('li takes the expansion its value needs, as GNU as does', () => {
    expect(texts(riscv, ok(riscv, 'li a0, -5'))).toEqual(['addi a0, zero, -5']);
    expect(texts(riscv, ok(riscv, 'li a0, 0x3000'))).toEqual(['lui a0, 3']);
    // %hi rounds up when bit 11 of the value is set: 0x12345fff = 0x12346000 - 1.
    expect(texts(riscv, ok(riscv, 'li a0, 0x12345fff'))).toEqual(['lui a0, 0x12346', 'addi a0, a0, -1']);
    expect(texts(riscv, ok(riscv, 'li zero, 0x3000'))).toEqual(['lui zero, 3', 'addi zero, zero, 0']);
  });

  it('labels after an expansion, and PC-relative targets inside one, are laid out after expanding', () => {
    const p = ok(riscv, 'start: li a0, 0x12345678\nhere: la a1, data\n  j start\ndata: .word 7\n');
    expect(p.labels).toEqual({ start: 0, here: 8, data: 20 });
    // la's pair is relative to the auipc's own address (8): 20 - 8 = 12.
    expect(texts(riscv, p)).toEqual(['lui a0, 0x12345', 'addi a0, a0, 1656', 'auipc a1, 0', 'addi a1, a1, 12', 'jal zero, start', '.word 0x07']);
  });

  it("an expansion's size may depend on a label defined later: the layout passes settle it", () => {
    // `far` is 0x2000 + the size of the two li's: only known once the first li is expanded.
    const p = ok(riscv, '  li a0, far\n  li a1, 5\n.org 0x2000\n  nop\nfar: ret\n');
    expect(p.labels.far).toBe(0x2004);
    expect(texts(riscv, p).slice(0, 3)).toEqual(['lui a0, 2', 'addi a0, a0, 4', 'addi a1, zero, 5']);
  });

  it('the listing shows every instruction of an expansion with its whole words', () => {
    const src = '  li a0, 0x12345678\n  mv a1, a0\n';
    const lines = formatListing(riscv, ok(riscv, src), src).split('\n');
    expect(lines[0]).toMatch(/^00000: 37 55 34 12 +li a0, 0x12345678$/);
    expect(lines[1]).toMatch(/^00004: 13 05 85 67 *$/);
    expect(lines[2]).toMatch(/^00008: 93 05 05 00 +mv a1, a0$/);
  });

  it('an expanded operand that does not fit is reported at the statement, naming the expansion', () => {
    const r = assemble(riscv, '  nop\n  beqz a0, 3\n', 'p.s');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.code, d.span.line, d.span.col])).toEqual([['ISA6003', 2, 3]]);
    expect(r.diagnostics[0]!.message).toContain('operand off of beq');
    expect(r.diagnostics[0]!.message).toContain('in the expansion of beqz');
  });

  it('runs: the expanded program computes what the pseudo-instructions say', () => {
    const src = [
      '  li a0, 0x12345678',
      '  li a1, -2048',
      '  mv a2, a0',
      '  not a3, a1',
      '  neg a4, a1',
      '  seqz a5, zero',
      '  bnez a5, skip',
      '  li a6, 99',
      'skip: wfi',
      '',
    ].join('\n');
    const program = ok(riscv, `.org 0x1000\n${src}`);
    const run = runGuest(riscv, 'none', { program }, { maxSteps: 100 });
    const x = run.guestState.files.x!;
    expect(x.slice(10, 17)).toEqual([0x12345678n, 0xfffff800n, 0x12345678n, 0x7ffn, 0x800n, 1n, 0n]);
  });
});

describe('the disassembler prints aliases as GNU objdump does', () => {
  const src = '  li a0, 5\n  mv a5, a0\n  bgt a0, a1, 0\n  ret\n  addi a1, a1, 7\n  j 0\n';
  it('with aliases: the first pseudo-instruction declared before the instruction that gives it back exactly', () => {
    const p = ok(riscv, src);
    const lines = disassembleProgram(riscv, p, { aliases: true });
    // bgt is declared after blt (objdump prints blt); addi with a register source has no alias.
    expect(lines.map((l) => l.text)).toEqual(['li a0, 5', 'mv a5, a0', 'blt a1, a0, 0x0', 'ret', 'addi a1, a1, 7', 'j 0x0']);
    // The line still names the real instruction and its operands.
    expect(lines[0]).toMatchObject({ instruction: 'ADDI', operands: { rd: 10n, rs1: 0n, k: 5n } });
  });

  it('without: the instructions', () => {
    expect(texts(riscv, ok(riscv, src))).toEqual([
      'addi a0, zero, 5',
      'addi a5, a0, 0',
      'blt a1, a0, 0x0',
      'jalr zero, 0(ra)',
      'addi a1, a1, 7',
      'jal zero, 0x0',
    ]);
  });

  it('the IR says which are aliases: those declared before the instructions they expand to', () => {
    const alias = Object.fromEntries((riscv.pseudos ?? []).map((p) => [p.mnemonic, p.alias === true]));
    expect(alias).toMatchObject({ NOP: true, LI: true, MV: true, RET: true, J: true, BGT: false, LA: false, CALL: false });
  });
});

describe('pseudo-instructions of a small spec', () => {
  const tiny = parseIsaText(
    [
      'isa tiny;',
      'memory E : 8 [256];',
      'register PC : 8;',
      'register M : 1 mode;',
      'registers r[4] : 8;',
      'modes {\n  k when M == 1;\n  u when M == 0;\n}',
      'fetch E at PC;',
      'instruction SET(k : imm 6) {\n  syntax "set {k}";\n  encoding 0b01:2 k;\n  semantics { r[0] = zext(k, 8); }\n}',
      'instruction HALT() {\n  encoding 0:8;\n  semantics { halt; }\n}',
      // Only small values have an expansion.
      'pseudo SMALL(v : imm 8) {\n  syntax "small {v}";\n  expand when v < 64 {\n    SET(v[5..0]);\n  }\n}',
    ].join('\n') + '\n',
    'tiny.isa',
  );

  it('a value no expansion applies to is one diagnostic naming the operands', () => {
    if (!tiny.ok) throw new Error(tiny.diagnostics.map((d) => d.message).join('\n'));
    expect(texts(tiny.isa, ok(tiny.isa, 'small 5\n'))).toEqual(['set 5']);
    const r = assemble(tiny.isa, 'small 200\n', 'p.s');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['ISA6021', 'no expansion of small applies to v = 200 (0xc8)']]);
  });
});
