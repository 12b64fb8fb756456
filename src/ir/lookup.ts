// One index over an Isa: every declaration by its name (instructions by mnemonic), built once per
// Isa object and kept beside it, so the IR itself stays plain data. And one place for what other
// stages derive from an Isa and keep while it lives (`derived`), instead of a cache in each.
// Both assume what every stage assumes: a checked Isa is not changed afterwards.

import type { Func, Instruction, Isa, Memory, Mode, Register, RegisterFile, Translation, Trap, View } from './types.js';

/** A name that may be missing finds nothing (`get(undefined)` is undefined), as `find` would. */
type ByName<T> = ReadonlyMap<string | undefined, T>;

export interface IsaIndex {
  registers: ByName<Register>;
  files: ByName<RegisterFile>;
  memories: ByName<Memory>;
  views: ByName<View>;
  translations: ByName<Translation>;
  functions: ByName<Func>;
  traps: ByName<Trap>;
  modes: ByName<Mode>;
  instructions: ByName<Instruction>;
}

/** By `key`, the first of each (as `find` would give: a mnemonic may name several encodings). */
function byName<T>(items: readonly T[], key: (t: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const t of items) if (!m.has(key(t))) m.set(key(t), t);
  return m;
}

const indexes = new WeakMap<Isa, IsaIndex>();

/** The declarations of `isa` by name. */
export function isaIndex(isa: Isa): IsaIndex {
  let ix = indexes.get(isa);
  if (!ix) {
    const name = (d: { name: string }) => d.name;
    ix = {
      registers: byName(isa.registers, name),
      files: byName(isa.files, name),
      memories: byName(isa.memories, name),
      views: byName(isa.views, name),
      translations: byName(isa.translations, name),
      functions: byName(isa.functions, name),
      traps: byName(isa.traps, name),
      modes: byName(isa.modes, name),
      instructions: byName(isa.instructions, (i) => i.mnemonic),
    };
    indexes.set(isa, ix);
  }
  return ix;
}

/** Names one kind of data derived from an Isa (`derived`); `T` is its type. */
export interface DerivedKey<T> {
  readonly what: string;
  /** Only carries `T`. */
  readonly type?: T;
}

export function derivedKey<T>(what: string): DerivedKey<T> {
  return { what };
}

const derivations = new WeakMap<Isa, Map<DerivedKey<unknown>, unknown>>();

/** `compute()`, once per Isa and key: later calls return what the first computed. */
export function derived<T>(isa: Isa, key: DerivedKey<T>, compute: () => T): T {
  let m = derivations.get(isa);
  if (!m) derivations.set(isa, (m = new Map()));
  if (m.has(key)) return m.get(key) as T;
  const v = compute();
  m.set(key, v);
  return v;
}
