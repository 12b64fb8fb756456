// The guest programs shipped beside the specs (isas/<spec>/*.s) behave as their headers say.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { privilegedInstances, runGuest, type GuestRun } from '../../src/vmm/index.js';
import { analyzeIsa } from '../../src/analysis/index.js';
import type { Isa } from '../../src/ir/types.js';
import { asm, spec } from './helpers.js';

async function both(name: string, file: string): Promise<{ isa: Isa; bare: GuestRun; trap: GuestRun; patched: GuestRun }> {
  const isa = await spec(name);
  const program = asm(isa, readFileSync(`isas/${name}/${file}`, 'utf8'), file);
  const bare = runGuest(isa, 'none', { program }, { maxSteps: 100_000 });
  const trap = runGuest(isa, 'trap', { program }, { maxSteps: 100_000 });
  const a = await analyzeIsa(isa);
  const patched = runGuest(
    isa,
    'patched',
    { program },
    {
      maxSteps: 100_000,
      offenders: a.theorem1.offenders.map((o) => o.mnemonic),
      privileged: privilegedInstances(a),
    },
  );
  return { isa, bare, trap, patched };
}

/** A little-endian/big-endian word of `n` bytes (or one word) of the fetch memory at `addr`. */
function word(isa: Isa, r: GuestRun, addr: number, n: number): bigint {
  const mem = isa.memories[0]!;
  const m = r.guestState.mem[mem.name]!;
  let v = 0n;
  for (let i = 0; i < n; i++) {
    const idx = isa.endian === 'little' ? n - 1 - i : i;
    v = (v << BigInt(mem.wordWidth)) | (m.get(addr + idx) ?? 0n);
  }
  return v;
}

describe('guest programs in isas/', () => {
  test('m68000/movesr.s: MOVE SR reads S = 1 natively, S = 0 under the monitor; patching fixes it', async () => {
    const { isa, bare, trap, patched } = await both('m68000', 'movesr.s');
    expect(word(isa, bare, 0x500, 4)).toBe(0x2000n);
    expect(word(isa, trap, 0x500, 4)).toBe(0n);
    expect(word(isa, patched, 0x500, 4)).toBe(0x2000n);
    expect(patched.patches.map((p) => p.mnemonic)).toEqual(['MOVE_FROM_SR']);
  });

  test('m68010/kernel.s: the same on the bare machine and under the monitor', async () => {
    const { isa, bare, trap } = await both('m68010', 'kernel.s');
    expect(word(isa, bare, 0x900, 4)).toBe(42n);
    expect(word(isa, bare, 0x904, 4) & 0xffffn).toBe(0x2000n);
    expect(word(isa, trap, 0x900, 4)).toBe(42n);
    expect(word(isa, trap, 0x904, 4) & 0xffffn).toBe(0x2000n);
    expect(trap.stats.emulated).toBeGreaterThan(0);
  });

  test('riscv/kernel.s: the same on the bare machine and under the monitor', async () => {
    const { isa, bare, trap } = await both('riscv', 'kernel.s');
    expect(word(isa, bare, 0x1300, 4)).toBe(8n);
    expect(word(isa, bare, 0x1304, 4)).toBe(42n);
    expect(word(isa, trap, 0x1300, 4)).toBe(8n);
    expect(word(isa, trap, 0x1304, 4)).toBe(42n);
  });

  test('armv7/mrs-mode.s: 0x13 natively, 0x10 under the monitor', async () => {
    const { isa, bare, trap, patched } = await both('armv7', 'mrs-mode.s');
    expect(word(isa, bare, 0x9000, 4)).toBe(0x13n);
    expect(word(isa, trap, 0x9000, 4)).toBe(0x10n);
    expect(word(isa, patched, 0x9000, 4)).toBe(0x13n);
  });

  test('armv7/cps.s: 0x1F natively, 0x10 under the monitor', async () => {
    const { isa, bare, trap, patched } = await both('armv7', 'cps.s');
    expect(word(isa, bare, 0x9000, 4)).toBe(0x1fn);
    expect(word(isa, trap, 0x9000, 4)).toBe(0x10n);
    expect(word(isa, patched, 0x9000, 4)).toBe(0x1fn);
  });

  test('pdp10/jrst1.s: result 1 natively, 2 under the monitor', async () => {
    const isa = await spec('pdp10');
    const { bare, trap } = await both('pdp10', 'jrst1.s');
    const p = asm(isa, readFileSync('isas/pdp10/jrst1.s', 'utf8'));
    const result = p.labels.result!,
      ran = p.labels.ran!;
    const at = (r: GuestRun, a: number) => r.guestState.mem[isa.memories[0]!.name]!.get(a) ?? 0n;
    expect([at(bare, result), at(bare, ran)]).toEqual([1n, 1n]);
    expect([at(trap, result), at(trap, ran)]).toEqual([2n, 1n]);
  });
});
