// Pseudo-instructions and the parts of a trap entry an extending spec may replace: what the checker
// makes of them (IR), how they merge across `extends`, and their JSON form.
import { describe, expect, test } from 'vitest';
import { exportIsaJson, loadIsaFile } from '../../src/ir/index.js';
import type { Isa, Stmt } from '../../src/ir/types.js';
import { memHost, ok, spec } from './helpers.js';

const strip = (v: unknown): string => JSON.stringify(v, (k, x: unknown) => (k === 'span' ? undefined : x));

const machine = spec({
  instructions: [
    'instruction ADDI(rd : reg r, rs : reg r, k : simm 4) {',
    '  syntax "addi {rd}, {rs}, {k}";',
    '  encoding 0x01:8 rd rs k;',
    '  semantics { r[rd] = r[rs] + sext(k, 8); }',
    '}',
    'instruction LUI(rd : reg r, k : imm 4) {',
    '  syntax "lui {rd}, {k}";',
    '  encoding 0x02:8 rd k 0:2;',
    '  semantics {\n    let z : 4 = 0;\n    r[rd] = k ++ z;\n  }',
    '}',
  ].join('\n'),
  extra: [
    'pseudo LI(rd : reg r, v : simm 8) {',
    '  syntax "li {rd}, {v}";',
    '  expand when sext(v[3..0], 8) == v {',
    '    ADDI(rd, 0, v[3..0]);',
    '  }',
    '  expand {',
    '    LUI(rd, (v + 0x8)[7..4]);',
    '    ADDI(rd, rd, v[3..0]);',
    '  }',
    '}',
  ].join('\n'),
});

describe('pseudo-instructions in the IR', () => {
  test('operands, syntax and each expansion with its condition; the instructions are untouched', () => {
    const isa = ok(machine);
    expect(isa.instructions.map((i) => i.mnemonic)).toEqual(['ADDI', 'LUI']);
    const li = isa.pseudos?.[0];
    expect(li?.mnemonic).toBe('LI');
    expect(li?.operands).toEqual([
      { name: 'rd', kind: 'reg', width: 2, file: 'r' },
      { name: 'v', kind: 'simm', width: 8 },
    ]);
    expect(li?.syntax.map((p) => (p.k === 'text' ? p.text : `{${p.name}}`)).join('')).toBe('li {rd}, {v}');
    expect(li?.expansions.map((e) => [e.when !== undefined, e.instructions.map((x) => x.mnemonic)])).toEqual([
      [true, ['ADDI']],
      [false, ['LUI', 'ADDI']],
    ]);
    // Every value has its target operand's width (rd 2 bits, k 4 bits).
    expect(li?.expansions[1]?.instructions[0]?.operands.map((o) => o.width)).toEqual([2, 4]);
    expect(li?.expansions[0]?.instructions[0]?.operands[1]).toEqual({ k: 'const', width: 2, value: '0x0' });
  });

  test('a spec without pseudo-instructions has no pseudos in its IR (the JSON form is unchanged)', () => {
    expect(ok(spec()).pseudos).toBeUndefined();
  });

  test('the JSON form carries them and checks back to the same IR', () => {
    const isa = ok(machine);
    const json = exportIsaJson(isa);
    expect(JSON.parse(json)).toHaveProperty('pseudos');
    const back = loadIsaFile('t.isa.json', memHost({ 't.isa.json': json }));
    if (!back.ok) throw new Error(back.diagnostics.map((d) => d.message).join('\n'));
    expect(JSON.parse(strip(back.isa.pseudos))).toEqual(JSON.parse(strip(isa.pseudos)));
  });

  test('an alias (declared before the instructions it expands to) survives the JSON form', () => {
    const r = loadIsaFile('isas/riscv.isa');
    if (!r.ok) throw new Error('riscv.isa must load');
    const back = loadIsaFile('riscv.isa.json', memHost({ 'riscv.isa.json': exportIsaJson(r.isa) }));
    if (!back.ok)
      throw new Error(
        back.diagnostics
          .slice(0, 3)
          .map((d) => d.message)
          .join('\n'),
      );
    const aliases = (isa: Isa) => (isa.pseudos ?? []).filter((p) => p.alias).map((p) => p.mnemonic);
    expect(aliases(back.isa)).toEqual(aliases(r.isa));
    expect(aliases(r.isa)).toContain('LI');
    expect(aliases(r.isa)).not.toContain('BGT');
  });

  test("extends: replace and remove a pseudo-instruction; it shares the instructions' names", () => {
    const host = memHost({
      'b.isa': machine,
      'c.isa': 'isa c;\nextends "b.isa";\nreplace pseudo LI(rd : reg r, v : simm 4) {\n  expand {\n    ADDI(rd, 0, v);\n  }\n}\n',
      'd.isa': 'isa d;\nextends "b.isa";\nremove pseudo LI;\n',
      'e.isa': 'isa e;\nextends "b.isa";\npseudo ADDI() {\n  expand {\n    LUI(0, 0);\n  }\n}\n',
    });
    const c = loadIsaFile('c.isa', host);
    expect(c.ok && c.isa.pseudos?.[0]?.expansions.length).toBe(1);
    const d = loadIsaFile('d.isa', host);
    expect(d.ok && d.isa.pseudos).toBeUndefined();
    const e = loadIsaFile('e.isa', host);
    expect(e.diagnostics.map((x) => x.code)).toEqual(['ISA2001']);
  });
});

const entrySpec = (entry: string, extra = '') =>
  spec({
    traps: 'trap priv kind privilege vector 1;\ntrap svc kind software vector 2;',
    state: 'memory E : 8 [256];\nregister PC : 8;\nregister M : 1 mode;\nregisters r[4] : 8;\nregister SAVE : 8;',
    extra: entry + extra,
  });

const base = entrySpec(
  'trap entry {\n  let v = zext(trap_vector, 8);\n  clause save {\n    SAVE = return_pc;\n  }\n  M = 1;\n  clause jump {\n    PC = v;\n  }\n}\n',
);

describe('trap entry: clauses and vector entries', () => {
  test('a clause is its statements in place: the IR is the same as without it', () => {
    const plain = ok(entrySpec('trap entry {\n  let v = zext(trap_vector, 8);\n  SAVE = return_pc;\n  M = 1;\n  PC = v;\n}\n'));
    expect(strip(ok(base).trapEntry)).toBe(strip(plain.trapEntry));
  });

  test("replace trap entry clause NAME changes that clause alone, reading the entry's lets", () => {
    const host = memHost({
      'b.isa': base,
      'c.isa': 'isa c;\nextends "b.isa";\nreplace trap entry clause jump {\n  PC = v + 0x10;\n}\n',
      'copy.isa': 'isa copy;\nextends "b.isa";\nreplace trap entry {\n  let v = zext(trap_vector, 8);\n  SAVE = return_pc;\n  M = 1;\n  PC = v + 0x10;\n}\n',
    });
    const c = loadIsaFile('c.isa', host);
    const copy = loadIsaFile('copy.isa', host);
    if (!c.ok || !copy.ok) throw new Error([...c.diagnostics, ...copy.diagnostics].map((d) => d.message).join('\n'));
    expect(strip(c.isa.trapEntry)).toBe(strip(copy.isa.trapEntry));
    // The base's clause `save` is kept as it was.
    expect(strip(c.isa.trapEntry[1])).toBe(strip(ok(base).trapEntry[1]));
  });

  test('replacing a clause that does not exist names the clauses there are', () => {
    const host = memHost({ 'b.isa': base, 'c.isa': 'isa c;\nextends "b.isa";\nreplace trap entry clause jmp {\n  PC = 0;\n}\n' });
    const r = loadIsaFile('c.isa', host);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.message, d.hint, d.span?.line, d.span?.col])).toEqual([
      ['ISA2037', "the trap entry has no clause 'jmp'", "did you mean 'jump'?", 3, 27],
    ]);
    const far = loadIsaFile('c.isa', memHost({ 'b.isa': base, 'c.isa': 'isa c;\nextends "b.isa";\nreplace trap entry clause elsewhere {\n  PC = 0;\n}\n' }));
    expect(far.diagnostics[0]?.hint).toBe('its clauses: save, jump');
  });

  test('trap entry vector N runs instead of the entry for that vector', () => {
    const isa = ok(base + 'trap entry vector 2 {\n  PC = 0x80;\n}\n');
    const e = isa.trapEntry;
    expect(e).toHaveLength(1);
    const top = e[0] as Extract<Stmt, { k: 'if' }>;
    expect(top.k).toBe('if');
    expect(strip(top.cond)).toBe(
      strip({ k: 'binop', width: 1, op: 'eq', a: { k: 'builtin', width: 8, name: 'trap_vector' }, b: { k: 'const', width: 8, value: '0x2' } }),
    );
    expect(strip(top.else)).toBe(strip(ok(base).trapEntry));
  });

  test('an extending spec adds, replaces or duplicates a vector entry', () => {
    const host = memHost({
      'b.isa': base + 'trap entry vector 2 {\n  PC = 0x80;\n}\n',
      'r.isa': 'isa r;\nextends "b.isa";\nreplace trap entry vector 2 {\n  PC = 0x90;\n}\n',
      'd.isa': 'isa d;\nextends "b.isa";\ntrap entry vector 2 {\n  PC = 0x90;\n}\n',
      'm.isa': 'isa m;\nextends "b.isa";\nreplace trap entry vector 1 {\n  PC = 0x90;\n}\n',
    });
    const r = loadIsaFile('r.isa', host);
    const pcOf = (isa: Isa) => strip((isa.trapEntry[0] as Extract<Stmt, { k: 'if' }>).then);
    expect(r.ok && pcOf(r.isa)).toContain('"0x90"');
    expect(loadIsaFile('d.isa', host).diagnostics.map((d) => d.code)).toEqual(['ISA2001']);
    expect(loadIsaFile('m.isa', host).diagnostics.map((d) => d.code)).toEqual(['ISA2014']);
  });

  test('the library: m68010 and x86-vt write only what differs from their base, and give the same machine', () => {
    for (const f of ['isas/m68010.isa', 'isas/x86-vt.isa']) {
      const r = loadIsaFile(f);
      expect(r.ok, f).toBe(true);
    }
    const m = loadIsaFile('isas/m68010.isa');
    // The 68010 frame: four words (sp - 8) and the PC fetched through VBR.
    expect(m.ok && strip(m.isa.trapEntry)).toContain('"VBR"');
    const vt = loadIsaFile('isas/x86-vt.isa');
    const top = vt.ok ? (vt.isa.trapEntry[0] as Extract<Stmt, { k: 'if' }>) : undefined;
    expect(top?.k).toBe('if');
    expect(strip(top?.cond)).toContain('"0xff"');
  });
});
