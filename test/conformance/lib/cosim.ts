// What every co-simulation harness shares, whatever the machine: instances placed in slots, the
// harness ELF linked with GNU binutils and checked against the layout the generator assumed, batches
// run until every instance has run (a fault ends an ELF early, the rest runs in the next one; some
// instances run one per ELF), the tally of what was compared, and the edited spec that shows a
// wrong semantics is caught. Each machine's lib/<machine>.ts keeps what is its own: generators,
// harness text, QEMU's output format and the comparison.

import type { SpawnSyncReturns } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIsaFile } from '../../../src/ir/index.js';
import type { Isa } from '../../../src/ir/types.js';
import { root } from './spec.js';
import { run } from './tools.js';

/** An instance in harness slot `slot` (its code and data blocks are at fixed offsets of it). */
export interface Placed<I> {
  inst: I;
  slot: number;
}

/** `count` instances of each want, generated in order for consecutive slots modulo `batch`. */
export function placeAll<W extends { count: number }, I>(wants: readonly W[], batch: number, generate: (want: W, slot: number) => I): Placed<I>[] {
  const placed: Placed<I>[] = [];
  for (const w of wants) for (let k = 0; k < w.count; k++) placed.push({ inst: generate(w, placed.length % batch), slot: placed.length % batch });
  return placed;
}

/** The groups of `batch` consecutive placed instances (each group: one spec side, its own slots). */
export function batches<T>(placed: readonly T[], batch: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < placed.length; i += batch) out.push(placed.slice(i, i + batch));
  return out;
}

export interface Toolchain {
  as: string;
  asArgs: string[];
  ld: string;
  /** Arguments before `-T script -o elf obj`. */
  ldArgs: string[];
  nm: string;
  /** The linker script, under test/conformance/harness/. */
  script: string;
}

/** GNU binutils for each harness target (the Debian packages: lib/<machine>.ts TOOLS). */
const RISCV_TC = {
  as: 'riscv64-unknown-elf-as',
  asArgs: ['-march=rv32i_zicsr', '-mabi=ilp32', '-mno-relax'],
  ld: 'riscv64-unknown-elf-ld',
  ldArgs: ['-m', 'elf32lriscv', '--no-relax'],
  nm: 'riscv64-unknown-elf-nm',
};
export const TOOLCHAINS = {
  /** qemu-riscv32 (Linux user mode). */
  riscv: { ...RISCV_TC, script: 'riscv32.ld' },
  /** qemu-system-riscv32 -machine virt -bios none. */
  riscvVirt: { ...RISCV_TC, script: 'riscv32-virt.ld' },
  arm: { as: 'arm-none-eabi-as', asArgs: ['-march=armv7-a'], ld: 'arm-none-eabi-ld', ldArgs: [], nm: 'arm-none-eabi-nm', script: 'arm.ld' },
  m68k: { as: 'm68k-linux-gnu-as', asArgs: ['-m68000'], ld: 'm68k-linux-gnu-ld', ldArgs: [], nm: 'm68k-linux-gnu-nm', script: 'm68k.ld' },
  i386: { as: 'as', asArgs: ['--32'], ld: 'ld', ldArgs: ['-m', 'elf_i386'], nm: 'nm', script: 'i386.ld' },
} satisfies Record<string, Toolchain>;

/**
 * Assemble and link `source` as `dir/name`; each symbol of `layout` must be at its address (the
 * layout the generator assumed: operands point at pads and windows by address).
 */
export function linkHarness(tc: Toolchain, dir: string, name: string, source: string, layout: Record<string, number>): string {
  const src = join(dir, `${name}.s`),
    obj = join(dir, `${name}.o`),
    elf = join(dir, name);
  writeFileSync(src, source);
  run(tc.as, [...tc.asArgs, '-o', obj, src]);
  run(tc.ld, [...tc.ldArgs, '-T', `${root}test/conformance/harness/${tc.script}`, '-o', elf, obj]);
  const nm = run(tc.nm, [elf]).stdout.toString();
  for (const [label, address] of Object.entries(layout)) {
    const m = new RegExp(`^([0-9a-f]+) \\w ${label}$`, 'm').exec(nm);
    if (!m || parseInt(m[1]!, 16) !== address) throw new Error(`harness layout: ${label} at ${m?.[1]}, expected ${address.toString(16)}`);
  }
  return elf;
}

/** A harness holds instances in increasing slots below `batch` (their blocks must not collide). */
export function checkSlots(items: readonly Placed<unknown>[], batch: number): void {
  if (items.length === 0 || items.some((p, i) => p.slot >= batch || (i > 0 && p.slot <= items[i - 1]!.slot))) {
    throw new Error(`a harness holds instances in increasing slots below ${batch}`);
  }
}

/**
 * Run `items` in ELFs until each has an outcome: `runElf` returns the outcomes of the instances that
 * ran, in order, and stops at the first that ended the ELF (that one's outcome included); the rest
 * runs in the next ELF. `alone` instances run one per ELF.
 */
export function runAll<I, Q>(
  items: readonly Placed<I>[],
  name: string,
  o: {
    build: (items: Placed<I>[], name: string) => string;
    runElf: (elf: string, count: number) => Q[];
    check: (p: Placed<I>, q: Q) => void;
    alone?: (p: Placed<I>) => boolean;
  },
): void {
  const alone = o.alone ?? (() => false);
  let rest = items.filter((p) => !alone(p));
  let part = 0;
  while (rest.length > 0) {
    const out = o.runElf(o.build(rest, `${name}-${part++}`), rest.length);
    out.forEach((q, k) => o.check(rest[k]!, q));
    rest = rest.slice(out.length);
  }
  items.filter(alone).forEach((p, k) => o.check(p, o.runElf(o.build([p], `${name}-alone${k}`), 1)[0]!));
}

/** Run a user-mode harness (QEMU user mode or the host); it may end with any status or signal. */
export function runUser(cmd: string, args: string[]): SpawnSyncReturns<Buffer> {
  const r = run(cmd, args, { allowFail: true, timeout: 60_000 });
  if (r.error) throw r.error;
  return r;
}

/** The state blocks a harness wrote one after another (`size` bytes each), at most `count`. */
export function blocks<T>(out: Buffer, size: number, count: number, parse: (offset: number) => T): T[] {
  const res: T[] = [];
  for (let i = 0; i + size <= out.length && res.length < count; i += size) res.push(parse(i));
  return res;
}

/**
 * A user-mode harness's outcomes: its blocks, and when fewer than `count` instances ran, how the
 * process ended (the last instance's outcome). All having run, the process must have exited 0.
 */
export function withEnd<Q>(states: Q[], count: number, r: SpawnSyncReturns<Buffer>, elf: string, ended: () => Q): Q[] {
  if (states.length < count) states.push(ended());
  else if (r.status !== 0 || r.signal)
    throw new Error(`${elf}: all ${count} instances ran, then QEMU ended with ${r.signal ?? r.status}: ${r.stderr.toString().slice(-2000)}`);
  return states;
}

/** The exception QEMU's user mode could not deliver ("unhandled CPU exception 0x.."), if it says so. */
export function unhandledException(r: SpawnSyncReturns<Buffer>): number | undefined {
  const exc = /unhandled CPU exception (0x)?([0-9a-f]+)/.exec(r.stderr.toString());
  return exc ? parseInt(exc[2]!, exc[1] ? 16 : 10) : undefined;
}

/** What a co-simulation compared: instances per mnemonic, how they ended, the mismatches. */
export class Tally {
  compared = 0;
  readonly count = new Map<string, number>();
  readonly outcomes = new Map<string, number>();
  readonly mismatches: string[] = [];

  /** One compared instance: how it ended on isavirt's side, and its differences (none: agreed). */
  add(mnemonic: string, how: string, differences: readonly string[], describe: () => string): void {
    this.compared++;
    this.count.set(mnemonic, (this.count.get(mnemonic) ?? 0) + 1);
    this.outcomes.set(how, (this.outcomes.get(how) ?? 0) + 1);
    if (differences.length) this.mismatches.push(`${describe()}: ${differences.join('; ')}`);
  }
}

/** How a generic spec-side outcome reads in the tally: trap:<name>, halt, illegal, completed, jumped. */
export function outcomeWord(o: { kind: string; trap?: string }, fellThrough: boolean): string {
  if (o.kind === 'trap') return `trap:${o.trap}`;
  if (o.kind !== 'done') return o.kind;
  return fellThrough ? 'completed' : 'jumped';
}

/**
 * The library spec `name` with one edit made to its text, loaded from `dir`: a test writes the
 * semantics wrongly and shows the co-simulation catches it. The edit must change the text.
 */
export function editedSpec(name: string, dir: string, edit: (text: string) => string): Isa {
  const text = readFileSync(join(root, `isas/${name}.isa`), 'utf8');
  const wrong = edit(text);
  if (wrong === text) throw new Error(`the edit of ${name}.isa changes nothing`);
  const file = join(dir, `wrong-${name}.isa`);
  writeFileSync(file, wrong);
  const loaded = loadIsaFile(file);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.diagnostics[0]));
  return loaded.isa;
}
