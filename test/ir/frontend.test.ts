// The one front end (src/ir/load.ts, frontEnd): what the CLI's loaders and the language server
// both use. It keeps the AST and the specs `extends` read, gives the Isa only without errors, and
// turns a bug into a diagnostic.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { frontEnd, parseIsaText, type FileHost } from '../../src/ir/index.js';

const PG = readFileSync('isas/pg.isa', 'utf8');
const host = (files: Record<string, string>): FileHost => ({ readFile: (p) => files[p], realPath: (p) => p });

describe('frontEnd', () => {
  it('a good spec: its AST, no bases, the Isa, as parseIsaText gives it', () => {
    const fe = frontEnd(PG, 'isas/pg.isa');
    expect(fe.ast?.name.text).toBe('pg');
    expect(fe.bases).toEqual([]);
    expect(fe.isa?.name).toBe('pg');
    const loaded = parseIsaText(PG, 'isas/pg.isa');
    expect(loaded.ok && loaded.isa).toEqual(fe.isa);
  });

  it('a spec that extends another keeps the base AST read once, for the index', () => {
    const files = { '/c/base.isa': PG, '/c/child.isa': 'isa child;\nextends "base.isa";\n' };
    const fe = frontEnd(files['/c/child.isa'], '/c/child.isa', host(files));
    expect(fe.bases.map((b) => b.name.text)).toEqual(['pg']);
    expect(fe.isa?.name).toBe('child');
    expect(fe.isa?.instructions.length).toBeGreaterThan(0);
  });

  it('a spec with an error: the AST and the diagnostic, no Isa', () => {
    const fe = frontEnd(PG.replace('P = 0x0010;', 'P = NOSUCH;'), 'pg.isa');
    expect(fe.ast).toBeDefined();
    expect(fe.isa).toBeUndefined();
    expect(fe.diagnostics.some((d) => d.severity === 'error' && d.code === 'ISA2002')).toBe(true);
  });

  it('a front-end bug is a diagnostic, never an exception', () => {
    const broken: FileHost = {
      readFile: () => {
        throw new Error('the host broke');
      },
    };
    const fe = frontEnd('isa child;\nextends "base.isa";\n', '/c/child.isa', broken);
    expect(fe.isa).toBeUndefined();
    expect(fe.ast?.name.text).toBe('child');
    expect(fe.diagnostics.find((d) => d.code === 'ISA5011')?.message).toContain('the host broke');
  });
});
