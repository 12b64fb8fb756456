import { beforeAll, describe, expect, test } from 'vitest';
import { analyzeIsa, type IsaAnalysis } from '../../src/analysis/index.js';
import { demoIsa, renderDemoText, encodeInstruction } from '../../src/demo/index.js';
import { fetchDecode, resetState } from '../../src/exec/interpret.js';
import { loadProgram } from '../../src/asm/index.js';
import type { Isa } from '../../src/ir/types.js';
import { spec } from '../vmm/helpers.js';

describe('demo on pg.isa (Theorem 1 holds)', () => {
  test('nothing to show', async () => {
    const isa = await spec('pg');
    const r = demoIsa(isa, await analyzeIsa(isa));
    expect(r.theorem1).toBe('holds');
    expect(r.offenders).toEqual([]);
    expect(renderDemoText(r)).toMatch(/runs every guest as the bare machine does/);
  });

  test('encodeInstruction gives words that decode back to the instruction and operands', async () => {
    const isa = await spec('pg');
    for (const instr of isa.instructions) {
      const ops = Object.fromEntries(instr.operands.map((o, i) => [o.name, BigInt(i + 3)]));
      const words = encodeInstruction(isa, instr, ops);
      const s = loadProgram(isa, { segments: [{ address: 0x40, words, section: 'kernel' }], entry: 0x40, symbols: {}, labels: {}, lines: [], file: '' }, resetState(isa), { setPc: true });
      const d = fetchDecode(isa, s, 0x40n);
      expect('decoded' in d && d.decoded.instr.mnemonic).toBe(instr.mnemonic);
      if ('decoded' in d) expect(d.decoded.operands).toEqual(ops);
    }
  });
});

describe('demo on the MC68000: MOVE from SR', () => {
  test('diverges under the monitor, not when patched', async () => {
    const isa = await spec('m68000');
    const r = demoIsa(isa, await analyzeIsa(isa));
    const d = r.offenders.find((o) => o.mnemonic === 'MOVE_FROM_SR')!;
    expect(d.status).toBe('diverges');
    expect(d.divergence!.step).toBe(1);
    expect(d.patched!.divergence).toBeUndefined();
    expect(d.patched!.sites).toBe(1);
  });
});

describe('demo on the 80386', () => {
  let isa: Isa;
  let analysis: IsaAnalysis;
  beforeAll(async () => {
    isa = await spec('x86-386');
    analysis = await analyzeIsa(isa);
  }, 300_000);

  // Robin and Irvine's sensitive register-reading and flag instructions: each shows the monitor's
  // guest a different machine, and patching it away restores the bare machine's result.
  test.each(['POPF', 'PUSHF', 'SGDT', 'SIDT', 'SLDT', 'SMSW', 'STR', 'MOV_R_CS', 'PUSH_CS', 'MOV_R_SS', 'PUSH_SS'])('%s diverges, patched does not', (m) => {
    const r = demoIsa(isa, analysis, { instruction: m });
    const d = r.offenders[0]!;
    expect(d.mnemonic).toBe(m);
    expect(d.status).toBe('diverges');
    expect(d.divergence!.step).toBe(1);
    expect(d.divergence!.differs.length).toBeGreaterThan(0);
    expect(d.patched!.divergence).toBeUndefined();
  });

  test('POPF: the interrupt flag in words', () => {
    const r = demoIsa(isa, analysis, { instruction: 'popf' });
    const text = renderDemoText(r);
    expect(text).toMatch(/EFLAGS\.IF: bare machine 0x\d, under the monitor 0x\d/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('every offender gets a demonstration, most of them diverging', () => {
    const r = demoIsa(isa, analysis);
    expect(r.offenders.map((o) => o.mnemonic)).toEqual(analysis.theorem1.offenders.map((o) => o.mnemonic));
    for (const o of r.offenders) expect(o.status, o.mnemonic).not.toBe('error');
    const diverging = r.offenders.filter((o) => o.status === 'diverges');
    expect(diverging.length).toBeGreaterThanOrEqual(r.offenders.length * 0.6);
  });

  test('an instruction that is privileged is not an offender', () => {
    const r = demoIsa(isa, analysis, { instruction: 'LGDT' });
    expect(r.notFound).toMatch(/does not break Theorem 1/);
  });
});
