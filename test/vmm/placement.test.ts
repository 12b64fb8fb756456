// Where the monitor puts the guest's storage, with only what the spec gives it (monitor.ts): P&G's
// relocation is composed with the allocation; every other translation leaves the guest the whole
// storage.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { composeRelocation, relocations } from '../../src/vmm/placement.js';
import { elementsOfRole } from '../../src/vmm/elements.js';
import { spec } from './helpers.js';

describe('placement', () => {
  test("P&G's relocate is the one translation the monitor composes", async () => {
    const pg = await spec('pg');
    expect(relocations(pg, elementsOfRole(pg, 'control'))).toEqual([
      {
        translation: 'relocate',
        memory: 'E',
        resultWidth: 16,
        base: { el: 0, lo: 16, width: 16, name: 'R.base' },
        bound: { el: 0, lo: 0, width: 16, name: 'R.bound' },
      },
    ]);
    // Mode-dependent relocation (PDP-10), segment descriptors (80386), page tables (RISC-V), a plain
    // bus (68000): nothing the monitor can compose without knowing more than the spec says.
    for (const name of ['pdp10', 'x86-386', 'riscv', 'm68000', 'armv7']) {
      const isa = await spec(name);
      expect(relocations(isa, elementsOfRole(isa, 'control')), name).toBeUndefined();
    }
  });

  test("the composed relocation never lets a direct access leave the window or reach another word than the guest's", () => {
    const win = { memory: 'E', base: 0x8000, size: 0x8000 };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), (vbase, vbound, a) => {
        const c = composeRelocation(BigInt(vbase), BigInt(vbound), win, 16, 16);
        const realTraps = BigInt(a) >= c.bound;
        if (realTraps) return; // the monitor runs it on the virtual machine, which decides
        const real = Number((BigInt(a) + c.base) & 0xffffn);
        // The virtual machine: the guest's relocation, then its storage [0, size) at the window.
        expect(a < vbound).toBe(true);
        const guestPhysical = (a + vbase) & 0xffff;
        expect(guestPhysical).toBeLessThan(win.size);
        expect(real).toBe(win.base + guestPhysical);
      }),
      { numRuns: 2000 },
    );
    // The guest that sees all of its storage keeps it all: nothing is cut off.
    expect(composeRelocation(0n, 0x8000n, win, 16, 16)).toEqual({ base: 0x8000n, bound: 0x8000n });
    expect(composeRelocation(0x100n, 0x200n, win, 16, 16)).toEqual({ base: 0x8100n, bound: 0x200n });
  });
});
