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

  // Every instruction that breaks Theorem 1 shows the monitor's guest a different machine, and
  // patching it away restores the bare machine's result: Robin and Irvine's whole list.
  test('every offender diverges under the monitor and not when patched', () => {
    const r = demoIsa(isa, analysis);
    const offenders = analysis.theorem1.offenders.map((o) => o.mnemonic);
    expect(offenders.length).toBeGreaterThanOrEqual(25);
    expect(r.offenders.map((o) => o.mnemonic)).toEqual(offenders);
    for (const d of r.offenders) {
      expect(d.status, `${d.mnemonic}: ${d.message}`).toBe('diverges');
      expect(d.divergence!.differs.length + (d.divergence!.outcomes ? 1 : 0), d.mnemonic).toBeGreaterThan(0);
      expect(d.patched, d.mnemonic).toBeDefined();
      expect(d.patched!.sites, d.mnemonic).toBeGreaterThanOrEqual(1);
      expect(d.patched!.divergence, `${d.mnemonic} patched: ${JSON.stringify(d.patched!.divergence)}`).toBeUndefined();
    }
    for (const line of renderDemoText(r).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('the same result on a second run (deterministic)', () => {
    const strip = (r: ReturnType<typeof demoIsa>) => r.offenders.map((o) => [o.mnemonic, o.construction, o.divergence?.step, o.divergence?.differs]);
    expect(strip(demoIsa(isa, analysis))).toEqual(strip(demoIsa(isa, analysis)));
  });

  test('POPF: the interrupt flag in words', () => {
    const r = demoIsa(isa, analysis, { instruction: 'popf' });
    const text = renderDemoText(r);
    expect(text).toMatch(/EFLAGS\.IF: bare machine 0x\d, under the monitor 0x\d/);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  test('SIDT: the monitor keeps its own IDTR in the real machine', () => {
    const d = demoIsa(isa, analysis, { instruction: 'SIDT' }).offenders[0]!;
    expect(d.status).toBe('diverges');
    expect(Object.keys(d.monitorControl)).toContain('IDTR');
  });

  test('an instruction that is privileged is not an offender', () => {
    const r = demoIsa(isa, analysis, { instruction: 'LGDT' });
    expect(r.notFound).toMatch(/does not break Theorem 1/);
  });
});
