import type { IsaAnalysis } from '../../src/analysis/types.js';
// Issue: "isavirt demo shows a divergence for every offending instruction of every non-virtualizable
// spec, and --monitor patched removes it". The 386 is covered in test/demo; the other machines here.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import { analyzeIsa } from '../../src/analysis/index.js';
import { demoIsa } from '../../src/demo/index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

// A guest that halts without trapping takes the processor from the monitor (control
// sensitivity), but one guest's own state cannot show it: the bare machine halts alike. Such an
// offender is checked to halt, not to diverge.
const haltsDirectly = (a: IsaAnalysis, m: string) => {
  const v = a.instructions.find((c) => c.mnemonic === m)?.breaksMonitor;
  return v?.evidence.k === 'witness' && v.evidence.witness.outcomes.some((o) => o.kind === 'halt');
};

describe.each(['pdp10', 'm68000', 'armv7'])('isavirt demo isas/%s.isa', (name) => {
  it('every offender of the exact monitor diverges under the trap monitor and not when patched', async () => {
    const r = loadIsaFile(`${root}isas/${name}.isa`);
    if (!r.ok) throw new Error(`${name} does not load`);
    const analysis = await analyzeIsa(r.isa);
    const offenders = analysis.trapAndEmulate.offenders.map((o) => o.mnemonic).sort();
    expect(offenders.length).toBeGreaterThan(0);
    const demo = demoIsa(r.isa, analysis);
    expect(demo.offenders.map((d) => d.mnemonic).sort()).toEqual(offenders);
    for (const d of demo.offenders) {
      if (haltsDirectly(analysis, d.mnemonic)) continue;
      expect(d.status, `${d.mnemonic}: ${d.message}`).toBe('diverges');
      expect(d.divergence, d.mnemonic).toBeDefined();
      expect(d.patched?.sites, d.mnemonic).toBeGreaterThanOrEqual(1);
      expect(d.patched?.divergence, `${d.mnemonic} patched`).toBeUndefined();
    }
  });
});
