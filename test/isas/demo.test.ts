// Issue: "isavirt demo shows a divergence for every offending instruction of every non-virtualizable
// spec, and --monitor patched removes it". The 386 is covered in test/demo; the other machines here.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import { analyzeIsa } from '../../src/analysis/index.js';
import { demoIsa } from '../../src/demo/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

describe.each(['pdp10', 'm68000', 'armv7'])('isavirt demo isas/%s.isa', (name) => {
  it('every Theorem-1 offender diverges under the trap monitor and not when patched', async () => {
    const r = loadIsaFile(`${root}isas/${name}.isa`);
    if (!r.ok) throw new Error(`${name} does not load`);
    const analysis = await analyzeIsa(r.isa);
    const offenders = analysis.theorem1.offenders.map((o) => o.mnemonic).sort();
    expect(offenders.length).toBeGreaterThan(0);
    const demo = demoIsa(r.isa, analysis);
    expect(demo.offenders.map((d) => d.mnemonic).sort()).toEqual(offenders);
    for (const d of demo.offenders) {
      expect(d.status, `${d.mnemonic}: ${d.message}`).toBe('diverges');
      expect(d.divergence, d.mnemonic).toBeDefined();
      expect(d.patched?.sites, d.mnemonic).toBeGreaterThanOrEqual(1);
      expect(d.patched?.divergence, `${d.mnemonic} patched`).toBeUndefined();
    }
  });
});
