import { describe, expect, test } from 'vitest';
import { loadIsaFile } from '../../src/ir/index.js';
import { at, memHost, spec } from './helpers.js';

const base = spec({
  header: '/// Base doc.\nisa base;',
  extra: 'register Q : 8;\nfunction f(x : 8) : 8 { return x; }',
  instructions: 'instruction A() {\n  encoding 0x01:8;\n  semantics { PC = f(PC); }\n}\ninstruction B() {\n  encoding 0x02:8;\n}',
});

describe('extends', () => {
  test('merges the base first; paths are relative to the extending file', () => {
    const host = memHost({
      'specs/base/base.isa': base,
      'specs/child.isa': 'isa child;\nextends "base/base.isa";\nregister Z : 4;\ninstruction C() {\n  encoding 0x03:8;\n}\n',
    });
    const r = loadIsaFile('specs/child.isa', host);
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
    expect(r.isa.name).toBe('child');
    expect(r.isa.extends).toEqual(['specs/base/base.isa']);
    expect(r.isa.registers.map((x) => x.name)).toEqual(['PC', 'M', 'Q', 'Z']);
    expect(r.isa.instructions.map((i) => i.mnemonic)).toEqual(['A', 'B', 'C']);
    // Spans keep the file each declaration came from.
    expect(r.isa.instructions[0]!.span.file).toBe('specs/base/base.isa');
    expect(r.isa.instructions[2]!.span.file).toBe('specs/child.isa');
  });

  test('replace keeps the position; remove deletes; single declarations need replace', () => {
    const host = memHost({
      'base.isa': base,
      'c.isa': [
        'isa c;',
        'extends "base.isa";',
        'replace register Q : 16;',
        'remove instruction B;',
        'replace instruction A() {\n  encoding 0x01:8;\n  semantics { Q = zext(PC, 16); }\n}',
        'replace modes {\n  k when M == 1;\n  u when M == 0;\n}',
        'replace function f(x : 8) : 8 { return ~x; }',
      ].join('\n'),
    });
    const r = loadIsaFile('c.isa', host);
    if (!r.ok) throw new Error(r.diagnostics.map((d) => `${at(d)} ${d.message}`).join('\n'));
    expect(r.isa.registers.find((x) => x.name === 'Q')!.width).toBe(16);
    expect(r.isa.registers.map((x) => x.name)).toEqual(['PC', 'M', 'Q']);
    expect(r.isa.instructions.map((i) => i.mnemonic)).toEqual(['A']);
    expect(r.isa.instructions[0]!.semantics[0]).toMatchObject({ k: 'assign', target: { reg: 'Q', width: 16 } });
    expect(r.isa.modes.map((m) => m.name)).toEqual(['k', 'u']);
    expect(r.isa.guestMode).toBe('u');
    expect(r.isa.functions[0]!.result).toMatchObject({ k: 'unop', op: 'not' });
  });

  test('a name already declared in the base is a duplicate unless replaced', () => {
    const host = memHost({ 'base.isa': base, 'c.isa': 'isa c;\nextends "base.isa";\nregister Q : 8;\nfetch E at PC;\n' });
    const r = loadIsaFile('c.isa', host);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => `${at(d)} ${d.code}`)).toEqual(['c.isa:3:10 ISA2001', 'c.isa:4:1 ISA2017']);
    expect(r.diagnostics[0]!.message).toMatch(/^duplicate register 'Q' \(first declared at base\.isa:\d+:10\)$/);
  });

  test('remove of a missing instruction, replace of a missing register', () => {
    const host = memHost({ 'base.isa': base, 'c.isa': 'isa c;\nextends "base.isa";\nremove instruction Z;\nreplace register ZZ : 1;\n' });
    const r = loadIsaFile('c.isa', host);
    expect(r.diagnostics.map((d) => `${at(d)} ${d.code}`)).toEqual(['c.isa:3:20 ISA2015', 'c.isa:4:18 ISA2014']);
  });

  test('extension chains and diamonds: each base merged once; cycles are errors', () => {
    const host = memHost({
      'd.isa': base,
      'b.isa': 'isa b;\nextends "d.isa";\nregister BB : 1;\n',
      'c.isa': 'isa c;\nextends "d.isa";\nregister CC : 1;\n',
      'a.isa': 'isa a;\nextends "b.isa";\nextends "c.isa";\n',
    });
    const r = loadIsaFile('a.isa', host);
    if (!r.ok) throw new Error(r.diagnostics.map((d) => `${at(d)} ${d.message}`).join('\n'));
    expect(r.isa.registers.map((x) => x.name)).toEqual(['PC', 'M', 'Q', 'BB', 'CC']);
    expect(r.isa.extends).toEqual(['b.isa', 'c.isa', 'd.isa']);

    const cyc = loadIsaFile('x.isa', memHost({ 'x.isa': 'isa x;\nextends "x.isa";\n' }));
    expect(cyc.diagnostics.map((d) => `${at(d)} ${d.code} ${d.message}`)).toEqual(['x.isa:2:9 ISA2016 extends cycle: x.isa -> x.isa']);
  });

  test('syntax errors in a base are reported in the base file', () => {
    const r = loadIsaFile('c.isa', memHost({ 'base.isa': 'isa b;\nregister ;\n', 'c.isa': 'isa c;\nextends "base.isa";\n' }));
    expect(r.diagnostics.map((d) => `${at(d)} ${d.code}`)).toEqual(['base.isa:2:10 ISA1010']);
  });
});
