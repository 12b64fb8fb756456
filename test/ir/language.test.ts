// Language conveniences: contextual keywords (a MIPS spec names a register `at`) and a register
// hard-wired to zero (`registers r[N] : W zero 0`), checked and run.
import { describe, expect, test } from 'vitest';
import { exportIsaJson, loadIsaFile, parseIsaText } from '../../src/ir/index.js';
import { formatSpec } from '../../src/ir/format.js';
import { resetState, stepInstruction } from '../../src/exec/interpret.js';
import { memHost, ok } from './helpers.js';

const mips = `isa m;
memory E : 8 [256];
register PC : 8;
register at : 8;
register when : 1 mode;
registers r[4] : 8 zero 0 names zero, at, v0, v1;
modes { kernel when when == 1; user when when == 0; }
fetch E at PC;
trap priv kind privilege vector 1;
instruction ADDI(rd : reg r, v : imm 6) {
  syntax "addi {rd}, {v}";
  encoding rd:2 v:6;
  semantics {
    r[rd] = r[rd] + zext(v, 8);
    at = r[rd];
  }
}
`;

describe('contextual keywords', () => {
  test('at, when, names... are names where the grammar does not expect the keyword', () => {
    const isa = ok(mips);
    expect(isa.registers.map((r) => r.name)).toContain('at');
    expect(isa.files[0]!.names).toEqual(['zero', 'at', 'v0', 'v1']);
    expect(isa.fetch.pc).toBe('PC');
  });

  test('reserved words are still refused as names', () => {
    const r = parseIsaText(mips.replace('register at : 8;', 'register let : 8;'), 'm.isa', memHost({}));
    expect(r.diagnostics.map((d) => d.code)).toContain('ISA1014');
  });

  test('the formatter keeps them and is stable', () => {
    const f = formatSpec(mips, 'm.isa');
    expect(f.ok).toBe(true);
    if (f.ok) {
      expect(f.text).toContain('zero 0 names zero, at, v0, v1;');
      const again = formatSpec(f.text, 'm.isa');
      expect(again.ok && again.text).toBe(f.text);
    }
  });
});

describe('a register hard-wired to zero', () => {
  const isa = ok(mips);
  const run = (word: number, r: bigint[]) => {
    const s = resetState(isa);
    s.files.r = [...r];
    s.mem.E!.set(0, BigInt(word));
    const out = stepInstruction(isa, s);
    if (out.kind !== 'done') throw new Error(out.kind);
    return out.state;
  };

  test('writes to it are ignored and it reads as zero', () => {
    const s = run((0 << 6) | 5, [7n, 1n, 2n, 3n]); // addi zero, 5
    expect(s.files.r![0]).toBe(7n); // the machine's cell is untouched
    expect(s.regs.at).toBe(0n); // and reading it gives 0
  });

  test('the other registers are ordinary', () => {
    const s = run((2 << 6) | 5, [0n, 1n, 2n, 3n]); // addi v0, 5
    expect(s.files.r![2]).toBe(7n);
    expect(s.regs.at).toBe(7n);
  });

  test('an index outside the file is ISA3022', () => {
    const r = parseIsaText(mips.replace('zero 0', 'zero 4'), 'm.isa', memHost({}));
    expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA3022']);
  });

  test('the JSON form round-trips through the one checker', () => {
    const json = exportIsaJson(isa);
    const again = loadIsaFile('m.isa.json', memHost({ 'm.isa.json': json }));
    expect(again.ok).toBe(true);
  });
});
