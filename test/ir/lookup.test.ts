// The one index over an Isa: every declaration of every library spec by its name, the first one
// where a mnemonic names several encodings; data derived once per Isa and key.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { derived, derivedKey, isaIndex, loadIsaFile, type Isa } from '../../src/ir/index.js';

const specs = readdirSync('isas').filter((f) => f.endsWith('.isa'));
const load = (file: string): Isa => {
  const r = loadIsaFile(`isas/${file}`);
  if (!r.ok) throw new Error(`isas/${file} does not load`);
  return r.isa;
};

describe('isaIndex', () => {
  it.each(specs)('%s: each kind of declaration by name is what a search of the list finds', (file) => {
    const isa = load(file);
    const ix = isaIndex(isa);
    const kinds = [
      [ix.registers, isa.registers],
      [ix.files, isa.files],
      [ix.memories, isa.memories],
      [ix.views, isa.views],
      [ix.translations, isa.translations],
      [ix.functions, isa.functions],
      [ix.traps, isa.traps],
      [ix.modes, isa.modes],
    ] as const;
    for (const [byName, list] of kinds) {
      expect(byName.size).toBe(new Set(list.map((d) => d.name)).size);
      for (const d of list) expect(byName.get(d.name)).toBe(list.find((x) => x.name === d.name));
    }
    for (const i of isa.instructions) expect(ix.instructions.get(i.mnemonic)).toBe(isa.instructions.find((x) => x.mnemonic === i.mnemonic));
    expect(ix.registers.get('no such name')).toBeUndefined();
    expect(ix.registers.get(undefined)).toBeUndefined();
    // Built once per Isa object.
    expect(isaIndex(isa)).toBe(ix);
  });

  it('a mnemonic that names several encodings finds the first, as a search would', () => {
    const isa = load('pg.isa');
    const [a, b] = isa.instructions;
    const twice: Isa = { ...isa, instructions: [a!, { ...b!, mnemonic: a!.mnemonic }] };
    expect(isaIndex(twice).instructions.get(a!.mnemonic)).toBe(a);
  });
});

describe('derived', () => {
  it('computes once per Isa and key, and apart for another Isa or key', () => {
    const one = load('pg.isa');
    const other: Isa = { ...one };
    const COUNT = derivedKey<number>('a count');
    const NAME = derivedKey<string>('a name');
    let calls = 0;
    const count = (isa: Isa) => derived(isa, COUNT, () => ++calls);
    expect(count(one)).toBe(1);
    expect(count(one)).toBe(1);
    expect(count(other)).toBe(2);
    expect(derived(one, NAME, () => one.name)).toBe('pg');
    expect(calls).toBe(2);
    // A value that is falsy is kept too.
    const ZERO = derivedKey<number>('zero');
    let zeros = 0;
    derived(one, ZERO, () => (zeros++, 0));
    expect(derived(one, ZERO, () => (zeros++, 0))).toBe(0);
    expect(zeros).toBe(1);
  });
});
