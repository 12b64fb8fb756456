import { describe, expect, test } from 'vitest';
import { runGuest, GuestSession, MONITORS } from '../../src/vmm/index.js';
import { diffStates } from '../../src/exec/interpret.js';
import { asm, spec, PG_LPSW_SVC, PG_PRELUDE } from './helpers.js';

describe('monitors on pg.isa', () => {
  test('LPSW to user, SVC back to the kernel: identical under every monitor', async () => {
    const isa = await spec('pg');
    const program = asm(isa, PG_LPSW_SVC);
    const bare = runGuest(isa, 'none', { program });
    expect(bare.outcome.kind).toBe('halted');
    const E = bare.guestState.mem.E!;
    expect(E.get(0x300)).toBe(4n); // supervisor_call
    expect(E.get(0x302)).toBe(12n);
    expect(E.get(0x301)! >> 16n).toBe(0n); // the old PSW: user mode
    for (const kind of ['trap', 'hybrid', 'patched'] as const) {
      const r = runGuest(isa, kind, { program }, { offenders: [] });
      expect(r.outcome.kind, kind).toBe('halted');
      expect(diffStates(bare.guestState, r.guestState), kind).toEqual([]);
      expect(r.mode, kind).toBe('supervisor');
    }
  });

  test('the trap monitor emulates privileged kernel instructions and reflects user traps', async () => {
    const isa = await spec('pg');
    const r = runGuest(isa, 'trap', { program: asm(isa, PG_LPSW_SVC) });
    // LPSW and HALT are emulated; the SVC from user mode is reflected into the guest's handler.
    expect(r.stats.emulated).toBe(2);
    expect(r.stats.reflected).toBe(1);
    expect(r.stats.traps).toBe(3);
    // The real machine ran the kernel in user mode: M is 0 in the host, 1 in the guest's view.
    expect(r.guestState.regs.M).toBe(1n);
  });

  test('the hybrid monitor interprets every kernel instruction and runs user code directly', async () => {
    const isa = await spec('pg');
    const r = runGuest(isa, 'hybrid', { program: asm(isa, PG_LPSW_SVC) });
    // Kernel: 3 before LPSW, 5 in the handler; user: ADD, STORE run directly (SVC traps).
    expect(r.stats.emulated).toBe(8);
    expect(r.stats.direct).toBe(2);
  });

  test('resource control: an access beyond the allocation traps into the guest, never into monitor memory', async () => {
    const isa = await spec('pg');
    const program = asm(
      isa,
      `${PG_PRELUDE}
        .org 0x10
start:  LOADI r1, 0x77
        STORE r1, [0x9000]
        LOAD r2, [0x9001]
        HALT
handler: LOAD r5, [2]
        STORE r5, [0x300]
        HALT
        .entry start
`,
    );
    const s = new GuestSession(isa, 'trap', { program });
    const before = s.machine.snapshot().mem.E!;
    const out = s.run();
    expect(out.kind).toBe('halted');
    const after = s.machine.snapshot().mem.E!;
    const win = s.allocation.find((w) => w.memory === 'E')!;
    expect(win).toEqual({ memory: 'E', base: 0x8000, size: 0x8000 });
    // The guest's own handler saw the memory trap (vector 2), and the store never happened.
    const g = s.guestState().mem.E!;
    expect(g.get(0x300)).toBe(2n);
    expect(g.get(0x9000 - 0x8000)).toBeUndefined();
    // Host memory outside the window is exactly what the monitor put there.
    const outside = (m: Map<number, bigint>) => [...m].filter(([a]) => a < win.base || a >= win.base + win.size).sort((a, b) => a[0] - b[0]);
    expect(outside(before).length).toBeGreaterThan(0);
    expect(outside(after)).toEqual(outside(before));
    // On the bare machine the same program stores at 0x9000: the two runs differ, as they should.
    const bare = runGuest(isa, 'none', { program });
    expect(bare.guestState.mem.E!.get(0x9000)).toBe(0x77n);
  });

  test('a relocated user program: the real R composes its base with the allocation, its bound traps alike', async () => {
    const isa = await spec('pg');
    const program = asm(
      isa,
      `${PG_PRELUDE}
        .org 0x10
start:  LPSW [upsw]
handler: LOAD r5, [2]
        STORE r5, [0x300]
        LOAD r6, [0x2010]
        STORE r6, [0x301]
        HALT
upsw:   .word 0, 0x20000100
        .user
        .org 0x2000
        LOADI r1, 3
        STORE r1, [0x10]
        LOAD r2, [0x100]
`,
    );
    const bare = runGuest(isa, 'none', { program });
    expect(bare.guestState.mem.E!.get(0x2010)).toBe(3n);
    expect(bare.guestState.mem.E!.get(0x300)).toBe(2n); // LOAD [0x100]: beyond the bound
    const s = new GuestSession(isa, 'trap', { program });
    // After LPSW the guest runs with R = (0x2000, 0x100): the real R is (0xa000, 0x100).
    s.run(2);
    expect(s.machine.readReg('R')).toBe((0xa000n << 16n) | 0x100n);
    const r = s.result(s.run());
    expect(r.outcome.kind).toBe('halted');
    expect(diffStates(bare.guestState, r.guestState)).toEqual([]);
    // The user's STORE ran directly, into the host word behind the guest's 0x2010.
    expect(s.machine.readMem('E', 0x8000 + 0x2010)).toBe(3n);
  });

  test('the step budget ends an endless loop with a clear message', async () => {
    const isa = await spec('pg');
    const program = asm(
      isa,
      `
        .kernel
        .org 0x10
start:  LOADI r1, 1
loop:   JNZ r1, loop
`,
    );
    for (const kind of MONITORS) {
      const r = runGuest(isa, kind, { program }, { maxSteps: 5000, offenders: [] });
      expect(r.outcome.kind, kind).toBe('budget');
      expect(r.outcome.steps, kind).toBe(5000);
      expect(r.outcome.message).toMatch(/step budget of 5000 instructions.*endless loop/);
    }
  });

  test('the time limit ends an endless loop under every monitor, counting every step', async () => {
    const isa = await spec('pg');
    // In the kernel: the hybrid monitor interprets it one instruction at a time, the others run it
    // directly; SVC in the loop makes every other instruction a trap the monitor takes.
    for (const body of ['loop:   JNZ r1, loop', 'loop:   SVC 1\n        JNZ r1, loop']) {
      const program = asm(
        isa,
        `
        .kernel
        .org 4
newpsw: .word 0x00010000 + loop, 0x0000ffff
        .org 0x10
start:  LOADI r1, 1
${body}
`,
      );
      for (const kind of MONITORS) {
        const r = runGuest(isa, kind, { program }, { maxSteps: Number.MAX_SAFE_INTEGER, timeLimitMs: 50, offenders: [] });
        if (r.outcome.kind !== 'time') throw new Error(`${kind}: expected the time limit, got ${r.outcome.kind}: ${r.outcome.message}`);
        expect(r.outcome.limitMs, kind).toBe(50);
        expect(r.outcome.steps, kind).toBe(r.stats.steps);
        expect(r.outcome.steps, kind).toBeGreaterThan(3);
        expect(r.outcome.message, kind).toMatch(new RegExp(`^stopped by the time limit of 0.05 s at pc=0x[0-9a-f]+ after ${r.outcome.steps} instructions`));
      }
    }
  });

  test('a guest that does not fit its allocation is a clear error', async () => {
    const isa = await spec('pg');
    const program = asm(
      isa,
      `
        .kernel
        .org 0x9000
start:  HALT
`,
    );
    expect(() => runGuest(isa, 'trap', { program })).toThrow(/outside the guest's allocation/);
  });
});
