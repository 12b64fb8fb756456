// Explanations for learners: every instruction of the x86 spec, checked against the analysis.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeIsa } from '../../src/analysis/index.js';
import type { IsaAnalysis } from '../../src/analysis/types.js';
import { explainForLearner, findInstruction } from '../../src/explain/index.js';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';

function load(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.isa;
}

/** The "Verdicts" block at the end of an explanation, as name -> value. */
function verdictsOf(text: string): Record<string, string> {
  const at = text.lastIndexOf('\nVerdicts\n');
  expect(at).toBeGreaterThan(0);
  const out: Record<string, string> = {};
  for (const line of text.slice(at).split('\n').slice(2)) {
    const m = /^ {3}([a-z-]+): (.+)$/.exec(line);
    if (!m) break;
    out[m[1]!] = m[2]!;
  }
  return out;
}

describe('explain on every x86-386 instruction', () => {
  let isa: Isa;
  let analysis: IsaAnalysis;
  beforeAll(async () => {
    isa = load('isas/x86-386.isa');
    analysis = await analyzeIsa(isa);
  }, 600_000);

  it('names the instruction and states verdicts that agree with the analysis', () => {
    expect(analysis.instructions.length).toBe(isa.instructions.length);
    for (const c of analysis.instructions) {
      const found = findInstruction(isa, analysis, c.mnemonic);
      expect(found.ok).toBe(true);
      if (!found.ok) continue;
      const text = explainForLearner(isa, analysis, found.instruction, found.classification);
      expect(text.trim().length).toBeGreaterThan(200);
      expect(text.startsWith(`${c.mnemonic} in ${isa.name}`)).toBe(true);
      const v = verdictsOf(text);
      expect(v, c.mnemonic).toEqual({
        privileged: c.privileged.value,
        'control-sensitive': c.controlSensitive.value,
        'mode-sensitive': c.modeSensitive.value,
        'location-sensitive': c.locationSensitive.value,
        sensitive: c.sensitive,
        innocuous: c.innocuous,
        'user-sensitive': c.userSensitive.value,
        'timing-dependent': c.timingDependent.value,
        breaks: expect.any(String),
      });
      const offends = analysis.theorem1.offenders.some((o) => o.mnemonic === c.mnemonic);
      expect(v.breaks!.includes('Theorem 1'), c.mnemonic).toBe(offends);
      // The monitor's view matches: an offender is described as unseen by the monitor.
      const flat = text.replace(/\s+/g, ' ');
      expect(text, c.mnemonic).not.toContain('…');
      if (offends) expect(flat, c.mnemonic).toMatch(/breaks Theorem 1/);
      if (c.privileged.value === 'yes') expect(flat, c.mnemonic).toMatch(/always traps/);
      // Every witness the analysis found is shown: each element whose result it is about, with
      // the rest of the state summarised instead of listed.
      for (const ev of [c.controlSensitive.evidence, c.modeSensitive.evidence, c.locationSensitive.evidence]) {
        if (ev.k !== 'witness') continue;
        // At most six results are listed; the rest are counted.
        for (const o of ev.witness.outcomes) {
          const els = Object.keys(o.values).filter((el) => /^(0x[0-9a-f]+|\d+)$/i.test(o.values[el]!));
          if (els.length <= 6) for (const el of els) expect(flat, `${c.mnemonic} ${el}`).toContain(el);
          else expect(flat, c.mnemonic).toMatch(/more (results differ|elements change)/);
        }
        if (ev.witness.states.length === 2) expect(flat, c.mnemonic).toMatch(/All other state (equal|as given)/);
      }
    }
  });

  it('POPF breaks Theorem 1 on x86 and the text says why', () => {
    const found = findInstruction(isa, analysis, 'popf');
    expect(found.ok).toBe(true);
    if (!found.ok) return;
    expect(found.instruction.mnemonic).toBe('POPF');
    const text = explainForLearner(isa, analysis, found.instruction, found.classification);
    expect(verdictsOf(text).sensitive).toBe('yes');
    const flat = text.replace(/\s+/g, ' ');
    expect(flat).toContain('the monitor never sees it');
    // The mode witness: the mode elements that differ going in, EFLAGS.IF coming out, by field.
    expect(flat).toMatch(/Given CS\.RPL \d \(mode ring\d\) vs \d \(mode ring\d\)/);
    expect(flat).toMatch(/Result EFLAGS\.IF [01] \(mode ring\d\) vs [01] \(mode ring\d\)/);
  });

  it('highlights the deciding values only when colour is on', () => {
    const found = findInstruction(isa, analysis, 'SMSW');
    if (!found.ok) throw new Error('SMSW missing');
    const plainText = explainForLearner(isa, analysis, found.instruction, found.classification);
    expect(plainText).not.toMatch(/\u001b\[/);
    const coloured = explainForLearner(isa, analysis, found.instruction, found.classification, { color: true });
    expect(coloured).toMatch(/Result gpr\[0\] \u001b\[1m\u001b\[33m0x[0-9a-f]{8}/);
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(plainText);
  });
});

describe('isavirt explain', () => {
  it('prints the explanation of one instruction', () => {
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'explain', 'isas/pg.isa', 'lpsw'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^LPSW in pg/);
    expect(r.stdout).toContain('   privileged: yes');
    expect(r.stdout).toContain('   control-sensitive: yes');
  });

  it('suggests the closest mnemonic for a typo and exits 2', () => {
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'explain', 'isas/pg.isa', 'LPSX'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("did you mean 'LPSW'?");
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.stdout).toBe('');
  });

  it('lists the instructions when nothing is close', () => {
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'explain', 'isas/pg.isa', 'XYZZYQ'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('its instructions: LOAD, STORE');
  });
});
