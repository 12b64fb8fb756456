// The ISA library as users first meet it: every spec loads, is in canonical form, says in its
// header what it models, and every guest program beside it assembles against it.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import { formatSpec } from '../../src/ir/format.js';
import { assemble } from '../../src/asm/index.js';

const isas = fileURLToPath(new URL('../../isas/', import.meta.url));
const specs = readdirSync(isas)
  .filter((f) => f.endsWith('.isa'))
  .sort();

describe.each(specs)('isas/%s', (file) => {
  const path = isas + file;
  const text = readFileSync(path, 'utf8');

  it('loads without diagnostics', () => {
    const r = loadIsaFile(path);
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('is in canonical form (isavirt fmt --check passes)', () => {
    const r = formatSpec(text, path);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.text).toBe(text);
  });

  it('says in its header what is modelled and what is left out, with sources', () => {
    const r = loadIsaFile(path);
    if (!r.ok) throw new Error('does not load');
    const doc = r.isa.doc ?? '';
    expect(doc.length).toBeGreaterThan(200);
    expect(doc).toMatch(/left out|not modelled|simplification/i);
    // Every spec cites a manual or paper for its facts.
    expect(text).toMatch(/\b(19|20)\d\d\b|manual|section|SDM|PRM|specification|version \d/i);
  });

  const dir = isas + file.replace(/\.isa$/, '');
  const programs = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.s'))
        .sort()
    : [];
  it.runIf(programs.length > 0).each(programs)('guest program %s assembles', (prog) => {
    const r = loadIsaFile(path);
    if (!r.ok) throw new Error('does not load');
    const src = readFileSync(`${dir}/${prog}`, 'utf8');
    const a = assemble(r.isa, src, `${dir}/${prog}`);
    expect(a.ok ? [] : a.diagnostics).toEqual([]);
    // The header says what the program shows.
    expect(src.split('\n')[0]).toMatch(/^\s*[;#]/);
  });
});

it('every non-virtualizable spec in the library comes with a guest program', () => {
  for (const s of ['x86-386', 'pdp10', 'm68000', 'armv7']) {
    expect(existsSync(isas + s), s).toBe(true);
    expect(
      readdirSync(isas + s).some((f) => f.endsWith('.s')),
      s,
    ).toBe(true);
  }
});
