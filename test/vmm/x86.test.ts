// The 80386 guest programs (isas/x86-386/*.s) diverge under the trap-and-emulate monitor as their
// headers say and agree with the bare machine once patched; x86-vt's runs the same everywhere;
// the PDP-10's JRST 1 is fixed by patching. One analysis per spec for the whole file.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, test } from 'vitest';
import { runGuest, type GuestOptions, type GuestRun } from '../../src/vmm/index.js';
import { ownableControl, ownedControlDefaults } from '../../src/vmm/elements.js';
import { analyzeIsa, type IsaAnalysis } from '../../src/analysis/index.js';
import { diffGuestStates } from '../../src/demo/index.js';
import type { Isa } from '../../src/ir/types.js';
import type { Program } from '../../src/asm/index.js';
import { asm, spec } from './helpers.js';

const analyses = new Map<string, IsaAnalysis>();

function patchLists(name: string): GuestOptions {
  const a = analyses.get(name)!;
  return {
    offenders: a.theorem1.offenders.map((o) => o.mnemonic),
    privileged: a.instructions.filter((c) => c.privileged.value === 'yes').map((c) => c.mnemonic),
  };
}

interface Runs {
  isa: Isa;
  program: Program;
  bare: GuestRun;
  trap: GuestRun;
  patched: GuestRun;
}

async function runs(name: string, file: string, extra: GuestOptions = {}): Promise<Runs> {
  const isa = await spec(name);
  const program = asm(isa, readFileSync(`isas/${name}/${file}`, 'utf8'), file);
  const opts = { maxSteps: 100_000, ...extra };
  return {
    isa,
    program,
    bare: runGuest(isa, 'none', { program }, opts),
    trap: runGuest(isa, 'trap', { program }, opts),
    patched: runGuest(isa, 'patched', { program }, { ...opts, ...patchLists(name) }),
  };
}

/** A little-endian word of `n` bytes at `addr` of the guest's memory. */
function le(isa: Isa, r: GuestRun, addr: number, n = 4): bigint {
  const m = r.guestState.mem[isa.memories[0]!.name] ?? new Map<number, bigint>();
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | (m.get(addr + i) ?? 0n);
  return v;
}

beforeAll(async () => {
  for (const name of ['x86-386', 'x86-vt', 'pdp10']) analyses.set(name, await analyzeIsa(await spec(name)));
}, 300_000);

describe('the monitor owns the control state it can', () => {
  test('pg: nothing (its relocation register is read by the translation)', async () => {
    expect(ownableControl(await spec('pg'))).toEqual([]);
  });

  test('x86: what the trap entry and the assumptions read (descriptor tables, IF, IOPL); not the segment caches the views read', async () => {
    // The monitor owns the control state the machine consults to keep it in control: the trap
    // entry reads IDTR, GDTR, the LDT and TSS descriptors and EFLAGS; `assume` reads IOPL. The
    // rest it mirrors (analysis/decide.ts, monitorOwned).
    const names = ownableControl(await spec('x86-386')).map((e) => e.name);
    expect(names.sort()).toEqual(['EFLAGS.IF', 'EFLAGS.IOPL', 'GDTR', 'IDTR', 'LDTR_desc', 'TR_desc']);
    for (const n of ['CS_desc', 'DS_desc', 'SS_desc', 'ES_desc']) expect(names).not.toContain(n);
    // Its own values are those it booted with: the reset state's IDT at 0, limit 0x7ff.
    expect(ownedControlDefaults(await spec('x86-386')).IDTR).toBe(0x7ffn);
  });
});

describe('isas/x86-386 guest programs', () => {
  test("redpill.s: SIDT shows the user program the monitor's IDT base; patched shows the kernel's", async () => {
    const { isa, program, bare, trap, patched } = await runs('x86-386', 'redpill.s');
    const base = program.labels.base!;
    expect(bare.outcome.kind).toBe('halted');
    expect(le(isa, bare, base)).toBe(0x2000n);
    expect(le(isa, trap, base)).toBe(0n);
    expect(trap.outcome.kind).toBe('halted');
    expect(le(isa, patched, base)).toBe(0x2000n);
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
    expect(patched.patches.map((p) => p.mnemonic)).toContain('SIDT');
    // Data that looks like an opcode (the 0x07 of the IDTR image is POP ES) is not patched.
    expect(patched.patches.every((p) => p.address < program.labels.handler!)).toBe(true);
  });

  test("redpill.s: the monitor's IDT where the caller puts it; passing the guest's IDTR through hides the pill", async () => {
    const isa = await spec('x86-386');
    const program = asm(isa, readFileSync('isas/x86-386/redpill.s', 'utf8'));
    const base = program.labels.base!;
    const own = runGuest(isa, 'trap', { program }, { monitorControl: { IDTR: 0x7f0007ffn } });
    expect(le(isa, own, base)).toBe(0x7f00n);
    const through = runGuest(isa, 'trap', { program }, { ownControl: false });
    expect(le(isa, through, base)).toBe(0x2000n);
  });

  test('popf-cli.s: POPF cannot clear the virtual IF; patched it can', async () => {
    const { isa, program, bare, trap, patched } = await runs('x86-386', 'popf-cli.s');
    const ifOf = (r: GuestRun) => (r.guestState.regs.EFLAGS! >> 9n) & 1n;
    expect(ifOf(bare)).toBe(0n);
    expect(ifOf(trap)).toBe(1n);
    expect(le(isa, bare, program.labels.flags!) & 0x200n).toBe(0n);
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
  });

  test('cs-privilege.s: the kernel reads RPL 0 natively, 3 under the monitor; patched 0', async () => {
    const { isa, program, bare, trap, patched } = await runs('x86-386', 'cs-privilege.s');
    for (const label of ['rpl_mov', 'rpl_push']) {
      expect(le(isa, bare, program.labels[label]!), label).toBe(0n);
      expect(le(isa, trap, program.labels[label]!), label).toBe(3n);
      expect(le(isa, patched, program.labels[label]!), label).toBe(0n);
    }
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
  });

  test('a kernel using every far transfer (JMP FAR, CALL FAR, RETF, INT, IRET): patched agrees with the bare machine', async () => {
    const isa = await spec('x86-386');
    const program = asm(
      isa,
      `
        .kernel
        .org 0x1000
start:  LIDT [idtr]
        JMP FAR 0x08:k1
k1:     CALL FAR 0x08:sub
        INT 0x30
        MOV [0x1400], eax
        MOV [0x1404], ebx
        HLT
        .org 0x1100
sub:    MOV eax, 7
        RETF
        .org 0x1200
h30:    MOV ebx, 9
        IRET
        .org 0x1300
idtr:   .word 0xff, 0x07, 0x00, 0x20, 0x00, 0x00
        .org 0x2180
gate30: .word 0x00, 0x12, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00
`,
    );
    const bare = runGuest(isa, 'none', { program }, { maxSteps: 10_000 });
    expect(bare.outcome.kind).toBe('halted');
    expect([le(isa, bare, 0x1400), le(isa, bare, 0x1404)]).toEqual([7n, 9n]);
    const patched = runGuest(isa, 'patched', { program }, { maxSteps: 10_000, ...patchLists('x86-386') });
    expect(patched.outcome.kind).toBe('halted');
    expect(patched.patches.map((p) => p.mnemonic).sort()).toEqual(['CALLF', 'INT', 'IRET', 'JMPF', 'RETF']);
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
    // Unpatched, INT reads the monitor's IDT, which has no gate 0x30: it faults, and the monitor
    // (which gets every trap) runs it on the virtual machine, the guest's IDT, and emulates it.
    const trap = runGuest(isa, 'trap', { program }, { maxSteps: 10_000 });
    expect(le(isa, trap, 0x1404)).toBe(9n);
  });
});

describe('IRET from the kernel to user mode (Robin and Irvine 2000)', () => {
  // The kernel returns to ring 3 with IRET. Deprivileged at real ring 3, the same IRET is a
  // same-level return: it does not trap, pops no SS:ESP and leaves the mode, so the monitor never
  // sees it. That is what makes IRET an offender under the exact monitor too; the generic monitor
  // cannot hide it (and patching does).
  test('diverges under trap, agrees patched', async () => {
    const isa = await spec('x86-386');
    const program = asm(
      isa,
      `
        .kernel
        .org 0x1000
start:  PUSH 0x23
        PUSH 0x60000
        PUSH 0x202
        PUSH 0x1b
        PUSH user
        IRET
        .user
        .org 0x1200
user:   MOV eax, esp
        JMP user
`,
    );
    const opts = { maxSteps: 8 };
    const bare = runGuest(isa, 'none', { program }, opts);
    const trap = runGuest(isa, 'trap', { program }, opts);
    expect(bare.mode).toBe('ring3');
    expect(bare.guestState.files.gpr![4]).toBe(0x60000n);
    expect(trap.stats.traps).toBe(0);
    expect(trap.mode).toBe('ring0');
    expect(diffGuestStates(isa, bare.guestState, trap.guestState).map((d) => d.element)).toEqual(expect.arrayContaining(['CS.RPL', 'esp', 'EFLAGS.IF']));
    const patched = runGuest(isa, 'patched', { program }, { ...opts, ...patchLists('x86-386') });
    expect(patched.patches.map((p) => p.mnemonic)).toEqual(['IRET']);
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
  });
});

describe('other specs', () => {
  test('x86-vt/popf-cli.s: the same on the bare machine and under every monitor', async () => {
    const { isa, program, bare, trap, patched } = await runs('x86-vt', 'popf-cli.s');
    expect(bare.outcome.kind).toBe('halted');
    expect(le(isa, bare, program.labels.flags!)).toBe(0x2n);
    expect(diffGuestStates(isa, bare.guestState, trap.guestState)).toEqual([]);
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
  });

  test('pdp10/jrst1.s: result 1 natively, 2 under the monitor, 1 patched', async () => {
    const { isa, program, bare, trap, patched } = await runs('pdp10', 'jrst1.s');
    const at = (r: GuestRun, a: number) => r.guestState.mem[isa.memories[0]!.name]!.get(a) ?? 0n;
    const result = program.labels.result!;
    expect(at(bare, result)).toBe(1n);
    expect(at(trap, result)).toBe(2n);
    expect(at(patched, result)).toBe(1n);
    expect(patched.patches.map((p) => p.mnemonic)).toEqual(['JRST1']);
    expect(diffGuestStates(isa, bare.guestState, patched.guestState)).toEqual([]);
  });
});
