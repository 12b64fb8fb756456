// The evidence model every format renders: values in their natural width, registers split into the
// fields that differ, operands by name, the one-line reason built from the witness, and the three
// renderers (text, Markdown, HTML) escaping what comes from a spec.
import { describe, expect, it } from 'vitest';
import type { Witness } from '../../src/analysis/types.js';
import {
  StateModel,
  formatNumber,
  plain,
  reasonRich,
  richHtml,
  richMarkdown,
  richText,
  witnessLines,
  witnessTable,
  witnessView,
} from '../../src/report/evidence.js';
import { exact, exactIsa } from './fixtures/exact.js';
import { mini86 } from './fixtures/mini86.js';

const model = new StateModel(exactIsa);

describe('numbers', () => {
  it('print in the natural width and base of their element', () => {
    expect(formatNumber(1n, 1)).toBe('1');
    expect(formatNumber(3n, 2)).toBe('3');
    expect(formatNumber(0x10n, 16)).toBe('0x0010');
    expect(formatNumber(0xdeadbeefn, 32)).toBe('0xdeadbeef');
    expect(formatNumber(5n, 36)).toBe('0x000000005');
    expect(formatNumber(0x10n, undefined)).toBe('0x10');
  });
});

describe('witness view', () => {
  const getmode = exact.instructions[1]!;
  const w = (getmode.modeSensitive.evidence as { witness: Witness }).witness;

  it('keeps only what differs, splits a register into the fields that differ, counts the rest', () => {
    const v = witnessView(w, model);
    expect(v.columns).toEqual(['mode supervisor', 'mode user']);
    // PSW 0x80000001 vs 0x00000001: only the mode bit M differs.
    expect(v.inputs).toEqual([{ element: 'PSW.M', cells: ['1', '0'], keys: [false, false] }]);
    expect(v.results).toEqual([{ element: 'r[2]', cells: ['0x00000001', '0x00000000'], keys: [true, true] }]);
    // BASE and r[3] are equal and not results; r[2] is a result.
    expect(v.othersEqual).toBe(2);
    expect(v.operands).toEqual([{ name: 'rd', value: '2', register: 'sp' }]);
  });

  it('without a spec, shows every differing element as the analysis gave it', () => {
    const v = witnessView(w, new StateModel());
    expect(v.inputs).toEqual([{ element: 'PSW', cells: ['0x80000001', '0x1'], keys: [false, false] }]);
    expect(v.operands).toEqual([{ name: 'rd', value: '2' }]);
  });

  it('labels a monitor pair virtual and real', () => {
    const lines = witnessLines(witnessView(w, model, ['virtual', 'real'])).map(plain);
    expect(lines).toContain('result r[2] 0x00000001 (virtual) vs 0x00000000 (real)');
    expect(lines).toContain('ends: no trap (virtual), no trap (real)');
  });

  it('a one-state witness: before and after, the new value the key', () => {
    const popf = mini86.instructions[1]!;
    const cw = (popf.controlSensitive.evidence as { witness: Witness }).witness;
    const t = witnessTable(witnessView(cw, new StateModel()));
    expect(t.head).toEqual(['element', 'before', 'after']);
    expect(t.rows[0]!.cells.map(plain)).toEqual(['FLAGS.IF', '0x1', '0x0']);
    expect(t.rows[0]!.cells[2]![0]!.t).toBe('key');
    expect(t.note).toContain('in a kernel-mode state; no trap');
  });
});

describe('long witnesses', () => {
  it('show six results, registers first and memory by address, and count the rest', () => {
    const values = (v: number) => Object.fromEntries([...Array(10).keys()].map((i) => [`S[0x${(0x20 - i).toString(16)}]`, `0x${v}`]));
    const w: Witness = {
      operands: {},
      states: [
        { mode: 'supervisor', values: { PSW: '0x80000000' } },
        { mode: 'user', values: { PSW: '0x0' } },
      ],
      outcomes: [
        { kind: 'done', values: { ...values(1), 'r[1]': '0x1' } },
        { kind: 'done', values: { ...values(2), 'r[1]': '0x2' } },
      ],
      differs: [],
      replayed: true,
    };
    const lines = witnessLines(witnessView(w, model)).map(plain);
    const results = lines.filter((l) => l.startsWith('result '));
    expect(results).toHaveLength(6);
    expect(results[0]).toMatch(/^result r\[1\] /);
    expect(results.slice(1).map((l) => l.split(' ')[1])).toEqual(['S[0x17]', 'S[0x18]', 'S[0x19]', 'S[0x1a]', 'S[0x1b]']);
    expect(lines).toContain('and 5 more results differ');
  });
});

describe('relevant elements', () => {
  it('a one-state witness shows the values the instance reads, when the analysis names them', () => {
    const w: Witness & { relevant: string[] } = {
      operands: { rd: '0x1', n: '0x0' },
      states: [{ mode: 'user', values: { PSW: '0x00000002', BASE: '0x1234', 'r[1]': '0x0', 'r[3]': '0x7' } }],
      outcomes: [{ kind: 'done', values: { 'r[1]': '0x1234' } }],
      differs: [],
      replayed: true,
      relevant: ['BASE', 'PSW.CC', 'r[1]'],
    };
    const lines = witnessLines(witnessView(w, model)).map(plain);
    expect(lines).toContain('given BASE = 0x1234 and PSW.CC = 2');
    expect(lines).toContain('changes r[1] 0x00000000 → 0x00001234');
    // PSW and r[3] are neither read nor changed.
    expect(lines).toContain('all other state as given (2 more elements)');
    const t = witnessTable(witnessView(w, model));
    expect(t.rows.map((r) => r.cells.map(plain))).toEqual([
      ['BASE', '0x1234', ''],
      ['PSW.CC', '2', ''],
      ['r[1]', '0x00000000', '0x00001234'],
    ]);
  });
});

describe('location witnesses', () => {
  it('show only differences the instruction reads, and name only control state as the cause', () => {
    const w: Witness & { relevant: string[] } = {
      operands: { rd: '0x1', n: '0x1' },
      states: [
        { mode: 'user', values: { PSW: '0x1', BASE: '0x1000', 'r[1]': '0x0', 'E[0x10]': '0x5' } },
        { mode: 'user', values: { PSW: '0x2', BASE: '0x2000', 'r[1]': '0x0', 'E[0x20]': '0x0' } },
      ],
      outcomes: [
        { kind: 'done', values: { 'r[1]': '0x1000' } },
        { kind: 'done', values: { 'r[1]': '0x2000' } },
      ],
      differs: [],
      replayed: true,
      relevant: ['PSW', 'BASE', 'r[1]'],
    };
    const v = witnessView(w, model);
    expect(v.inputs.map((r) => r.element)).toEqual(['PSW.CC', 'BASE']);
    expect(witnessLines(v).map(plain)).toContain('nothing else the instruction reads differs, apart from 2 elements it does not read');
    const c = structuredClone(exact.instructions[2]!);
    c.locationSensitive = { value: 'yes', evidence: { k: 'witness', text: 'reads BASE', witness: w } };
    // PSW.CC is plain state: BASE alone is what the monitor owns.
    expect(plain(reasonRich(c, model, 'user'))).toMatch(/^in user r\[1\] depends on BASE, which is control state;/);
  });
});

describe('runs that differ in how they end', () => {
  it('show the ending, not a pseudo-element, and say it in the reason', () => {
    const w: Witness = {
      operands: { rd: '0x0' },
      states: [
        { mode: 'user', values: { PSW: '0x0', BASE: '0x0' } },
        { mode: 'supervisor', values: { PSW: '0x80000000', BASE: '0x0' } },
      ],
      outcomes: [
        { kind: 'trap', trap: 'priv', values: { outcome: 'trap priv (privilege)' } },
        { kind: 'done', values: { outcome: 'completes' } },
      ],
      differs: ['outcome: trap priv (privilege) vs completes'],
      replayed: true,
    };
    const v = witnessView(w, model);
    expect(v.results).toEqual([]);
    expect(v.endings).toEqual(['traps priv', 'no trap']);
    const c = structuredClone(exact.instructions[1]!);
    c.modeSensitive = { value: 'yes', evidence: { k: 'witness', text: 'traps in user only', witness: w } };
    c.privileged = { value: 'yes', evidence: { k: 'proof', text: 'traps in every user state', query: 'unsat', ms: 1 } };
    expect(plain(reasonRich(c, model, 'user'))).toBe('in user it traps priv, in supervisor it completes; privileged: it traps in every user state');
  });
});

describe('reason in words', () => {
  it('tells a mode witness from the guest side and says whether it traps', () => {
    expect(plain(reasonRich(exact.instructions[1]!, model, 'user'))).toBe(
      'in user r[2] stays 0x00000000 (in supervisor it becomes 0x00000001); not privileged',
    );
  });

  it('names the control state a location witness depends on, and a split', () => {
    expect(plain(reasonRich(exact.instructions[2]!, model, 'user'))).toBe(
      'in supervisor r[1] depends on BASE, which is control state; does not always trap — privileged where n != 0; innocuous where n == 0',
    );
  });

  it('never passes on an analysis sentence that was cut short', () => {
    const c = structuredClone(mini86.instructions[5]!);
    c.reason = 'VERW: traps only when a && b && (c…';
    expect(plain(reasonRich(c, new StateModel(), 'user'))).not.toContain('…');
  });
});

describe('renderers', () => {
  const hostile = [
    { t: 'text' as const, s: 'a <b> & *c* | ' },
    { t: 'name' as const, s: 'x|y`z' },
    { t: 'key' as const, s: '<script>' },
  ];

  it('text colours only what the paint says', () => {
    expect(richText(hostile)).toBe('a <b> & *c* | x|y`z<script>');
    expect(richText(hostile, { name: (s) => `[${s}]`, value: (s) => s, key: (s) => `{${s}}` })).toBe('a <b> & *c* | [x|y`z]{<script>}');
  });

  it('Markdown escapes markup and, in a table, pipes even inside code; the key is bold', () => {
    expect(richMarkdown(hostile)).toBe('a \\<b\\> & \\*c\\* \\| `` x|y`z ``**`<script>`**');
    expect(richMarkdown(hostile, true)).toContain('`` x\\|y`z ``');
  });

  it('HTML escapes everything; the key is <strong class="key">', () => {
    expect(richHtml(hostile)).toBe('a &lt;b&gt; &amp; *c* | <code>x|y`z</code><strong class="key"><code>&lt;script&gt;</code></strong>');
  });
});
