// The generic dispatch rule on traps that are not of kind `privilege`: a MIPS R3000-style machine
// (test/vmm/fixtures/mipslike.isa) whose kseg0 is kernel-only (an address error in user mode) and
// whose coprocessor-0 instructions raise a coprocessor-unusable trap (kind illegal) in user mode.
// The guest kernel runs in real user mode, so both fire for it; the virtual machine (virtual
// kernel mode) would not trap, so the monitor must emulate, not reflect.
import { describe, expect, test } from 'vitest';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { GuestSession, runGuest, VmmError } from '../../src/vmm/index.js';
import { diffGuestStates } from '../../src/demo/index.js';
import { asm, MIPS_KERNEL } from './helpers.js';

async function fixture(name: string): Promise<Isa> {
  const r = await loadIsaFile(`test/vmm/fixtures/${name}.isa`);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.isa;
}

describe('mipslike: kseg0 and coprocessor 0 under the trap-and-emulate monitor', () => {
  test('a guest kernel in kseg0 runs identically natively and under trap and hybrid', async () => {
    const isa = await fixture('mipslike');
    const program = asm(isa, MIPS_KERNEL);
    const bare = runGuest(isa, 'none', { program });
    expect(bare.outcome.kind).toBe('halted');
    expect(bare.guestState.mem.ram!.get(0x300)).toBe(14n);
    expect(bare.guestState.mem.ram!.get(0x8200)).toBe(8n); // CAUSE: the syscall's vector
    expect(bare.guestState.mem.ram!.get(0x8201)).toBe(0x104n); // EPC: after the SYSCALL
    for (const kind of ['trap', 'hybrid'] as const) {
      const r = runGuest(isa, kind, { program }, { maxSteps: 10_000 });
      expect(r.outcome.kind, kind).toBe('halted');
      expect(r.outcome.steps, kind).toBe(bare.outcome.steps);
      expect(diffGuestStates(isa, bare.guestState, r.guestState), kind).toEqual([]);
      expect(r.mode, kind).toBe('kernel');
    }
  });

  test('every kseg0 fetch of the guest kernel is an address error the monitor emulates; the user SYSCALL is reflected', async () => {
    const isa = await fixture('mipslike');
    const r = runGuest(isa, 'trap', { program: asm(isa, MIPS_KERNEL) }, { trace: 100 });
    // 5 kernel instructions before ERET, 5 in the vector: all fetched from kseg0 in real user mode.
    expect(r.stats).toMatchObject({ steps: 14, direct: 3, emulated: 10, reflected: 1, traps: 11 });
    expect(r.placement.kind).toBe('identity');
    const events = r.events!;
    expect(events.filter((e) => e.action === 'emulated').every((e) => e.trap === 'address_error' && e.mode === 'kernel')).toBe(true);
    const reflected = events.filter((e) => e.action === 'reflected');
    expect(reflected).toEqual([expect.objectContaining({ trap: 'syscall', reflected: 'syscall', mode: 'user', pc: 0x103n })]);
    expect(reflected[0]!.reason).toMatch(/virtual machine \(user\) traps too/);
    // The trace shows the emulated kernel instructions too (the real fetch cannot decode them).
    expect(r.trace!.map((t) => t.mnemonic).slice(0, 5)).toEqual(['ADDIU', 'MTC0', 'ADDIU', 'MTC0', 'ERET']);
    // The hybrid monitor interprets the kernel (virtual kernel mode) and applies the same rule to
    // the user's SYSCALL.
    const h = runGuest(isa, 'hybrid', { program: asm(isa, MIPS_KERNEL) }, { trace: 100 });
    expect(h.stats).toMatchObject({ steps: 14, direct: 3, emulated: 10, reflected: 1 });
    expect(h.events!.map((e) => `${e.step}:${e.action}`)).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => `${n}:interpreted`),
      '9:reflected',
      ...[10, 11, 12, 13, 14].map((n) => `${n}:interpreted`),
    ]);
  });

  test('a coprocessor-unusable trap (kind illegal) of the guest kernel is emulated, not reflected', async () => {
    const isa = await fixture('mipslike');
    // The kernel in kuseg: fetches succeed in real user mode, only coprocessor 0 traps.
    const program = asm(
      isa,
      `
        .kernel
        .org 0x200
start:  ADDIU r1, r0, 0x55
        MTC0 r1, 2
        MFC0 r2, 2
        SW r2, 0x300(r0)
        WAIT
        .entry start
`,
    );
    const bare = runGuest(isa, 'none', { program });
    const r = runGuest(isa, 'trap', { program }, { trace: 100 });
    expect(r.outcome.kind).toBe('halted');
    expect(diffGuestStates(isa, bare.guestState, r.guestState)).toEqual([]);
    expect(r.guestState.mem.ram!.get(0x300)).toBe(0x55n);
    expect(r.stats).toMatchObject({ direct: 2, emulated: 3, reflected: 0 });
    expect(r.events!.map((e) => [e.trap, e.action])).toEqual([
      ['coprocessor_unusable', 'emulated'],
      ['coprocessor_unusable', 'emulated'],
      ['coprocessor_unusable', 'emulated'],
    ]);
  });

  test('a 4-instruction kernel program that reads kseg0 does not diverge', async () => {
    const isa = await fixture('mipslike');
    const program = asm(
      isa,
      `
        .kernel
        .org 0x200
start:  LW r1, 0x8100(r0)
        ADDIU r1, r1, 1
        SW r1, 0x300(r0)
        WAIT
        .org 0x8100
        .word 0x41
        .entry start
`,
    );
    const bare = runGuest(isa, 'none', { program });
    for (const kind of ['trap', 'hybrid'] as const) {
      const r = runGuest(isa, kind, { program });
      expect(r.outcome.kind, kind).toBe('halted');
      expect(diffGuestStates(isa, bare.guestState, r.guestState), kind).toEqual([]);
      expect(r.guestState.mem.ram!.get(0x300), kind).toBe(0x42n);
    }
    // The same read from a user program is an address error on both machines alike.
    const user = asm(
      isa,
      `
        .kernel
        .org 0x8000
start:  ADDIU r1, r0, 0x200
        MTC0 r1, 1
        ADDIU r2, r0, 8
        MTC0 r2, 0
        ERET
        .org 0x8080
        MFC0 r3, 2
        SW r3, 0x8200(r0)
        WAIT
        .user
        .org 0x200
        LW r1, 0x8100(r0)
        .entry start
`,
    );
    const b2 = runGuest(isa, 'none', { program: user });
    const t2 = runGuest(isa, 'trap', { program: user });
    expect(b2.guestState.mem.ram!.get(0x8200)).toBe(4n); // address_error
    expect(diffGuestStates(isa, b2.guestState, t2.guestState)).toEqual([]);
  });

  test('the monitor places a guest only through the spec: no relocation here, so no allocation', async () => {
    const isa = await fixture('mipslike');
    const program = asm(isa, MIPS_KERNEL);
    expect(() => new GuestSession(isa, 'trap', { program }, { allocation: [{ memory: 'ram', base: 0x8000, size: 0x8000 }] })).toThrow(VmmError);
    expect(() => new GuestSession(isa, 'trap', { program }, { allocation: [{ memory: 'ram', base: 0x8000, size: 0x8000 }] })).toThrow(
      /not base-and-bound relocations/,
    );
    // A window at 0 over the whole memory is the identity: accepted.
    expect(new GuestSession(isa, 'trap', { program }, { allocation: [{ memory: 'ram', base: 0, size: 0x10000 }] }).placement.kind).toBe('identity');
  });
});

describe('pg_raw: a physical read that bypasses the relocation', () => {
  test("LOADP shows the guest the monitor's storage: the runs differ (no remapping of raw accesses)", async () => {
    const isa = await fixture('pg-raw');
    const program = asm(
      isa,
      `
        .kernel
        .org 0x10
start:  LOADI r1, 0x55
        STORE r1, [0x40]
        LOADP r2, [0x40]
        STORE r2, [0x300]
        HALT
`,
    );
    const bare = runGuest(isa, 'none', { program });
    const s = new GuestSession(isa, 'trap', { program });
    const r = s.result(s.run());
    expect(r.placement).toEqual({
      kind: 'relocation',
      windows: [{ memory: 'E', base: 0x8000, size: 0x8000 }],
      registers: [{ base: 'R.base', bound: 'R.bound' }],
    });
    expect(bare.guestState.regs.R).toBe(0xffffn);
    expect(bare.guestState.files.r![2]).toBe(0x55n);
    // Under the monitor, LOADP read host word 0x40: the monitor's own storage, not the guest's.
    expect(r.guestState.files.r![2]).toBe(s.machine.readMem('E', 0x40));
    expect(r.guestState.files.r![2]).not.toBe(0x55n);
    expect(diffGuestStates(isa, bare.guestState, r.guestState).map((d) => d.element)).toEqual(['r[2]', 'E[0x300]']);
    // The real relocation register composes the guest's (base 0, bound 0xffff) with the allocation.
    expect(s.machine.readReg('R')).toBe((0x8000n << 16n) | 0x8000n);
  });
});
