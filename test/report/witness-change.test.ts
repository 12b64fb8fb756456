// A one-state witness (control sensitivity) carries the values after the run: the report shows
// the change it proves ("changes M 1 → 0"), never "changes CS.RPL 3 → 3".
import { describe, expect, it } from 'vitest';
import { analyzeIsa } from '../../src/analysis/index.js';
import { loadIsaFile } from '../../src/ir/index.js';
import { StateModel, witnessView } from '../../src/report/evidence.js';

describe('control-sensitivity witnesses', () => {
  it('every one shows an element whose value changes, as the replay saw it', async () => {
    const r = loadIsaFile('isas/pg.isa');
    if (!r.ok) throw new Error('pg.isa must load');
    const a = await analyzeIsa(r.isa);
    const model = new StateModel(r.isa);
    const witnesses = a.instructions.flatMap((c) =>
      c.controlSensitive.value === 'yes' && c.controlSensitive.evidence.k === 'witness' ? [{ m: c.mnemonic, w: c.controlSensitive.evidence.witness }] : [],
    );
    expect(witnesses.length).toBeGreaterThan(0);
    for (const { m, w } of witnesses) {
      if (w.outcomes[0]?.kind === 'halt') continue;
      const v = witnessView(w, model);
      expect(
        v.results.some((row) => row.cells[0] !== row.cells[1]),
        `${m}: ${JSON.stringify(v.results)}`,
      ).toBe(true);
    }
  }, 120_000);
});
