import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import { analyzeIsa } from '../../src/analysis/index.js';

const PG = fileURLToPath(new URL('../../isas/pg.isa', import.meta.url));

describe('isas/pg.isa (Popek and Goldberg 1974)', () => {
  it('satisfies Theorems 1, 2 and 3 with every verdict decided', async () => {
    const r = loadIsaFile(PG);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = await analyzeIsa(r.isa);
    expect(a.errors).toEqual([]);
    expect(a.theorem1.value).toBe('holds');
    expect(a.theorem2.value).toBe('holds');
    expect(a.theorem3.value).toBe('holds');
    for (const c of a.instructions) {
      for (const v of [c.privileged, c.controlSensitive, c.modeSensitive, c.locationSensitive, c.userSensitive, c.timingDependent]) {
        expect(v.evidence.k, `${c.mnemonic}: ${v.evidence.k}`).not.toBe('unknown');
        if (v.evidence.k === 'witness') expect(v.evidence.witness.replayed).toBe(true);
      }
      // Every sensitive instruction is privileged, proved for the user mode (an unsat answer) with a
      // supervisor-mode state where it runs, and no claim is contradicted.
      if (c.sensitive === 'yes') {
        expect(c.privileged.value).toBe('yes');
        expect(c.privileged.evidence.text).toMatch(/traps in every user-mode state where it does not memory-trap \(unsat/);
      }
      expect(c.claimFindings).toEqual([]);
    }
    const priv = a.instructions.filter((c) => c.privileged.value === 'yes').map((c) => c.mnemonic);
    expect(priv.sort()).toEqual(['GETR', 'HALT', 'LPSW', 'SETR']);
    const innocuous = a.instructions.filter((c) => c.innocuous === 'yes').map((c) => c.mnemonic);
    expect(innocuous).toContain('LOAD');
    expect(innocuous).toContain('STOREX');
    expect(a.instructions.find((c) => c.mnemonic === 'ADD')!.innocuous).toBe('yes');
    expect(a.instructions.find((c) => c.mnemonic === 'ADD')!.controlSensitive.evidence.k).toBe('syntactic');
    // The JSON form survives a round trip.
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });
});
