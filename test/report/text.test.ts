import { describe, expect, it } from 'vitest';
import { renderText, renderSummary, wrapText } from '../../src/report/text.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';
import type { IsaAnalysis } from '../../src/analysis/types.js';

const ANSI = /\u001b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, '');

function longLines(text: string, width = 80): string[] {
  return text.split('\n').filter((l) => visible(l).length > width);
}

describe('renderText', () => {
  it('fits 80 columns, with and without colour', () => {
    for (const a of [mini86, pgLike]) {
      expect(longLines(renderText(a))).toEqual([]);
      expect(longLines(renderText(a, { color: true }))).toEqual([]);
    }
  });

  it('fits 80 columns with long mnemonics, reasons and statements', () => {
    const long: IsaAnalysis = structuredClone(mini86);
    long.instructions[1]!.mnemonic = 'POPF_WITH_A_VERY_LONG_MNEMONIC_NAME';
    long.theorem1.offenders[0]!.reason = 'POPF: ' + 'the write to FLAGS.IF is dropped '.repeat(8);
    long.theorem1.statement = 'word '.repeat(40);
    long.errors = ['x'.repeat(200)];
    expect(longLines(renderText(long))).toEqual([]);
  });

  it('has no colour unless asked', () => {
    expect(renderText(mini86)).not.toMatch(ANSI);
    expect(renderText(mini86, { color: true })).toMatch(ANSI);
    expect(visible(renderText(mini86, { color: true }))).toBe(renderText(mini86));
  });

  it('prints the header: ISA, guest mode, most privileged mode, assumptions', () => {
    const t = renderText(mini86);
    expect(t.split('\n')[0]).toBe('ISA mini86 (test/report/fixtures/mini86.isa)');
    expect(t).toContain('guest mode: user');
    expect(t).toContain('most privileged mode: kernel');
    expect(t).toContain('guest_iopl: FLAGS.IOPL < 3');
    expect(renderText(pgLike)).toContain('assumptions: none');
  });

  it('prints one table row per instruction with compact marks', () => {
    const rows = renderText(mini86).split('\n');
    const row = (m: string) => rows.find((l) => l.startsWith(m + ' '))!.split(/\s+/);
    // instruction priv ctrl mode loc user line verdict...
    expect(row('POPF').slice(0, 7)).toEqual(['POPF', 'no', 'yes', 'yes', 'no', 'yes', '80:1']);
    expect(row('POPF').slice(7).join(' ')).toBe('breaks T1, T2, T3');
    expect(row('CLI').slice(0, 6)).toEqual(['CLI', 'cond', 'yes', 'no', 'no', 'no']);
    expect(row('VERW').slice(0, 6)).toEqual(['VERW', 'no', 'no', 'no', '?', '?']);
    expect(row('VERW').slice(7).join(' ')).toBe('unknown');
    expect(row('MOV').slice(7).join(' ')).toBe('innocuous');
    expect(row('RDTSC').slice(7).join(' ')).toBe('breaks T2');
  });

  it('states the theorems with offenders, their places and reasons', () => {
    const t = renderText(mini86);
    expect(t).toMatch(/T1 Theorem 1 \(trap-and-emulate monitor\): FAILS/);
    expect(t).toContain('POPF (test/report/fixtures/mini86.isa:80:1)');
    expect(t).toContain('in user mode the write to FLAGS.IF is silently dropped; no trap');
    expect(t).toContain('undecided (verdict unknown): VERW');
    expect(t).toContain('cannot host a trap-and-emulate monitor');
    const pg = renderText(pgLike);
    expect(pg).toMatch(/Theorem 1 \(trap-and-emulate monitor\): holds/);
    expect(pg).not.toContain('offenders:');
    expect(pg).toContain('pg can host a trap-and-emulate monitor');
  });

  it('lists claim findings with file:line:col', () => {
    const t = renderText(mini86);
    expect(t).toContain('test/report/fixtures/mini86.isa:102:10 SGDT claims innocuous; derived:');
    expect(t).toContain('claimed innocuous, but SGDT is location-sensitive');
    expect(renderText(pgLike)).not.toContain('Claim findings');
  });

  it('shows analysis errors loudly', () => {
    const broken = { ...mini86, errors: ['POPF: mode-sensitivity witness did not replay (FLAGS.IF 0x0 vs 0x0)'] };
    const t = renderText(broken);
    expect(t).toContain('!! ANALYSIS ERRORS (1)');
    expect(t).toContain('!!   POPF: mode-sensitivity witness did not replay');
    expect(renderText(mini86)).not.toContain('ANALYSIS ERRORS');
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
