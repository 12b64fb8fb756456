// The terminal report: verdicts first, each offender once with a reason in words, the table and the
// evidence only with --verbose; wrapped to the width, never cut short.
import { describe, expect, it } from 'vitest';
import type { IsaAnalysis } from '../../src/analysis/types.js';
import { renderExplainText, renderSummary, renderText, wrapText } from '../../src/report/text.js';
import { exact, exactIsa } from './fixtures/exact.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, '');
const lines = (s: string) => s.trimEnd().split('\n');

function longLines(text: string, width = 80): string[] {
  return text.split('\n').filter((l) => visible(l).length > width);
}

describe('renderText: top-down', () => {
  const t = renderText(mini86);

  it('starts with the ISA, then one line per theorem with its verdict', () => {
    const L = lines(t);
    expect(L[0]).toMatch(/^ISA mini86 \(test\/report\/fixtures\/mini86\.isa\): 6 instructions; guest mode user/);
    const first = L.findIndex((l) => l.includes('Theorem 1'));
    expect(L[first]).toBe('  Theorem 1 (sensitive ⊆ privileged): FAILS — 2 offenders, 1 undecided');
    expect(L[first + 1]).toBe('  Theorem 2 (recursive: Theorem 1, no clock): FAILS — 3 offenders, 1 undecided');
    expect(L[first + 2]).toMatch(/^ {2}Theorem 3 \(user-sensitive ⊆ privileged\): FAILS/);
    // Nothing before the verdicts but the header.
    expect(first).toBeLessThanOrEqual(2);
  });

  it('lists each offender exactly once, with the theorems it breaks and a reason in words', () => {
    const L = lines(t);
    for (const m of ['POPF', 'SGDT', 'RDTSC'])
      expect(
        L.filter((l) => new RegExp(`^  ${m}\\b`).test(l)),
        m,
      ).toHaveLength(1);
    const flat = t.replace(/\s+/g, ' ');
    expect(flat).toContain(' POPF T1 T2 T3 M H in user FLAGS.IF stays 0x1 (in kernel it becomes 0x0); not privileged ');
    expect(flat).toContain(' SGDT T1 T2 T3 M H in user r[0] depends on GDTR, which is control state; not privileged ');
    expect(flat).toContain(' RDTSC T2 reads the clock TSC, so a guest can time the monitor ');
    expect(t).toContain('Undecided (verdict unknown, never guessed): VERW');
    expect(t).toContain('cannot host a trap-and-emulate monitor');
  });

  it('keeps the classification table and the evidence for --verbose', () => {
    expect(t).not.toContain('Classification');
    expect(t).not.toMatch(/^MOV\s/m);
    expect(t).toContain('--verbose');
    const v = renderText(mini86, { verbose: true });
    const row = (m: string) =>
      v
        .split('\n')
        .find((l) => l.startsWith(m + ' '))!
        .split(/\s+/);
    expect(row('POPF').slice(0, 7)).toEqual(['POPF', 'no', 'yes', 'yes', 'no', 'yes', '80:1']);
    expect(row('CLI').slice(0, 6)).toEqual(['CLI', 'cond', 'yes', 'no', 'no', 'no']);
    expect(row('VERW').slice(7).join(' ')).toBe('unknown');
    expect(v).toContain('Evidence');
    expect(v).toMatch(/result FLAGS\.IF 0x0 \(mode kernel\) vs 0x1 \(mode user\)/);
    expect(longLines(v)).toEqual([]);
  });

  it('is never cut short: no "…", every line within the width, whatever the width', () => {
    const long: IsaAnalysis = structuredClone(mini86);
    long.instructions[1]!.mnemonic = 'POPF_WITH_A_VERY_LONG_MNEMONIC_NAME';
    long.theorem1.offenders[0]!.mnemonic = 'POPF_WITH_A_VERY_LONG_MNEMONIC_NAME';
    long.errors = ['x'.repeat(200)];
    long.assumptions[0]!.text = 'FLAGS.IOPL < 3 && '.repeat(10) + 'true';
    for (const width of [40, 60, 80, 120]) {
      for (const a of [mini86, pgLike, long, exact]) {
        for (const verbose of [false, true]) {
          const out = renderText(a, { width, verbose, color: true });
          expect(longLines(out, width), `${a.isa} at ${width}`).toEqual([]);
          expect(out).not.toContain('…');
        }
      }
    }
    // The long assumption is there in full, wrapped.
    expect(renderText(long).replace(/\s+/g, ' ')).toContain('FLAGS.IOPL < 3 && '.repeat(10) + 'true');
  });

  it('has no colour unless asked; with colour the deciding value is highlighted', () => {
    expect(renderText(mini86)).not.toMatch(ANSI);
    const c = renderText(mini86, { color: true });
    expect(c).toMatch(ANSI);
    expect(visible(c)).toBe(renderText(mini86));
    // POPF's line: the value it sets in kernel mode is bold yellow, the names are plain.
    expect(c).toContain('\u001b[1m\u001b[33m0x0\u001b[39m\u001b[22m');
  });

  it('says where Theorem 1 holds and there are no offenders', () => {
    const pg = renderText(pgLike);
    expect(pg).toMatch(/Theorem 1 \(sensitive ⊆ privileged\): holds/);
    expect(pg).not.toContain('Offenders');
    expect(pg).toContain('pg can host a trap-and-emulate monitor');
  });

  it('lists claim findings with file:line:col and shows analysis errors loudly', () => {
    expect(t).toContain('test/report/fixtures/mini86.isa:102:10 SGDT claims innocuous; derived:');
    expect(t).toContain('claimed innocuous, but SGDT is location-sensitive');
    const broken = renderText({ ...mini86, errors: ['POPF: mode-sensitivity witness did not replay (FLAGS.IF 0x0 vs 0x0)'] });
    expect(broken).toContain('!! ANALYSIS ERRORS (1)');
    expect(broken).toContain('!!   POPF: mode-sensitivity witness did not replay');
  });
});

describe('renderText: the exact monitor verdicts and instance splits', () => {
  const t = renderText(exact, { isa: exactIsa });

  it('follows the theorem lines with the exact verdicts and the note', () => {
    const L = lines(t);
    const i = L.findIndex((l) => l.includes('Theorem 3'));
    expect(L[i + 1]).toBe('  a trap-and-emulate monitor exists: no — 1 instruction breaks it');
    expect(L[i + 2]).toBe('  a hybrid monitor exists: yes');
    expect(L[i + 3]).toContain('Theorem 3 fails on CSRR as a whole, but its sensitive instances (n != 0)');
    expect(t.replace(/\s+/g, ' ')).toContain('T1-T3: the theorems it breaks; M: the trap-and-emulate monitor, H: the hybrid monitor');
  });

  it('shows a split instruction with its split, and marks what breaks the monitor', () => {
    expect(t.replace(/\s+/g, ' ')).toContain('— privileged where n != 0; innocuous where n == 0');
    expect(t).toMatch(/^ {2}GETMODE +T1 T2 M +in user r\[2\] stays 0x00000000/m);
    expect(t).toMatch(/^ {2}CSRR +T1 T2 T3 +/m);
    expect(t).toContain('cannot host a trap-and-emulate monitor: GETMODE break');
  });

  it('prints values in their natural width and fields by name, operands by name and register', () => {
    const e = renderExplainText(exact, exact.instructions[1]!, { isa: exactIsa });
    expect(e).toContain('instance: rd = 2 (sp)');
    // PSW differs only in its mode bit M: shown as the field, one bit as 0/1.
    expect(e).toContain('given PSW.M 1 (mode supervisor) vs 0 (mode user)');
    expect(e).toContain('result r[2] 0x00000001 (mode supervisor) vs 0x00000000 (mode user)');
    expect(e).toContain('all other state equal (2 more elements)');
    expect(e).toContain('breaks the trap-and-emulate monitor: yes');
    expect(e).toContain('breaks: T1, T2, M');
    const csrr = renderExplainText(exact, exact.instructions[2]!, { isa: exactIsa });
    expect(csrr).toContain('instance: rd = 1 (ra) and n = 0x1');
    expect(csrr).toContain('given BASE 0x1000 (state A) vs 0x2000 (state B)');
    expect(csrr).toContain('instances: privileged where n != 0; innocuous where n == 0');
  });
});

describe('renderSummary', () => {
  it('prints one line per ISA with the three theorems and the offender count', () => {
    const s = renderSummary([pgLike, mini86]).split('\n');
    expect(s.find((l) => l.includes('pg '))).toMatch(/pg\s+T1 holds\s+T2 holds\s+T3 holds\s+0 offenders/);
    expect(s.find((l) => l.includes('mini86'))).toMatch(/mini86\s+T1 fails\s+T2 fails\s+T3 fails\s+3 offenders, 1 unknown/);
    expect(longLines(renderSummary([pgLike, mini86]))).toEqual([]);
  });

  it('accounts for specs that did not load', () => {
    expect(renderSummary([pgLike], { failed: ['isas/bad.isa'] })).toContain('bad spec: isas/bad.isa');
  });
});

describe('wrapText', () => {
  it('never exceeds the width and keeps every word', () => {
    const text = 'alpha beta gamma delta epsilon zeta eta theta iota kappa averyveryverylongword';
    for (const w of [5, 10, 17, 80]) {
      const lines = wrapText(text, w);
      expect(lines.every((l) => l.length <= w)).toBe(true);
      expect(lines.join(' ').replace(/ /g, '')).toBe(text.replace(/ /g, ''));
    }
  });
});
