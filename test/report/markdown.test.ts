import { describe, expect, it } from 'vitest';
import { renderMarkdown, mdEscape } from '../../src/report/markdown.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';

describe('Markdown handout', () => {
  const md = renderMarkdown([mini86]);

  it('has headings and the classification table, one row per instruction', () => {
    expect(md).toMatch(/^# mini86: virtualization analysis$/m);
    expect(md).toMatch(/^## Classification$/m);
    expect(md).toContain('| instruction | privileged | control | mode | location | user | verdict | line |');
    expect(md).toContain('| POPF | no | yes | yes | no | yes | breaks T1, T2, T3 | 80:1 |');
    expect(md).toContain('| CLI | cond | yes | no | no | no | sensitive, cond. privileged | 110:1 |');
    const rows = md.split('\n').filter((l) => /^\| [A-Z]+ \|/.test(l) && !l.startsWith('| instruction'));
    expect(rows.map((r) => r.split('|')[1]!.trim())).toEqual(mini86.instructions.map((i) => i.mnemonic));
  });

  it('states the theorem verdicts with offenders and reasons', () => {
    expect(md).toContain('### Theorem 1 (trap-and-emulate monitor): **fails**');
    expect(md).toContain('- **POPF** (`test/report/fixtures/mini86.isa:80:1`): in user mode the write to FLAGS.IF is silently dropped; no trap');
    expect(md).toContain('**mini86 cannot host a trap-and-emulate monitor**');
    const pg = renderMarkdown([pgLike]);
    expect(pg).toContain('### Theorem 1 (trap-and-emulate monitor): holds');
    expect(pg).not.toContain('Offenders:');
  });

  it('gives evidence per sensitive instruction, witness states as tables', () => {
    expect(md).toMatch(/^### POPF$/m);
    expect(md).toMatch(/^### SGDT$/m);
    expect(md).not.toMatch(/^### MOV$/m);
    // POPF's mode-sensitivity witness: two states, two outcomes, FLAGS.IF differs.
    expect(md).toContain('| element | state 1 (kernel) | state 2 (user) | after 1 | after 2 |');
    expect(md).toContain('| `FLAGS.IF` **differs** | `0x1` | `0x1` | `0x0` | `0x1` |');
    expect(md).toContain('Operands: `rd` = `0x0`');
    expect(md).toContain('(traps when `FLAGS.IOPL < 3`)');
    expect(md).toContain('_Replayed on the reference interpreter._');
    expect(md).toContain('Reason: timeout after 10000 ms');
    expect(md).toContain('Touches: reads mode `FLAGS.CPL`; writes control `FLAGS.IF`; traps `stack_fault` (memory) when `SP >= STACK_LIMIT`.');
  });

  it('labels an outcome that trapped with the trap', () => {
    const a = structuredClone(mini86);
    const ev = a.instructions[1]!.modeSensitive.evidence;
    if (ev.k !== 'witness') throw new Error('fixture changed');
    ev.witness.outcomes[1] = { kind: 'trap', trap: 'gp_fault', values: {} };
    ev.witness.replayed = false;
    const m = renderMarkdown([a]);
    expect(m).toContain('| element | state 1 (kernel) | state 2 (user) | after 1 | after 2 (trap gp\\_fault) |');
    expect(m).toContain('**Not confirmed by replay.**');
  });

  it('shows analysis errors in a callout', () => {
    const m = renderMarkdown([{ ...mini86, errors: ['POPF: witness did not replay'] }]);
    expect(m).toContain('> **Analysis errors.**');
    expect(m).toContain('> - POPF: witness did not replay');
  });

  it('separates several ISAs and escapes table-breaking text', () => {
    const both = renderMarkdown([pgLike, mini86]);
    expect(both).toContain('\n---\n');
    expect(both).toMatch(/^# pg: virtualization analysis$/m);
    expect(mdEscape('a|b_c')).toBe('a\\|b\\_c');
  });
});
