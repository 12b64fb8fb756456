// The symbol index, in-process: declarations, uses, locals, and definitions in an extended spec.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSymbolIndex, referencesOf, symbolAt } from '../../src/lsp/symbols.js';
import { parseText } from '../../src/syntax/parse.js';

function index(text: string, file = 'a.isa', bases: { text: string; file: string }[] = []) {
  const p = parseText(text, file);
  if (!p.ast) throw new Error(JSON.stringify(p.diagnostics));
  return buildSymbolIndex(p.ast, bases.map((b) => parseText(b.text, b.file).ast!));
}

describe('symbol index', () => {
  const pg = readFileSync('isas/pg.isa', 'utf8');
  const ix = index(pg);

  it('declares every kind of name with its role and width', () => {
    const get = (id: string) => ix.byId.get(id)?.[0];
    expect(get('register:M')).toMatchObject({ kind: 'register', role: 'mode', width: 1 });
    expect(get('field:R.bound')).toMatchObject({ kind: 'field', role: 'control', width: 16, container: 'R' });
    expect(get('file:r')).toMatchObject({ kind: 'file', role: 'plain', width: 32 });
    expect(get('memory:E')).toMatchObject({ kind: 'memory', width: 32 });
    for (const id of ['view:V', 'translation:relocate', 'trap:divide_trap', 'instruction:LPSW', 'mode:user']) expect(get(id), id).toBeDefined();
  });

  it('keeps operands and lets local to their instruction', () => {
    // Every instruction has its own `rd`; each use resolves to the one in its own declaration.
    const rdUses = ix.refs.filter((r) => r.id.endsWith(':rd'));
    const ids = new Set(rdUses.map((r) => r.id));
    expect(ids.size).toBeGreaterThan(5);
    for (const r of rdUses) {
      const decl = ix.byId.get(r.id)![0]!;
      // The use is inside the declaring instruction.
      expect(r.span.line).toBeGreaterThanOrEqual(decl.declSpan.line);
    }
  });

  it('finds the symbol at a position and its references', () => {
    const lines = pg.split('\n');
    const line = lines.findIndex((l) => l.includes('trap divide_trap;')) + 1;
    const col = lines[line - 1]!.indexOf('divide_trap') + 1;
    const at = symbolAt(ix, 'a.isa', line, col);
    expect(at?.symbol.id).toBe('trap:divide_trap');
    expect(referencesOf(ix, 'trap:divide_trap', true)).toHaveLength(2);
  });

  it('resolves names declared in the spec a file extends', () => {
    const base = { file: 'base.isa', text: pg };
    const child = 'isa child;\nextends "base.isa";\nreplace instruction HALT() {\n  encoding 0x43:8 0:24;\n  semantics {\n    if M == 0 {\n      trap privileged_trap;\n    }\n    R = 0;\n  }\n}\n';
    const cx = index(child, 'child.isa', [base]);
    const at = symbolAt(cx, 'child.isa', 9, 5);
    expect(at?.symbol.id).toBe('register:R');
    expect(at?.symbol.span.file).toBe('base.isa');
    // The replaced instruction has two declarations: the base's and this one.
    expect(cx.byId.get('instruction:HALT')!.map((s) => s.span.file)).toEqual(['base.isa', 'child.isa']);
  });
});
