// Where each state element of a spec lives in the machine's typed arrays, and the checks made
// before anything is allocated or compiled. Values of at most 32 bits live in one Uint32Array (`u`)
// and are plain JS numbers in compiled code; wider ones (33..64 bits) live in one BigUint64Array
// (`w`) and are bigints. Memories get one typed array each, sized from the spec.

import type { Isa, Memory, Register, RegisterFile, Translation, Trap, View, Func } from '../ir/index.js';

/** A user-causable problem with a spec or a request (too much memory, unknown name, bad IR). The
 *  CLI prints its message as a diagnostic; it never needs a stack trace. */
export class MachineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MachineError';
  }
}

export interface RegSlot {
  reg: Register;
  /** Index into `u` (narrow) or `w` (wide). */
  slot: number;
  wide: boolean;
  width: number;
}

export interface FileSlot {
  file: RegisterFile;
  base: number;
  count: number;
  wide: boolean;
  width: number;
}

export type MemKind = 'u8' | 'u16' | 'u32' | 'u64';

export interface MemSlot {
  memory: Memory;
  /** Position in the machine's memory list (the generated code calls it `m<index>`). */
  index: number;
  wordWidth: number;
  size: number;
  kind: MemKind;
  /** Bytes the typed array takes. */
  bytes: number;
}

export interface Layout {
  regs: Map<string, RegSlot>;
  files: Map<string, FileSlot>;
  mems: Map<string, MemSlot>;
  memList: MemSlot[];
  views: Map<string, View>;
  translations: Map<string, Translation>;
  functions: Map<string, Func>;
  /** Trap name -> index into isa.traps (the generated code only knows indices). */
  traps: Map<string, number>;
  pc: RegSlot;
  /** The memory instructions are fetched from (directly or through a view). */
  fetchMem: MemSlot;
  fetchWordWidth: number;
  /** Words of each instruction (index as in isa.instructions). */
  lengths: number[];
  n32: number;
  n64: number;
}

/** Default cap on the bytes all memories of a machine may take together. */
export const DEFAULT_MEMORY_CAP = 64 * 1024 * 1024;
/** Typed-array indices stay below 2^30 so `&`-masking in generated code is exact. */
const MAX_WORDS = 2 ** 30;

export function isInt(n: unknown, lo: number, hi: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= lo && n <= hi;
}

export function checkWidth(n: unknown, what: string): number {
  if (!isInt(n, 1, 64)) throw new MachineError(`${what}: width must be an integer from 1 to 64`);
  return n;
}

function memKind(wordWidth: number): { kind: MemKind; bytesPerWord: number } {
  if (wordWidth <= 8) return { kind: 'u8', bytesPerWord: 1 };
  if (wordWidth <= 16) return { kind: 'u16', bytesPerWord: 2 };
  if (wordWidth <= 32) return { kind: 'u32', bytesPerWord: 4 };
  return { kind: 'u64', bytesPerWord: 8 };
}

function nameOf(x: { name?: unknown }, what: string): string {
  if (typeof x.name !== 'string') throw new MachineError(`${what} without a name`);
  return x.name;
}

/** Lay out the state of `isa`, refusing (before any allocation) memories beyond `memoryCap` bytes. */
export function layOut(isa: Isa, memoryCap: number = DEFAULT_MEMORY_CAP): Layout {
  if (!isa || !Array.isArray(isa.registers) || !Array.isArray(isa.instructions)) {
    throw new MachineError('not an isavirt IR object');
  }
  const regs = new Map<string, RegSlot>();
  let n32 = 0;
  let n64 = 0;
  for (const r of isa.registers) {
    const width = checkWidth(r.width, `register ${nameOf(r, 'register')}`);
    const wide = width > 32;
    regs.set(r.name, { reg: r, slot: wide ? n64++ : n32++, wide, width });
  }
  const files = new Map<string, FileSlot>();
  for (const f of isa.files ?? []) {
    const width = checkWidth(f.width, `register file ${nameOf(f, 'register file')}`);
    if (!isInt(f.count, 1, 1 << 16)) throw new MachineError(`register file ${f.name}: count must be 1..65536`);
    const wide = width > 32;
    files.set(f.name, { file: f, base: wide ? n64 : n32, count: f.count, wide, width });
    if (wide) n64 += f.count;
    else n32 += f.count;
  }
  const mems = new Map<string, MemSlot>();
  const memList: MemSlot[] = [];
  let total = 0;
  for (const m of isa.memories ?? []) {
    const wordWidth = checkWidth(m.wordWidth, `memory ${nameOf(m, 'memory')}`);
    if (!isInt(m.size, 1, Number.MAX_SAFE_INTEGER) || !Number.isInteger(Math.log2(m.size))) {
      throw new MachineError(`memory ${m.name}: size must be a power of two`);
    }
    if (m.size > MAX_WORDS) {
      throw new MachineError(`memory ${m.name} has ${m.size} words; the machine supports at most ${MAX_WORDS} words per memory`);
    }
    const { kind, bytesPerWord } = memKind(wordWidth);
    const bytes = m.size * bytesPerWord;
    total += bytes;
    const slot: MemSlot = { memory: m, index: memList.length, wordWidth, size: m.size, kind, bytes };
    mems.set(m.name, slot);
    memList.push(slot);
  }
  if (total > memoryCap) {
    throw new MachineError(
      `the memories of ${isa.name} need ${fmtBytes(total)}, more than the machine's cap of ${fmtBytes(memoryCap)} ` +
        `(raise it with the memory cap option if this is intended)`,
    );
  }
  const views = new Map<string, View>((isa.views ?? []).map((v) => [v.name, v]));
  const translations = new Map<string, Translation>((isa.translations ?? []).map((t) => [t.name, t]));
  for (const t of translations.values()) {
    checkWidth(t.param?.width, `translation ${t.name} parameter`);
    checkWidth(t.resultWidth, `translation ${t.name} result`);
  }
  for (const v of views.values()) {
    if (!mems.has(v.memory)) throw new MachineError(`view ${v.name}: unknown memory ${v.memory}`);
    if (!translations.has(v.translation)) throw new MachineError(`view ${v.name}: unknown translation ${v.translation}`);
  }
  const functions = new Map<string, Func>((isa.functions ?? []).map((f) => [f.name, f]));
  const traps = new Map<string, number>();
  (isa.traps ?? []).forEach((t: Trap, i) => {
    if (!isInt(t.vector, 0, Number.MAX_SAFE_INTEGER)) throw new MachineError(`trap ${t.name}: bad vector`);
    if (t.timer && !isInt(t.timer.period, 1, 2 ** 31 - 1)) {
      throw new MachineError(`trap ${t.name}: the timer period must be 1..2^31-1 instructions`);
    }
    traps.set(t.name, i);
  });
  const pc = regs.get(isa.fetch?.pc);
  if (!pc) throw new MachineError(`fetch: unknown pc register ${String(isa.fetch?.pc)}`);
  const space = isa.fetch.space;
  const fetchMem = mems.get(space) ?? mems.get(views.get(space)?.memory ?? '');
  if (!fetchMem) throw new MachineError(`fetch: unknown space ${String(space)}`);
  const fetchWordWidth = fetchMem.wordWidth;
  const lengths = isa.instructions.map((i) => {
    if (!isInt(i.encoding?.width, 1, 4096)) throw new MachineError(`instruction ${i.mnemonic}: bad encoding width`);
    return Math.max(1, Math.ceil(i.encoding.width / fetchWordWidth));
  });
  return {
    regs,
    files,
    mems,
    memList,
    views,
    translations,
    functions,
    traps,
    pc,
    fetchMem,
    fetchWordWidth,
    lengths,
    n32,
    n64,
  };
}

export function fmtBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** A fresh typed array for a memory. */
export function allocMemory(m: MemSlot): Uint8Array | Uint16Array | Uint32Array | BigUint64Array {
  switch (m.kind) {
    case 'u8':
      return new Uint8Array(m.size);
    case 'u16':
      return new Uint16Array(m.size);
    case 'u32':
      return new Uint32Array(m.size);
    case 'u64':
      return new BigUint64Array(m.size);
  }
}
