// Property tests: any input returns IR or diagnostics, never throws, and finishes.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { exportIsaJson, loadIsaFile, parseIsaText, type LoadResult } from '../../src/ir/index.js';
import { IsaLexer, keywordWords } from '../../src/syntax/tokens.js';
import { MAX_DECLARATIONS, MAX_INLINED_NODES, MAX_STATE_BITS } from '../../src/ir/limits.js';
import { bigFiles, exponentialCalls, manyRegisters } from '../ir/hostile.js';

const pg = readFileSync('isas/pg.isa', 'utf8');
const noFiles = { readFile: () => undefined };

function wellFormed(r: LoadResult): void {
  if (r.ok) {
    expect(r.isa.format).toBe('isavirt-ir');
  } else {
    expect(r.diagnostics.length).toBeGreaterThan(0);
  }
  for (const d of r.diagnostics) {
    expect(d.code).toMatch(/^ISA\d{4}$/);
    // An exception caught by the loader is a front-end bug, even though the user sees a diagnostic.
    expect(d.message).not.toContain('internal error');
    expect(typeof d.message).toBe('string');
    if (d.span) {
      expect(d.span.line).toBeGreaterThanOrEqual(1);
      expect(d.span.col).toBeGreaterThanOrEqual(1);
    }
  }
}

const vocabulary = [
  ...keywordWords,
  'control-sensitive',
  'privileged',
  'innocuous',
  'next_pc',
  'trap_vector',
  'return_pc',
  'slt',
  'sdiv',
  'E',
  'M',
  'P',
  'R',
  'r',
  'V',
  'x',
  'a',
  'base',
  'bound',
  'pg',
  'LOAD',
  '0',
  '1',
  '7',
  '16',
  '64',
  '65',
  '0x1f',
  '0b101',
  '0xffffffffffffffffff',
  "'a'",
  '"s"',
  '"{x}"',
  '"LOAD {rd}"',
  ';',
  ':',
  ',',
  '.',
  '..',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '=',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '<<',
  '>>',
  '>>>',
  '+',
  '++',
  '-',
  '*',
  '/',
  '%',
  '&',
  '&&',
  '|',
  '||',
  '^',
  '~',
  '!',
  '?',
  '///',
  '//',
  '/*',
  '*/',
  '@',
];

describe('the front end never throws', () => {
  test('random token sequences', () => {
    const tokens = fc.array(fc.constantFrom(...vocabulary), { maxLength: 60 });
    fc.assert(
      fc.property(fc.boolean(), tokens, (header, ts) => {
        const text = (header ? 'isa t;\n' : '') + ts.join(' ');
        wellFormed(parseIsaText(text, 'fuzz.isa', noFiles));
      }),
      { numRuns: 1000 },
    );
  });

  // Token boundaries of pg.isa, for token-level mutations.
  const toks = IsaLexer.tokenize(pg).tokens.map((t) => [t.startOffset, t.endOffset! + 1] as const);

  type Mutation =
    | { op: 'delChar' | 'dupChar'; at: number }
    | { op: 'swapChar'; at: number; b: number }
    | { op: 'delTok' | 'dupTok'; at: number }
    | { op: 'swapTok'; at: number; b: number };

  const charIdx = fc.nat({ max: pg.length - 1 });
  const tokIdx = fc.nat({ max: toks.length - 1 });
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ op: fc.constantFrom('delChar' as const, 'dupChar' as const), at: charIdx }),
    fc.record({ op: fc.constant('swapChar' as const), at: charIdx, b: charIdx }),
    fc.record({ op: fc.constantFrom('delTok' as const, 'dupTok' as const), at: tokIdx }),
    fc.record({ op: fc.constant('swapTok' as const), at: tokIdx, b: tokIdx }),
  );

  function apply(text: string, m: Mutation): string {
    switch (m.op) {
      case 'delChar':
        return text.slice(0, m.at) + text.slice(m.at + 1);
      case 'dupChar':
        return text.slice(0, m.at) + text[m.at] + text.slice(m.at);
      case 'swapChar': {
        const [a, b] = [Math.min(m.at, m.b), Math.max(m.at, m.b)];
        if (a === b || b >= text.length) return text;
        return text.slice(0, a) + text[b] + text.slice(a + 1, b) + text[a] + text.slice(b + 1);
      }
      default: {
        // Token mutations are applied to the original text only (offsets refer to it).
        if (text !== pg) return text;
        const [s, e] = toks[m.at]!;
        if (m.op !== 'swapTok') return m.op === 'delTok' ? pg.slice(0, s) + pg.slice(e) : pg.slice(0, e) + ' ' + pg.slice(s, e) + pg.slice(e);
        const [s2, e2] = toks[m.b]!;
        if (s2 <= s) return pg;
        return pg.slice(0, s) + pg.slice(s2, e2) + pg.slice(e, s2) + pg.slice(s, e) + pg.slice(e2);
      }
    }
  }

  test('mutated pg.isa: returns IR or diagnostics; accepted IR survives the JSON round trip', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (ms) => {
        const text = ms.reduce(apply, pg);
        const r = parseIsaText(text, 'pg.isa', noFiles);
        wellFormed(r);
        if (r.ok) {
          accepted++;
          // What the checker accepts, the IR validator must accept too.
          const again = loadIsaFile('m.isa.json', { readFile: () => exportIsaJson(r.isa) });
          if (!again.ok) throw new Error(again.diagnostics.map((d) => d.message).join('\n') + '\n--- from ---\n' + text);
        }
      }),
      { numRuns: 300 },
    );
    // Some mutations (inside comments, duplicated spaces) leave a valid spec: the round trip ran.
    expect(accepted).toBeGreaterThan(0);
  });

  test('mutated pg.isa.json: returns IR or diagnostics, never throws', () => {
    const r = parseIsaText(pg, 'pg.isa', noFiles);
    if (!r.ok) throw new Error('pg.isa must load');
    const json = JSON.parse(exportIsaJson(r.isa)) as unknown;
    // Paths to every value in the document, to pick one to replace.
    const paths: (string | number)[][] = [];
    const walk = (v: unknown, p: (string | number)[]): void => {
      paths.push(p);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
    };
    walk(json, []);
    const replacement = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('0x0', 'E', 'M', 'P', 'r', 'V', 'psw', 1, 16, 32, 64, -1, {}));
    fc.assert(
      fc.property(fc.nat({ max: paths.length - 1 }), replacement, (i, value) => {
        const copy = structuredClone(json) as Record<string, unknown>;
        const p = paths[i]!;
        if (p.length === 0) return;
        let parent = copy as Record<string | number, unknown>;
        for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
        parent[p[p.length - 1]!] = value;
        const res = loadIsaFile('m.isa.json', { readFile: () => JSON.stringify(copy) });
        wellFormed(res);
        // Accepted IR must still export to the schema's form.
        if (res.ok) expect(() => exportIsaJson(res.isa)).not.toThrow();
      }),
      { numRuns: 400 },
    );
  });

  test('hostile inputs: deep nesting, huge numbers, long lines, binary', () => {
    // JSON nested far deeper than any IR.
    const deep = '{"a":'.repeat(100000) + '1' + '}'.repeat(100000);
    const res = loadIsaFile('d.isa.json', { readFile: () => deep });
    wellFormed(res);
    expect(res.diagnostics[0]!.message).toContain('nested more than 200 levels deep');

    const cases = [
      'isa t;\ninstruction X() { encoding 1:8; semantics { ' + 'if M == 0 { '.repeat(300) + '}'.repeat(300) + ' } }',
      'isa t;\ninstruction X() { encoding 1:8; semantics { P = ' + '('.repeat(500) + '1' + ')'.repeat(500) + '; } }',
      'isa t;\nregister A : ' + '9'.repeat(5000) + ';',
      'isa t;\n' + 'x'.repeat(100000),
      '\u0000\u0001\uffff\ud800',
      'isa t;\nregister A : 8;\n'.repeat(2000),
    ];
    for (const c of cases) wellFormed(parseIsaText(c, 'h.isa', noFiles));
  });

  // Generators of the inputs that found the unbounded corners of issue 14 (test/ir/hostile.ts):
  // each run must end, quickly, in IR or in the bound's own diagnostic.
  test('exponential calls: any depth and fan-out ends in IR or ISA3020', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 4 }), (n, fanout) => {
        const r = parseIsaText(exponentialCalls(n, fanout), 'e.isa', noFiles);
        wellFormed(r);
        const size = fanout === 1 ? n : (fanout ** (n + 1) - 1) / (fanout - 1);
        // Far from the bound the answer is certain; near it the count of other nodes decides.
        if (size * 4 < MAX_INLINED_NODES) expect(r.ok).toBe(true);
        if (size > MAX_INLINED_NODES) expect(r.diagnostics.map((d) => d.code)).toContain('ISA3020');
      }),
      { numRuns: 60 },
    );
  });

  test('huge declarations: many registers, wide files, huge memories end in IR or a bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 0, max: 64 }),
        (files, log2count, width, memLog2) => {
          const text = bigFiles(files, 2 ** log2count, width).replace('memory M : 8 [256];', `memory M : 8 [${2n ** BigInt(memLog2)}];`);
          const r = parseIsaText(text, 'h.isa', noFiles);
          wellFormed(r);
          const codes = r.diagnostics.map((d) => d.code);
          if (files * 2 ** log2count * width > MAX_STATE_BITS) expect(codes.some((c) => c === 'ISA3021' || c === 'ISA3006')).toBe(true);
          // The state bound stops checking before memories are looked at.
          if (memLog2 > 52 && !codes.includes('ISA3021')) expect(codes).toContain('ISA3015');
        },
      ),
      { numRuns: 80 },
    );
    wellFormed(parseIsaText(manyRegisters(MAX_DECLARATIONS + 10, 1), 'h.isa', noFiles));
  });
});
