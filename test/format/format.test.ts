// The formatter: canonical output, idempotence, comments kept, and meaning unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSpec, printExpr } from '../../src/ir/format.js';
import { parseText } from '../../src/syntax/parse.js';
import { parseIsaText } from '../../src/ir/load.js';
import { IsaLexer } from '../../src/syntax/tokens.js';
import type { AstExpr, AstBinOp } from '../../src/syntax/ast.js';

const root = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');
const library = readdirSync(new URL('isas/', root))
  .filter((f) => f.endsWith('.isa'))
  .map((f) => `isas/${f}`);
const samples = [...library, 'test/format/fixtures/messy.isa'];

function format(text: string, file = 'x.isa'): string {
  const r = formatSpec(text, file);
  if (!r.ok) throw new Error(`does not parse: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.text;
}

/** Drop every span (and the paren nodes the printer may add or keep) so trees compare by shape. */
function shape(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(shape);
  if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (o.k === 'paren') return shape(o.a);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (k !== 'span') out[k] = shape(v);
    return out;
  }
  return typeof x === 'bigint' ? x.toString() : x;
}

describe('formatSpec', () => {
  it('isas/pg.isa, the worked example, is already canonical', () => {
    expect(format(read('isas/pg.isa'), 'isas/pg.isa')).toBe(read('isas/pg.isa'));
  });

  it.each(samples)('is idempotent on %s', (file) => {
    const once = format(read(file), file);
    expect(format(once, file)).toBe(once);
  });

  it('lays out a messy spec canonically', () => {
    expect(format(read('test/format/fixtures/messy.isa'))).toBe(read('test/format/fixtures/messy.formatted.isa'));
  });

  it.each(samples)('keeps every comment of %s, in order', (file) => {
    const text = read(file);
    const comments = (t: string) => (IsaLexer.tokenize(t).groups['comments'] ?? []).map((c) => c.image.trimEnd());
    expect(comments(format(text, file))).toEqual(comments(text));
  });

  it.each(samples)('does not change the AST of %s', (file) => {
    const text = read(file);
    const before = parseText(text, 'f.isa');
    const after = parseText(format(text, file), 'f.isa');
    expect(after.diagnostics).toEqual([]);
    expect(shape(after.ast)).toEqual(shape(before.ast));
  });

  it.each(library)('does not change the IR of %s', (file) => {
    const text = read(file);
    const path = new URL(file, root).pathname;
    const before = parseIsaText(text, path);
    const after = parseIsaText(format(text, file), path);
    expect(before.ok && after.ok).toBe(true);
    if (before.ok && after.ok) expect(shape(after.isa)).toEqual(shape(before.isa));
  });

  it("keeps explicit parentheses and the author's number bases", () => {
    const out = format('isa t;\nassume a : ((0b1010 + 0x0F)) * 7 == 0;\n');
    expect(out).toBe('isa t;\n\nassume a : ((0b1010 + 0x0F)) * 7 == 0;\n');
  });

  it('gives diagnostics, not output, for a spec that does not parse', () => {
    const r = formatSpec('isa t;\nregister A : ;\n', 'bad.isa');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.diagnostics[0]!.span).toMatchObject({ file: 'bad.isa', line: 2 });
  });
});

// The printer's precedence table against the parser: print a random tree, parse it back, same tree.
const binOps: AstBinOp[] = ['||', '&&', '|', '^', '&', '==', '!=', '<', '<=', '>', '>=', '++', '<<', '>>', '>>>', '+', '-', '*', '/', '%'];
const S = { file: 'p.isa', line: 1, col: 1, endLine: 1, endCol: 1 };
const exprArb: fc.Arbitrary<AstExpr> = fc.letrec<{ e: AstExpr }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', 'c').map((n): AstExpr => ({ k: 'name', name: { text: n, span: S }, span: S })),
    fc.nat(300).map((v): AstExpr => ({ k: 'num', lit: { value: BigInt(v), text: String(v), span: S }, span: S })),
    fc.tuple(fc.constantFrom<'-' | '~' | '!'>('-', '~', '!'), tie('e')).map(([op, a]): AstExpr => ({ k: 'unary', op, a, span: S })),
    fc.tuple(fc.constantFrom(...binOps), tie('e'), tie('e')).map(([op, a, b]): AstExpr => ({ k: 'binary', op, a, b, span: S })),
    fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, t, e]): AstExpr => ({ k: 'cond', cond: c, then: t, else: e, span: S })),
    fc.tuple(tie('e'), tie('e')).map(([a, i]): AstExpr => ({ k: 'index', base: a, index: i, span: S })),
  ),
})).e;

describe('printExpr', () => {
  it('adds exactly the parentheses the parser needs to read the same tree back', () => {
    fc.assert(
      fc.property(exprArb, (e) => {
        const r = parseText(`isa p;\nassume x : ${printExpr(e)};\n`, 'p.isa');
        expect(r.diagnostics).toEqual([]);
        const decl = r.ast!.decls[0]!;
        if (decl.k !== 'assume') throw new Error('expected an assume');
        expect(shape(decl.holds)).toEqual(shape(e));
      }),
      { numRuns: 300 },
    );
  });
});

describe('layout independence', () => {
  it.each(library)('%s: any spacing of the same tokens formats to the same text', (file) => {
    const tokens = IsaLexer.tokenize(read(file)).tokens.map((t) => t.image);
    // One whitespace run between tokens never makes a blank line, so the author's blank lines
    // (which the formatter keeps) are absent from every variant alike.
    const expected = format(tokens.join(' '));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(' ', '\n', '\t', '   ', ' \n  '), { minLength: tokens.length, maxLength: tokens.length }), (gaps) => {
        const text = tokens.map((t, i) => t + gaps[i]).join('');
        expect(format(text)).toBe(expected);
      }),
      { numRuns: 20 },
    );
  });
});
