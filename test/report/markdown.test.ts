// The Markdown report: the text report's order (verdicts, offenders once, then table and evidence),
// witnesses as tables of what differs with the deciding values in bold, and a summary mode that
// folds the details for a pull-request comment.
import { describe, expect, it } from 'vitest';
import { mdEscape, renderMarkdown } from '../../src/report/markdown.js';
import { exact, exactIsa } from './fixtures/exact.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';

describe('Markdown report', () => {
  const md = renderMarkdown([mini86]);

  it('reads top-down: verdicts, offenders, then the classification and the evidence', () => {
    const at = (s: string) => md.indexOf(s);
    expect(md).toMatch(/^# mini86: virtualization analysis$/m);
    expect(at('## Verdicts')).toBeGreaterThan(0);
    expect(at('## Verdicts')).toBeLessThan(at('## Offenders (3)'));
    expect(at('## Offenders (3)')).toBeLessThan(at('## Classification'));
    expect(at('## Classification')).toBeLessThan(at('## Evidence'));
    expect(md).toContain('- Theorem 1 (sensitive ⊆ privileged): **fails** (2 offenders, 1 undecided)');
    expect(md).toContain('**mini86 cannot host a trap-and-emulate monitor**');
  });

  it('lists each offender once in a table, the deciding value in bold', () => {
    const rows = md.split('\n').filter((l) => /^\| \*\*[A-Z]+\*\* \|/.test(l));
    expect(rows.map((r) => r.split('|')[1]!.trim())).toEqual(['**POPF**', '**SGDT**', '**RDTSC**']);
    expect(md).toContain('| **POPF** | T1 T2 T3 M H | in `user` `FLAGS.IF` stays **`0x1`** (in `kernel` it becomes **`0x0`**); not privileged |');
    expect(md).toContain('Undecided (verdict unknown, never guessed): VERW');
  });

  it('keeps one classification row per instruction', () => {
    expect(md).toContain('| instruction | privileged | control | mode | location | user | verdict | line |');
    expect(md).toContain('| POPF | no | yes | yes | no | yes | breaks T1, T2, T3 | 80:1 |');
    const rows = md.split('\n').filter((l) => /^\| [A-Z]+ \|/.test(l) && !l.startsWith('| instruction'));
    expect(rows.map((r) => r.split('|')[1]!.trim())).toEqual(mini86.instructions.map((i) => i.mnemonic));
  });

  it('shows witnesses as tables of what differs, the deciding values bold, the rest summarised', () => {
    expect(md).toMatch(/^### POPF$/m);
    expect(md).not.toMatch(/^### MOV$/m);
    // POPF's mode witness: the two modes differ in FLAGS.CPL; the result FLAGS.IF differs.
    expect(md).toContain('  | element | mode kernel | mode user |');
    expect(md).toContain('  | `FLAGS.CPL` | `0x0` | `0x3` |');
    expect(md).toContain('  | `FLAGS.IF` (result) | **`0x0`** | **`0x1`** |');
    expect(md).toContain('all other state equal (2 more elements)');
    // SGDT: the instance's operand by name.
    expect(md).toContain('instance: rd = 0');
    expect(md).toContain('Reason: timeout after 10000 ms'.replace('Reason: ', ''));
  });

  it('renders the exact verdicts, the note and a split instruction', () => {
    const e = renderMarkdown([exact], { isas: [exactIsa] });
    expect(e).toContain('- a trap-and-emulate monitor exists: **no** (1 instruction breaks it)');
    expect(e).toContain('- a hybrid monitor exists: **yes**');
    expect(e).toContain('  Theorem 3 fails on CSRR as a whole, but its sensitive instances (n != 0) all trap');
    expect(e).toContain('privileged where `n != 0`; innocuous where `n == 0`');
    expect(e).toContain('| **GETMODE** | T1 T2 M |');
    expect(e).toContain('  | `PSW.M` | `1` | `0` |');
  });

  it('summary mode folds the table and the evidence into <details>', () => {
    const s = renderMarkdown([mini86], { summary: true });
    expect(s).toContain('<details>\n<summary>Classification of all 6 instructions</summary>\n\n| instruction |');
    expect(s).toContain('<summary><b>POPF</b>: breaks T1, T2, T3</summary>');
    // Only the offenders' evidence, each in its own fold; the verdicts and offenders stay open.
    expect(s.match(/<details>/g)).toHaveLength(1 + 3);
    expect(s).not.toContain('<summary><b>CLI</b>');
    expect(s.indexOf('## Offenders')).toBeLessThan(s.indexOf('<details>'));
    expect(s.length).toBeLessThan(md.length);
    // Every <details> is closed.
    expect(s.match(/<\/details>/g)).toHaveLength(4);
  });

  it('labels an outcome that trapped with the trap and flags a witness not replayed', () => {
    const a = structuredClone(mini86);
    const ev = a.instructions[1]!.modeSensitive.evidence;
    if (ev.k !== 'witness') throw new Error('fixture changed');
    ev.witness.outcomes[1] = { kind: 'trap', trap: 'gp_fault', values: {} };
    ev.witness.replayed = false;
    const m = renderMarkdown([a]);
    expect(m).toContain('| ends | no trap | traps gp\\_fault |');
    expect(m).toContain('NOT confirmed by replay');
  });

  it('shows analysis errors in a callout, separates several ISAs, escapes table-breaking text', () => {
    const m = renderMarkdown([{ ...mini86, errors: ['POPF: witness did not replay'] }]);
    expect(m).toContain('> **Analysis errors.**');
    expect(m).toContain('> - POPF: witness did not replay');
    const both = renderMarkdown([pgLike, mini86]);
    expect(both).toContain('\n---\n');
    expect(both).toMatch(/^# pg: virtualization analysis$/m);
    expect(mdEscape('a|b_c')).toBe('a\\|b\\_c');
  });
});
