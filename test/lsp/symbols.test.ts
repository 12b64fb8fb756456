// The symbol index, in-process: declarations, uses, locals, and definitions in an extended spec.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { hoverMarkdown } from '../../src/lsp/server.js';
import { buildSymbolIndex, referencesOf, symbolAt } from '../../src/lsp/symbols.js';
import { parseText } from '../../src/syntax/parse.js';

function index(text: string, file = 'a.isa', bases: { text: string; file: string }[] = []) {
  const p = parseText(text, file);
  if (!p.ast) throw new Error(JSON.stringify(p.diagnostics));
  return buildSymbolIndex(
    p.ast,
    bases.map((b) => parseText(b.text, b.file).ast!),
  );
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
    const child =
      'isa child;\nextends "base.isa";\nreplace instruction HALT() {\n  encoding 0x43:8 0:24;\n  semantics {\n    if M == 0 {\n      trap privileged_trap;\n    }\n    R = 0;\n  }\n}\n';
    const cx = index(child, 'child.isa', [base]);
    const at = symbolAt(cx, 'child.isa', 9, 5);
    expect(at?.symbol.id).toBe('register:R');
    expect(at?.symbol.span.file).toBe('base.isa');
    // The replaced instruction has two declarations: the base's and this one.
    expect(cx.byId.get('instruction:HALT')!.map((s) => s.span.file)).toEqual(['base.isa', 'child.isa']);
  });
});

describe('pseudo-instructions and trap-entry clauses', () => {
  const riscv = readFileSync('isas/riscv.isa', 'utf8');
  const ix = index(riscv, 'isas/riscv.isa');

  it('a pseudo-instruction is declared where instructions are, and its expansion names resolve to the instructions', () => {
    const li = ix.byId.get('instruction:LI')?.[0];
    expect(li?.detail).toBe('pseudo LI(rd : reg x, v : simm 32)');
    const addiUses = referencesOf(ix, 'instruction:ADDI', false);
    // NOP, LI (twice), LA, MV name ADDI in their expansions.
    expect(addiUses.length).toBe(5);
    const lines = riscv.split('\n');
    for (const u of addiUses) expect(lines[u.line - 1]!.slice(u.col - 1, u.endCol - 1)).toBe('ADDI');
    // The pseudo's operand is local to it.
    const at = addiUses[1]!;
    const v = symbolAt(ix, 'isas/riscv.isa', at.line, lines[at.line - 1]!.indexOf('v[') + 1);
    expect(v?.symbol).toMatchObject({ kind: 'operand', container: 'LI' });
  });

  it('a let inside a trap-entry clause is a local of the trap entry, and its uses resolve to it', () => {
    const m68000 = readFileSync('isas/m68000.isa', 'utf8');
    const mx = index(m68000, 'isas/m68000.isa');
    const lines = m68000.split('\n');
    const use = lines.findIndex((l) => l.includes('a[7] = sp;'));
    const at = symbolAt(mx, 'isas/m68000.isa', use + 1, lines[use]!.indexOf('sp') + 1);
    expect(at?.symbol).toMatchObject({ kind: 'local', name: 'sp', container: 'trap entry' });
  });

  it('hover says what a pseudo-instruction is instead of waiting for an analysis that never classifies it', () => {
    const li = ix.byId.get('instruction:LI')![0]!;
    const md = hoverMarkdown(li, undefined, true);
    expect(md).toContain('pseudo LI(rd : reg x, v : simm 32)');
    expect(md).toContain('a pseudo-instruction: the assembler expands it');
    expect(md).not.toContain('analysis is running');
  });
});
