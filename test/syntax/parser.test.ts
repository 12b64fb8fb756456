import { describe, expect, test } from 'vitest';
import { parseText } from '../../src/syntax/parse.js';
import { getSerializedGrammar } from '../../src/syntax/parser.js';
import { readFileSync } from 'node:fs';

describe('parser', () => {
  test('several syntax errors are reported in one run', () => {
    const text = [
      'isa x;',
      'register A : 8', // missing ';'
      'register B : 8;',
      'memory E : 8 [16;', // missing ']'
      'instruction X() {',
      '  encoding 1:8;',
      '  semantics { A = ; }', // missing expression
      '}',
    ].join('\n');
    const r = parseText(text, 'm.isa');
    expect(r.ast).toBeUndefined();
    const places = r.diagnostics.map((d) => `${d.span!.line}:${d.span!.col} ${d.code}`);
    expect(places).toEqual(['3:1 ISA1011', '4:17 ISA1010', '7:19 ISA1011']);
    expect(r.diagnostics[0]!.message).toBe("expected one of ';', '{' but found 'register'");
    expect(r.diagnostics[1]!.message).toBe("expected ']' but found ';'");
    expect(r.diagnostics[2]!.message).toBe("expected an expression but found ';'");
  });

  test('an error at end of file points just past the last token', () => {
    const r = parseText('isa x;\nregister A : 8', 'e.isa');
    expect(parseText('isa x;\nfetch E at P', 'e.isa').diagnostics.map((d) => `${d.span!.line}:${d.span!.col} ${d.message}`)).toEqual([
      "2:13 expected ';' but found end of file",
    ]);
    expect(r.diagnostics.map((d) => `${d.span!.line}:${d.span!.col} ${d.code} ${d.message}`)).toEqual([
      "2:15 ISA1011 expected one of ';', '{' but found end of file",
    ]);
  });

  test('spans are 1-based with exclusive ends; doc comments attach to the next declaration only', () => {
    const r = parseText(
      'isa x;\n/// A doc.\n\n/// Not directly above: still attached (blank lines break the run).\nregister A : 8;\n// plain\nregister B : 8;\n',
      's.isa',
    );
    const [a, b] = r.ast!.decls;
    expect(a!.span).toEqual({ file: 's.isa', line: 5, col: 1, endLine: 5, endCol: 16 });
    expect(a!.doc).toBe('Not directly above: still attached (blank lines break the run).');
    expect(b!.doc).toBeUndefined();
    expect(r.comments.length).toBe(3);
  });

  test('a missing semicolon is reported right after the previous token', () => {
    const r = parseText('isa x;\nreset {\n  A = 1\n  B = 2;\n}\n', 'm.isa');
    expect(r.diagnostics.map((d) => `${d.span!.line}:${d.span!.col} ${d.message}`)).toEqual(["3:8 expected ';' but found 'B'"]);
  });

  test('hints: = for ==, a misspelt declaration word, a keyword as a name', () => {
    const eq = parseText('isa x;\nreset { if A = 1 { } }\n', 'h.isa').diagnostics[0]!;
    expect(eq.hint).toBe("to compare, write '=='");
    const decl = parseText('isa x;\ninstrucion X() { }\n', 'h.isa').diagnostics[0]!;
    expect([decl.code, decl.hint]).toEqual(['ISA1013', "did you mean 'instruction'?"]);
    const kw = parseText('isa x;\nfunction f(addr : 8) : 8 { return addr; }\n', 'h.isa').diagnostics[0]!;
    expect([kw.code, kw.span!.line, kw.span!.col, kw.hint]).toEqual(['ISA1014', 2, 12, "rename it, e.g. 'addr_'"]);
  });

  test('CRLF and lone CR line ends, and a byte-order mark, give the same places', () => {
    const lf = 'isa x;\nregister A : 8;\n/// Doc.\nregister B : 8;\n';
    for (const text of [lf, lf.replace(/\n/g, '\r\n'), lf.replace(/\n/g, '\r'), '\ufeff' + lf]) {
      const r = parseText(text, 'c.isa');
      expect(r.diagnostics).toEqual([]);
      expect(r.ast!.decls.map((d) => [d.span.line, d.span.col, d.span.endLine, d.span.endCol, d.doc])).toEqual([
        [2, 1, 2, 16, undefined],
        [4, 1, 4, 16, 'Doc.'],
      ]);
    }
  });

  test('the serialized grammar has readable rule names', () => {
    const names = getSerializedGrammar().map((r) => (r as { name: string }).name);
    for (const n of ['spec', 'declaration', 'registerDecl', 'instructionDecl', 'statement', 'expression', 'encodingItem', 'claim']) expect(names).toContain(n);
  });

  test('pg.isa parses without diagnostics', () => {
    const r = parseText(readFileSync('isas/pg.isa', 'utf8'), 'isas/pg.isa');
    expect(r.diagnostics).toEqual([]);
    expect(r.ast!.name.text).toBe('pg');
  });
});
