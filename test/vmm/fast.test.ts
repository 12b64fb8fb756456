// The dispatcher's precomputed access to mode and control elements (ElementBank, ModeTable) agrees
// with the plain element functions, on every library spec; and a guest that traps often runs the
// same under every monitor.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { createMachine } from '../../src/exec/machine.js';
import { ElementBank, elementsOfRole, modeOfValues, modeRank, ModeTable, readElement, writeElement, type Val } from '../../src/vmm/elements.js';
import { runGuest } from '../../src/vmm/index.js';
import { diffStates } from '../../src/exec/interpret.js';
import type { Isa } from '../../src/ir/types.js';
import { asm, spec } from './helpers.js';
import { inlineIsa, register, sp } from '../exec/helpers.js';

const LIBRARY = ['pg', 'x86-386', 'x86-vt', 'm68000', 'm68010', 'riscv', 'armv7', 'pdp10'];

/** A spec with every kind of element: a wide register and fields of it, a narrow field at bit 31,
 *  a whole 32-bit register, register-file entries narrow and wide. */
function mixed(): Isa {
  return inlineIsa({
    registers: [
      register('P', 16),
      {
        ...register('W', 64),
        fields: [
          { name: 'hi', hi: 63, lo: 40, role: 'control', span: sp },
          { name: 'mid', hi: 35, lo: 30, role: 'control', span: sp },
        ],
      },
      {
        ...register('S', 32),
        fields: [
          { name: 'top', hi: 31, lo: 31, role: 'mode', span: sp },
          { name: 'low', hi: 3, lo: 0, role: 'mode', span: sp },
          { name: 'ctl', hi: 30, lo: 8, role: 'control', span: sp },
        ],
      },
      register('C', 32, 0n, 'control'),
      register('D', 48, 0n, 'control'),
    ],
    files: [
      { name: 'n', count: 4, width: 12, role: 'control', readonly: false, names: [], span: sp },
      { name: 'q', count: 2, width: 40, role: 'control', readonly: false, names: [], span: sp },
    ],
  });
}

async function specs(): Promise<[string, Isa][]> {
  const out: [string, Isa][] = [['mixed', mixed()]];
  for (const n of LIBRARY) out.push([n, await spec(n)]);
  return out;
}

const big = (w: number) => fc.bigInt({ min: 0n, max: (1n << BigInt(w)) - 1n });

describe('ElementBank', () => {
  test('reads, writes and syncs exactly as readElement and writeElement do', async () => {
    for (const [name, isa] of await specs()) {
      for (const role of ['mode', 'control'] as const) {
        const els = elementsOfRole(isa, role);
        if (els.length === 0) continue;
        const seeds = fc.record({
          before: fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), { minLength: isa.registers.length, maxLength: isa.registers.length }),
          vals: fc.tuple(...els.map((e) => big(e.width))),
        });
        fc.assert(
          fc.property(seeds, ({ before, vals }) => {
            const a = createMachine(isa, { noReset: true, memoryCap: 1 << 30 });
            const b = createMachine(isa, { noReset: true, memoryCap: 1 << 30 });
            isa.registers.forEach((r, i) => {
              a.writeReg(r.name, before[i]!);
              b.writeReg(r.name, before[i]!);
            });
            const bank = new ElementBank(a, els);
            const vs: Val[] = vals.map((v, i) => bank.valueOf(i, v));
            bank.writeAll(vs);
            els.forEach((e, i) => writeElement(b, e, vals[i]!));
            expect(a.snapshot(), `${name} ${role}`).toEqual(b.snapshot());
            const out: Val[] = [];
            bank.readAll(out);
            expect(
              out.map((v) => BigInt(v)),
              name,
            ).toEqual(els.map((e) => readElement(b, e)));
            // Each value in the representation the bank promises.
            out.forEach((v, i) => expect(typeof v === 'bigint', name).toBe(bank.isWide(i)));
            // sync: nothing differs from what was read; then one changed element is reported.
            const put = out.slice(),
              virt = out.slice();
            expect(bank.sync(put, virt)).toBe(0);
            const k = vals.length - 1;
            const flipped = (vals[k]! ^ 1n) & ((1n << BigInt(els[k]!.width)) - 1n);
            writeElement(a, els[k]!, flipped);
            const changed = els.filter((_, i) => readElement(a, els[i]!) !== BigInt(put[i]!)).length;
            expect(bank.sync(put, virt)).toBe(changed);
            expect(BigInt(put[k]!)).toBe(readElement(a, els[k]!));
            expect(BigInt(virt[k]!)).toBe(readElement(a, els[k]!));
          }),
          { numRuns: 30 },
        );
      }
    }
  });

  test('knows which elements share bits', async () => {
    const isa = mixed();
    const m = createMachine(isa);
    const mode = new ElementBank(m, elementsOfRole(isa, 'mode'));
    const ctl = new ElementBank(m, elementsOfRole(isa, 'control'));
    expect(mode.overlaps()).toBe(false);
    expect(ctl.overlaps()).toBe(false);
    expect(mode.overlaps(ctl)).toBe(false);
    const whole = new ElementBank(m, [{ k: 'reg', name: 'S', reg: 'S', width: 32 }]);
    expect(mode.overlaps(whole)).toBe(true);
  });
});

describe('ModeTable', () => {
  test('gives the rank modeOfValues gives, for every assignment of small mode state', async () => {
    for (const [name, isa] of await specs()) {
      const els = elementsOfRole(isa, 'mode');
      const bits = els.reduce((n, e) => n + e.width, 0);
      if (els.length === 0 || bits > 12) continue;
      const table = new ModeTable(isa, els);
      for (let code = 0; code < 1 << bits; code++) {
        let rest = code;
        const vals = els.map((e) => {
          const v = rest & ((1 << e.width) - 1);
          rest >>>= e.width;
          return v;
        });
        const want = modeRank(isa, modeOfValues(isa, els, vals.map(BigInt)));
        expect(table.rank(vals), `${name} ${vals}`).toBe(want);
        expect(table.rank(vals), `${name} ${vals} (cached)`).toBe(want);
        expect(table.name(vals)).toBe(isa.modes[want]?.name);
      }
    }
  });
});

describe('a guest that enters its kernel often', () => {
  test('runs the same natively and under every monitor, with one reflected and one emulated trap per call', async () => {
    const isa = await spec('pg');
    const calls = 300;
    const program = asm(
      isa,
      `
        .kernel
        .org 4
        .word 0x00010000 + handler, 0x0000ffff
        .org 0x8
start:  LPSW [upsw]
handler: JZ r1, stop
        ADDI r9, 1
        LPSW [0]
stop:   HALT
upsw:   .word 0x00000040, 0x0000ffff
        .user
        .org 0x40
ustart: LOADI r1, ${calls}
outer:  LOADI r2, 7
inner:  LOADX r3, [r2+0x800]
        ADD r4, r2
        STOREX r4, [r2+0x800]
        ADDI r2, -1
        JNZ r2, inner
        ADDI r1, -1
        SVC 0
        JMP outer
        .entry start
`,
    );
    const bare = runGuest(isa, 'none', { program });
    expect(bare.outcome.kind).toBe('halted');
    expect(bare.guestState.files.r![9]).toBe(BigInt(calls - 1));
    for (const kind of ['trap', 'hybrid'] as const) {
      const r = runGuest(isa, kind, { program });
      expect(r.outcome, kind).toEqual({ ...bare.outcome, message: r.outcome.message });
      expect(diffStates(bare.guestState, r.guestState), kind).toEqual([]);
      expect(r.mode, kind).toBe('supervisor');
    }
    const t = runGuest(isa, 'trap', { program });
    // Every SVC is reflected; every LPSW (and the final HALT) is emulated.
    expect(t.stats.reflected).toBe(calls);
    expect(t.stats.emulated).toBe(calls + 1);
    expect(t.stats.traps).toBe(2 * calls + 1);
    expect(t.stats.steps).toBe(bare.outcome.steps);
  });
});
