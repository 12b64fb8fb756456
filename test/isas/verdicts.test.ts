// The ISA library's verdicts, from the literature, reproduced by the analysis from each spec's
// semantics. The expectations (with their sources, one comment per spec) live beside this file:
// expected-x86.ts (Robin & Irvine 2000; Intel SDM 3C) and expected-others.ts (Popek & Goldberg
// 1974; Motorola PRM; RISC-V privileged spec; Penneman et al. 2013).
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import { analyzeIsa } from '../../src/analysis/index.js';
import type { TheoremVerdict } from '../../src/analysis/types.js';
import { expected as x86 } from './expected-x86.js';
import { expected as others } from './expected-others.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const offenders = (t: TheoremVerdict) => t.offenders.map((o) => o.mnemonic).sort();

describe.each([...x86, ...others])('$spec', (e) => {
  it('reproduces the expected verdicts and offenders from its semantics', async () => {
    const r = loadIsaFile(root + e.spec);
    expect(r.ok, JSON.stringify(r.diagnostics.slice(0, 3))).toBe(true);
    if (!r.ok) return;
    const a = await analyzeIsa(r.isa);
    // A witness the replay did not confirm, or a verdict left unknown, would make the table moot.
    expect(a.errors).toEqual([]);
    expect(a.theorem1.undecided).toEqual([]);
    expect({ t1: a.theorem1.value, t2: a.theorem2.value, t3: a.theorem3.value }).toEqual({
      t1: e.theorem1,
      t2: e.theorem2,
      t3: e.theorem3,
    });
    expect(offenders(a.theorem1)).toEqual([...e.t1Offenders].sort());
    expect(offenders(a.theorem3)).toEqual([...e.t3Offenders].sort());
    // Theorem 1 implies the trap-and-emulate monitor, Theorem 3 the hybrid one: an instruction that
    // breaks a monitor breaks the theorem's premise, so the exact offenders are among the
    // theorem's; where an expectation is stated, the exact verdict is that one.
    expect(a.trapAndEmulate.undecided).toEqual([]);
    for (const o of a.trapAndEmulate.offenders) expect(offenders(a.theorem1)).toContain(o.mnemonic);
    for (const o of a.hybridMonitor.offenders) expect(offenders(a.theorem3)).toContain(o.mnemonic);
    if (e.trapAndEmulate) expect(offenders(a.trapAndEmulate)).toEqual([...e.trapAndEmulate].sort());
    if (e.hybridMonitor) expect(offenders(a.hybridMonitor)).toEqual([...e.hybridMonitor].sort());
    // Every breaking instance has its witness pair: the virtual state, then the real one.
    for (const o of a.trapAndEmulate.offenders) {
      expect(o.witness?.states.length, o.mnemonic).toBe(2);
      expect(o.witness?.states[1]!.mode, o.mnemonic).toBe(a.guestMode);
    }
    // Every offender comes with a reason a student can read and a replayed witness.
    for (const o of a.theorem1.offenders) {
      expect(o.reason.length).toBeGreaterThan(10);
      const c = a.instructions.find((i) => i.mnemonic === o.mnemonic)!;
      const ev = [c.controlSensitive, c.modeSensitive, c.locationSensitive].map((v) => v.evidence);
      expect(ev.some((x) => x.k === 'witness' && x.witness.replayed)).toBe(true);
    }
  });
});
