// Block compilation (src/exec/compile.ts): a hot pc's straight-line run of instructions becomes one
// generated function. It must be indistinguishable from running the instructions one by one: the
// same states after any number of steps, precise traps in the middle of a block, code written
// while (or between) runs taking effect at the next instruction, a changed fetch translation
// honoured, timers at the exact instruction count. The reference is the interpreter
// (stepInstruction), which knows nothing of blocks.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMachine } from '../../src/exec/machine.js';
import { blockStats } from '../../src/exec/compile.js';
import { diffStates, stepInstruction } from '../../src/exec/interpret.js';
import type { ConcreteState } from '../../src/exec/state.js';
import type { Isa } from '../../src/ir/types.js';
import { loadIsaFile } from '../../src/ir/index.js';
import { assemble, programImage } from '../../src/asm/index.js';
import { bin, c, encode, halt, inlineIsa, instr, loadPg, mem, opnd, reg, register, Rng, root, setReg, sp, assign } from './helpers.js';

const pg = loadPg();
const E = (m: string, ops: Record<string, number> = {}) => BigInt(encode(pg, m, ops));

/** The reference: `n` whole steps (fetch, decode, run, trap entry) of the interpreter. */
function refSteps(isa: Isa, s: ConcreteState, n: number): { state: ConcreteState; stopped: boolean } {
  let state = s;
  for (let i = 0; i < n; i++) {
    const r = stepInstruction(isa, state);
    state = r.state;
    if (r.kind === 'halt' || r.kind === 'stuck') return { state, stopped: true };
  }
  return { state, stopped: false };
}

/** Run the machine and the reference from `init` in chunks, comparing the whole state after each. */
function agreeInChunks(isa: Isa, init: ConcreteState, chunks: number[]): void {
  const m = createMachine(isa, { noReset: true });
  const one = createMachine(isa, { noReset: true, blocks: false });
  m.restore(init);
  one.restore(init);
  let ref = init;
  for (const n of chunks) {
    const out = m.run({ maxSteps: n });
    const r = refSteps(isa, ref, n);
    ref = r.state;
    expect(diffStates(ref, m.snapshot())).toEqual([]);
    // The one-instruction loop (no blocks) agrees too, counters included.
    expect(one.run({ maxSteps: n })).toEqual(out);
    expect(one.counters).toEqual(m.counters);
    if (r.stopped || out.kind !== 'budget') {
      expect(out.kind === 'budget').toBe(false);
      expect(r.stopped).toBe(true);
      return;
    }
  }
}

/** pg with a handler at 0x80 that skips the trapping (or, for SVC, the following) instruction and
 *  returns to the interrupted PSW: every trap is taken and the program goes on. */
function pgImage(user: bigint[], base = 0, bound = 0x200): ConcreteState {
  const words = new Map<number, bigint>();
  words.set(4, (1n << 16n) | 0x80n); // new PSW: supervisor, pc 0x80
  words.set(5, 0xffffn); // whole storage
  const handler = [E('LOAD', { rd: 13, a: 0 }), E('ADDI', { rd: 13, value: 1 }), E('STORE', { rs: 13, a: 0 }), E('LPSW', { a: 0 })];
  handler.forEach((w, i) => words.set(0x80 + i, w));
  user.forEach((w, i) => {
    if (w !== 0n) words.set(base + 0x10 + i, w);
  });
  return { regs: { M: 0n, P: 0x10n, R: (BigInt(base) << 16n) | BigInt(bound) }, files: { r: new Array(16).fill(0n) }, mem: { E: words } };
}

/** A random user program: registers set, then a loop of random instructions (arithmetic, loads
 *  and stores in data and in its own code, forward branches, traps of every kind), restarted
 *  forever. */
function randomPgProgram(rng: Rng): bigint[] {
  const p: bigint[] = [];
  for (let r = 1; r <= 12; r++) p.push(E('LOADI', { rd: r, value: rng.int(4) === 0 ? 0 : rng.int(65536) }));
  p.push(E('LOADI', { rd: 15, value: 20 + rng.int(40) }));
  const loop = 0x10 + p.length;
  const n = 3 + rng.int(12);
  const rr = () => 1 + rng.int(12);
  const data = () => (rng.int(8) === 0 ? 0x10 + rng.int(0x30) : rng.int(16) === 0 ? 0x200 + rng.int(16) : 0x100 + rng.int(32));
  for (let i = 0; i < n; i++) {
    const after = loop + i + 1;
    switch (rng.int(14)) {
      case 0:
        p.push(E('LOADI', { rd: rr(), value: rng.int(65536) }));
        break;
      case 1:
        p.push(E(rng.pick(['ADD', 'SUB', 'AND', 'OR', 'XOR']), { rd: rr(), rs: rr() }));
        break;
      case 2:
        p.push(E('ADDI', { rd: rr(), value: rng.int(65536) }));
        break;
      case 3:
        p.push(E('SHL', { rd: rr(), n: rng.int(32) }));
        break;
      case 4:
        p.push(E('DIV', { rd: rr(), rs: rr() }));
        break;
      case 5:
        p.push(E('LOAD', { rd: rr(), a: data() }));
        break;
      case 6:
        p.push(E('STORE', { rs: rr(), a: data() }));
        break;
      case 7:
        p.push(E('LOADX', { rd: rr(), rx: 0, off: data() }));
        break;
      case 8:
        p.push(E('STOREX', { rs: rr(), rx: 0, off: data() }));
        break;
      case 9:
        p.push(E(rng.pick(['JZ', 'JNZ']), { rs: rr(), a: Math.min(after + rng.int(3), loop + n) }));
        break;
      case 10:
        p.push(E('SVC', { n: rng.int(256) }));
        break;
      case 11:
        p.push(E('GETR', { rd: rr() }));
        break;
      default:
        p.push(E('ADD', { rd: rr(), rs: rr() }));
        break;
    }
  }
  p.push(E('ADDI', { rd: 15, value: 0xffff }), E('JNZ', { rs: 15, a: loop }), E('JMP', { a: 0x10 }));
  return p;
}

describe('compiled blocks agree with the reference interpreter', () => {
  it('random pg programs in user mode, compared in chunks of random length', () => {
    const built = blockStats.built;
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 3, maxLength: 6 }), (seed, chunks) => {
        const rng = new Rng(seed);
        agreeInChunks(pg, pgImage(randomPgProgram(rng), rng.int(2) ? 0 : 0x400), chunks);
      }),
      { numRuns: 40 },
    );
    // The programs loop: blocks were built and ran (the comparison above is about them).
    expect(blockStats.built).toBeGreaterThan(built);
  });

  it('property: a run the time limit stops is the state of exactly the steps it reports', () => {
    // Random looping user programs whose traps the handler takes: the clock ends a slice at a
    // block boundary or between instructions, never inside one, and the count is exact.
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 20 }), (seed, ms) => {
        const rng = new Rng(seed);
        const init = pgImage(randomPgProgram(rng), rng.int(2) ? 0 : 0x400);
        const timed = createMachine(pg, { noReset: true, timeLimitMs: ms });
        timed.restore(init);
        const out = timed.run({ maxSteps: Number.MAX_SAFE_INTEGER });
        if (out.kind !== 'time') return; // it halted or stopped on its own
        expect(out.steps).toBe(timed.counters.steps);
        const counted = createMachine(pg, { noReset: true });
        counted.restore(init);
        expect(counted.run({ maxSteps: out.steps })).toMatchObject({ kind: 'budget', steps: out.steps });
        expect(diffStates(counted.snapshot(), timed.snapshot())).toEqual([]);
        expect(counted.counters).toEqual(timed.counters);
      }),
      { numRuns: 15 },
    );
  });

  it('a store into the running block takes effect at the next instruction', () => {
    // The loop stores r6 at (r5 << 8) + 0x1b, data until r5 reaches 0 in the 41st iteration (well
    // after the loop became a block); then the store, from inside the block, overwrites the
    // block's own `ADDI r2, 1` at 0x1b with `ADDI r2, 100`.
    const patch = E('ADDI', { rd: 2, value: 100 });
    const loop = 0x15;
    const prog = [
      E('LOADI', { rd: 15, value: 80 }),
      E('LOADI', { rd: 5, value: 41 }),
      E('LOADI', { rd: 6, value: Number(patch >> 16n) }),
      E('SHL', { rd: 6, n: 16 }),
      E('ADDI', { rd: 6, value: Number(patch & 0xffffn) }),
      E('ADDI', { rd: 5, value: 0xffff }), // loop:
      E('LOADI', { rd: 7, value: 0 }),
      E('OR', { rd: 7, rs: 5 }),
      E('SHL', { rd: 7, n: 8 }),
      E('STOREX', { rs: 6, rx: 7, off: 0x1b }),
      E('ADDI', { rd: 3, value: 1 }),
      E('ADDI', { rd: 2, value: 1 }), // 0x1b
      E('ADDI', { rd: 15, value: 0xffff }),
      E('JNZ', { rs: 15, a: loop }),
      E('HALT'),
    ];
    const init = pgImage(prog, 0, 0xffff);
    init.regs.M = 1n; // supervisor, so the HALT halts
    const m = createMachine(pg, { noReset: true });
    m.restore(init);
    const built = blockStats.built;
    const out = m.run({ maxSteps: 10_000 });
    expect(out.kind).toBe('halted');
    expect(blockStats.built).toBeGreaterThan(built);
    const ref = refSteps(pg, init, 10_000);
    expect(ref.stopped).toBe(true);
    expect(diffStates(ref.state, m.snapshot())).toEqual([]);
    // 40 iterations of +1 before the patch, 40 of +100 from the one that patched.
    expect(m.readFile('r', 2)).toBe(40n + 40n * 100n);
  });

  it('code written from outside between runs (writeMem, restore) is what runs next', () => {
    const prog = [E('ADDI', { rd: 1, value: 1 }), E('ADDI', { rd: 2, value: 3 }), E('JMP', { a: 0x10 })];
    const m = createMachine(pg, { noReset: true });
    m.restore(pgImage(prog));
    m.run({ maxSteps: 300 });
    expect(m.readFile('r', 1)).toBe(100n);
    m.writeMem('E', 0x11, E('ADDI', { rd: 2, value: 7 }));
    m.run({ maxSteps: 300 });
    expect(m.readFile('r', 1)).toBe(200n);
    expect(m.readFile('r', 2)).toBe(300n + 700n);
    m.restore(pgImage([E('ADDI', { rd: 4, value: 2 }), E('JMP', { a: 0x10 })]));
    m.run({ maxSteps: 300 });
    expect(m.readFile('r', 4)).toBe(300n);
    expect(m.readFile('r', 1)).toBe(0n);
  });

  it('a changed relocation register (the fetch translation) selects the other copy of the code', () => {
    // Two copies of a loop at base 0 and base 0x400; the monitor moves the guest between them.
    const a = [E('ADDI', { rd: 1, value: 1 }), E('JMP', { a: 0x10 })];
    const b = [E('ADDI', { rd: 2, value: 1 }), E('JMP', { a: 0x10 })];
    const init = pgImage(a);
    pgImage(b, 0x400).mem.E!.forEach((v, k) => {
      if (k >= 0x400) init.mem.E!.set(k, v);
    });
    const m = createMachine(pg, { noReset: true });
    m.restore(init);
    m.run({ maxSteps: 200 });
    const moved = (0x400n << 16n) | 0x200n;
    m.writeReg('R', moved);
    m.run({ maxSteps: 200 });
    expect(m.readFile('r', 1)).toBe(100n);
    expect(m.readFile('r', 2)).toBe(100n);
    const half = refSteps(pg, init, 200).state;
    half.regs.R = moved;
    expect(diffStates(refSteps(pg, half, 200).state, m.snapshot())).toEqual([]);
  });

  it('a trap in the middle of a block leaves the state of the instructions before it', () => {
    // r6 grows by 0x10 each iteration; the LOADX in the middle of the loop reaches the bound
    // (0x200) after many iterations: everything before it in that iteration is done, it is not.
    const loop = 0x10 + 1;
    const prog = [
      E('LOADI', { rd: 6, value: 0 }),
      E('ADDI', { rd: 1, value: 1 }),
      E('ADDI', { rd: 6, value: 0x10 }),
      E('LOADX', { rd: 3, rx: 6, off: 0x100 }),
      E('ADDI', { rd: 2, value: 1 }),
      E('JMP', { a: loop }),
    ];
    const init = pgImage(prog);
    const seen: { pc: bigint; r1: bigint; r2: bigint; r6: bigint }[] = [];
    const m = createMachine(pg, {
      noReset: true,
      onTrap: (t, _ret, mm) => {
        if (t.name === 'memory_trap') seen.push({ pc: mm.pc, r1: mm.readFile('r', 1), r2: mm.readFile('r', 2), r6: mm.readFile('r', 6) });
        return false;
      },
    });
    m.restore(init);
    m.run({ maxSteps: 200 });
    // 0x100 + r6 >= 0x200 first when r6 = 0x100: the 16th iteration.
    expect(seen[0]).toEqual({ pc: 0x13n, r1: 16n, r2: 15n, r6: 0x100n });
    expect(diffStates(refSteps(pg, init, 200).state, m.snapshot())).toEqual([]);
  });
});

describe('registers kept in locals across a block', () => {
  it('a trap, a halt or a store into the code in the middle stores back what the instructions before it wrote', () => {
    // INCA; INCX; LDV (traps once X reaches LIM); INCA; JMP 0, with A and X plain registers (a
    // block keeps them in locals). The trap entry counts in K and skips the trapping instruction.
    const isa = inlineIsa({
      registers: [register('P', 8), register('A', 8), register('X', 8), register('LIM', 8, 40n), register('K', 8)],
      views: [{ name: 'V', memory: 'E', translation: 'tr', span: sp }],
      translations: [
        {
          name: 'tr',
          param: { name: 'x', width: 8 },
          resultWidth: 8,
          span: sp,
          body: [
            { k: 'if', cond: bin('uge', { k: 'param', name: 'x', width: 8 }, reg('LIM', 8)), then: [{ k: 'trap', trap: 'mt', span: sp }], else: [], span: sp },
          ],
          result: { k: 'param', name: 'x', width: 8 },
        },
      ],
      traps: [{ name: 'mt', kind: 'memory', vector: 1, span: sp }],
      trapEntry: [setReg('K', 8, bin('add', reg('K', 8), c(8, 1))), setReg('P', 8, bin('add', { k: 'builtin', name: 'return_pc', width: 8 }, c(8, 1)))],
      instructions: [
        instr('INCA', 8, 8, 1, [], [setReg('A', 8, bin('add', reg('A', 8), c(8, 1)))]),
        instr('INCX', 8, 8, 2, [], [setReg('X', 8, bin('add', reg('X', 8), c(8, 1)))]),
        instr('LDV', 8, 8, 3, [], [setReg('A', 8, bin('add', reg('A', 8), mem('V', reg('X', 8), 1, 8)))]),
        instr('JMP', 16, 8, 4, [{ name: 'a', kind: 'addr', width: 8 }], [setReg('P', 8, opnd('a', 8))]),
        // Halts when X is 50; stores 0 into E[6] (the JMP's target: a watched word, unchanged).
        instr('HLTX', 8, 8, 5, [], [{ k: 'if', cond: bin('eq', reg('X', 8), c(8, 50)), then: [halt()], else: [], span: sp }]),
        instr('STZ', 8, 8, 6, [], [assign({ k: 'mem', space: 'E', addr: c(8, 6), words: 1, width: 8 }, c(8, 0))]),
      ],
    });
    // The same with a halt and a store into the block's own code in the middle of it.
    const other = new Map<number, bigint>([
      [0, 1n],
      [1, 6n],
      [2, 2n],
      [3, 5n],
      [4, 1n],
      [5, 4n],
      [6, 0n],
    ]);
    agreeInChunks(isa, { regs: { P: 0n, A: 0n, X: 0n, LIM: 200n, K: 0n }, files: {}, mem: { E: other } }, [90, 1000]);
    const halting = new Map<number, bigint>([
      [0, 1n],
      [1, 2n],
      [2, 5n],
      [3, 1n],
      [4, 4n],
      [5, 0n],
    ]);
    agreeInChunks(isa, { regs: { P: 0n, A: 0n, X: 0n, LIM: 200n, K: 0n }, files: {}, mem: { E: halting } }, [90, 1000]);
    const E = new Map<number, bigint>([
      [0, 1n],
      [1, 2n],
      [2, 3n],
      [3, 1n],
      [4, 4n],
      [5, 0n],
    ]);
    for (let i = 6; i < 40; i++) E.set(i, BigInt(i));
    const init: ConcreteState = { regs: { P: 0n, A: 0n, X: 0n, LIM: 40n, K: 0n }, files: {}, mem: { E } };
    agreeInChunks(isa, init, [150, 77, 500]);
    const m = createMachine(isa, { noReset: true });
    m.restore(init);
    m.run({ maxSteps: 727 });
    expect(m.readReg('K')).toBeGreaterThan(0n);
  });
});

describe('timers with blocks', () => {
  it('a timer fires after exactly `period` completed instructions, whatever the blocks', () => {
    // Every instruction counts itself in N; the timer's entry records N at each tick in T[K].
    const countN = setReg('N', 16, bin('add', reg('N', 16), c(16, 1)));
    const isa = inlineIsa({
      registers: [register('P', 16), register('N', 16), register('K', 16), register('C', 8)],
      memories: [
        { name: 'E', wordWidth: 8, size: 256, role: 'plain', span: sp },
        { name: 'T', wordWidth: 16, size: 512, role: 'plain', span: sp },
      ],
      traps: [{ name: 'tick', kind: 'interrupt', vector: 7, timer: { period: 7, when: c(1, 1) }, span: sp }],
      trapEntry: [
        setReg('K', 16, bin('add', reg('K', 16), c(16, 1))),
        assign({ k: 'mem', space: 'T', addr: reg('K', 16), words: 1, width: 16 }, reg('N', 16)),
        setReg('P', 16, { k: 'builtin', name: 'return_pc', width: 16 }),
      ],
      instructions: [
        instr('INC', 8, 8, 1, [], [countN, setReg('C', 8, bin('add', reg('C', 8), c(8, 1)))]),
        instr('JMP', 16, 8, 2, [{ name: 'a', kind: 'addr', width: 8 }], [countN, setReg('P', 16, { k: 'zext', a: opnd('a', 8), width: 16 })]),
        instr('HLT', 8, 8, 3, [], [halt()]),
      ],
    });
    for (const [budget, chunk] of [
      [2000, 2000],
      [2000, 13],
      [2000, 1],
    ] as const) {
      const m = createMachine(isa);
      // INC INC INC JMP 0: a four-instruction block, period 7 cuts it anywhere.
      m.loadImage('E', 0, [1, 1, 1, 2, 0]);
      for (let done = 0; done < budget; done += chunk) m.run({ maxSteps: Math.min(chunk, budget - done) });
      expect(m.counters.steps).toBe(budget);
      const ticks = Number(m.readReg('K'));
      expect(ticks).toBe(Math.floor(budget / 7));
      for (let k = 1; k <= ticks; k++) expect(m.readMem('T', k)).toBe(BigInt(7 * k));
    }
  });

  it('a hook sees the same timer traps at the same steps with and without tracing', () => {
    const countN = setReg('N', 16, bin('add', reg('N', 16), c(16, 1)));
    const isa = inlineIsa({
      registers: [register('P', 16), register('A', 8), register('N', 16)],
      traps: [{ name: 'tick', kind: 'interrupt', vector: 7, timer: { period: 7, when: bin('ne', reg('A', 8), c(8, 2)) }, span: sp }],
      trapEntry: [setReg('P', 16, { k: 'builtin', name: 'return_pc', width: 16 })],
      instructions: [
        instr('INC', 8, 8, 1, [], [countN, setReg('A', 8, bin('add', reg('A', 8), c(8, 1)))]),
        instr('LDA', 16, 8, 4, [{ name: 'a', kind: 'addr', width: 8 }], [countN, setReg('A', 8, mem('E', opnd('a', 8), 1, 8))]),
        instr('JMP', 16, 8, 2, [{ name: 'a', kind: 'addr', width: 8 }], [countN, setReg('P', 16, { k: 'zext', a: opnd('a', 8), width: 16 })]),
      ],
    });
    const log = (trace: number) => {
      const seen: string[] = [];
      const m = createMachine(isa, { trace, onTrap: (t, ret, mm) => (seen.push(`${t.name}@${ret}/${mm.readReg('N')}/${mm.readReg('A')}`), false) });
      m.loadImage('E', 0, [1, 1, 4, 0x40, 1, 2, 0]);
      m.run({ maxSteps: 3000 });
      return seen;
    };
    const fast = log(0);
    expect(fast.length).toBeGreaterThan(100);
    expect(fast).toEqual(log(1_000_000));
  });
});

describe('blocks on a paged RISC-V', () => {
  it('remapping the data page and then the code page (Sv32, user mode) takes effect at once', () => {
    const loaded = loadIsaFile(root + 'isas/riscv.isa');
    if (!loaded.ok) throw new Error('riscv.isa does not load');
    const rv = loaded.isa;
    // The loop runs at VA 0x400000 (level-2 PTE at PA 0x11000 -> PA 0x20000) on data at VA 0x401000
    // (PTE at PA 0x11004 -> PA 0x24000); VA 0..4 MiB is also a superpage onto PA 0 (root[0]), through
    // which the program rewrites its own page table: the data PTE (-> PA 0x25000) when t0 = 100, the
    // code PTE (-> PA 0x21000, a copy of the loop adding 5 instead of 3) when t0 = 50.
    const loop = (step: number) => `
start:  lui s0, 0x401
        lui s1, 0x11
        addi t0, zero, 160
        addi t2, zero, 100
        addi t3, zero, 50
loop:   lw a1, 0(s0)
        addi a1, a1, ${step}
        sw a1, 4(s0)
        add a2, a2, a1
        bne t0, t2, . + 16
        lw a3, 4(s1)
        addi a3, a3, 0x400
        sw a3, 4(s1)
        bne t0, t3, . + 16
        lw a4, 0(s1)
        addi a4, a4, 0x400
        sw a4, 0(s1)
        addi t0, t0, -1
        bne t0, zero, . - 52
        ecall`;
    const words = new Map<number, bigint>();
    for (const [org, step] of [
      [0x20000, 3],
      [0x21000, 5],
    ] as const) {
      const a = assemble(rv, `        .org ${org}\n${loop(step)}`, 'paged.s');
      if (!a.ok) throw new Error(a.diagnostics.map((d) => d.message).join('; '));
      for (const [addr, w] of programImage(rv, a.program).words) words.set(addr, w);
    }
    const put32 = (pa: number, v: number) => [0, 1, 2, 3].forEach((i) => words.set(pa + i, BigInt((v >>> (8 * i)) & 0xff)));
    const FLAGS = 0xdf; // D A G=0 U X W R V
    put32(0x10000, FLAGS); // root[0]: superpage VA 0..4 MiB -> PA 0
    put32(0x10004, (0x11 << 10) | 1); // root[1]: the level-2 table at PA 0x11000
    put32(0x11000, (0x20 << 10) | FLAGS); // VA 0x400000 -> PA 0x20000 (code)
    put32(0x11004, (0x24 << 10) | FLAGS); // VA 0x401000 -> PA 0x24000 (data)
    const init: ConcreteState = {
      regs: { pc: 0x400000n, priv: 0n, satp: (1n << 31n) | 0x10n },
      files: {},
      mem: { ram: words },
    };
    agreeInChunks(rv, init, [700, 333, 1200, 500]);
    // Both remaps happened and were seen: the old data page holds the old code's last store (3),
    // the new one the new code's (5).
    const m = createMachine(rv, { noReset: true });
    m.restore(init);
    const out = m.run({ maxSteps: 2_500 });
    expect(out.kind).toBe('budget');
    const word = (pa: number) => [0, 1, 2, 3].reduce((v, i) => v | (Number(m.readMem('ram', pa + i)) << (8 * i)), 0) >>> 0;
    expect(word(0x11000) >>> 10).toBe(0x21);
    expect(word(0x11004) >>> 10).toBe(0x25);
    expect(word(0x24004)).toBe(3);
    expect(word(0x25004)).toBe(5);
  });
});

describe('translations with lets, short-circuits and nested traps', () => {
  // The fetch view's translation: lets (one through a second, trapping view), a 1-bit and whose
  // right side reads memory, a trap whose condition short-circuits, a result chosen by a let. In
  // the one-instruction loop its pure lets are computed lazily and the ands short-circuit; in
  // blocks the guard (BASE, LIM2, MODE) is folded in. Both must agree with the interpreter,
  // whatever the state.
  const x8 = { k: 'param' as const, name: 'x', width: 8 };
  const y8 = { k: 'param' as const, name: 'y', width: 8 };
  const l8 = (n: string) => ({ k: 'local' as const, name: n, width: 8 });
  const bit = (e: ReturnType<typeof mem>, i: number) => ({ k: 'slice' as const, a: e, hi: i, lo: i, width: 1 });
  const isa = inlineIsa({
    registers: [register('P', 8), register('A', 8), register('BASE', 8), register('LIM2', 8), register('MODE', 1), register('K', 8)],
    memories: [{ name: 'E', wordWidth: 8, size: 256, role: 'plain', span: sp }],
    views: [
      { name: 'V', memory: 'E', translation: 'tr', span: sp },
      { name: 'W', memory: 'E', translation: 'tr2', span: sp },
    ],
    translations: [
      {
        name: 'tr2',
        param: { name: 'y', width: 8 },
        resultWidth: 8,
        span: sp,
        body: [{ k: 'if', cond: bin('uge', y8, reg('LIM2', 8)), then: [{ k: 'trap', trap: 'mt2', span: sp }], else: [], span: sp }],
        result: y8,
      },
      {
        name: 'tr',
        param: { name: 'x', width: 8 },
        resultWidth: 8,
        span: sp,
        body: [
          { k: 'let', name: 'p', value: mem('E', bin('xor', x8, c(8, 0x80)), 1, 8), span: sp },
          { k: 'let', name: 'q', value: mem('W', bin('xor', x8, c(8, 0x40)), 1, 8), span: sp },
          { k: 'let', name: 'ok', value: bin('and', bin('eq', reg('MODE', 1), c(1, 1)), bin('eq', bit(l8('p') as never, 0), c(1, 1))), span: sp },
          // The right side may trap: it must be evaluated even when the left side is 0.
          {
            k: 'let',
            name: 'z',
            value: bin('and', bin('eq', reg('MODE', 1), c(1, 1)), bin('eq', bit(mem('W', bin('xor', x8, c(8, 0x20)), 1, 8) as never, 1), c(1, 1))),
            span: sp,
          },
          {
            k: 'if',
            cond: bin('and', bin('eq', reg('MODE', 1), c(1, 0)), bin('eq', mem('E', bin('add', x8, c(8, 1)), 1, 8), c(8, 7))),
            then: [{ k: 'trap', trap: 'mt', span: sp }],
            else: [],
            span: sp,
          },
        ],
        result: {
          k: 'ite',
          cond: { k: 'local', name: 'ok', width: 1 },
          then: bin('add', x8, reg('BASE', 8)),
          else: bin('xor', bin('xor', x8, l8('q')), { k: 'zext', a: { k: 'local', name: 'z', width: 1 }, width: 8 }),
          width: 8,
        },
      },
    ],
    fetch: { space: 'V', pc: 'P', span: sp },
    traps: [
      { name: 'mt', kind: 'memory', vector: 1, span: sp },
      { name: 'mt2', kind: 'memory', vector: 2, span: sp },
    ],
    trapEntry: [setReg('K', 8, bin('add', reg('K', 8), c(8, 1))), setReg('P', 8, bin('add', { k: 'builtin', name: 'return_pc', width: 8 }, c(8, 1)))],
    instructions: [
      instr('LDA', 16, 8, 1, [{ name: 'a', kind: 'addr', width: 8 }], [setReg('A', 8, bin('add', reg('A', 8), mem('V', opnd('a', 8), 1, 8)))]),
      instr('STA', 16, 8, 2, [{ name: 'a', kind: 'addr', width: 8 }], [assign({ k: 'mem', space: 'V', addr: opnd('a', 8), words: 1, width: 8 }, reg('A', 8))]),
      instr('JMP', 16, 8, 3, [{ name: 'a', kind: 'addr', width: 8 }], [setReg('P', 8, opnd('a', 8))]),
      instr('NOP', 8, 8, 4, [], []),
    ],
  });

  it('agree with the interpreter on random memory and registers, in blocks and without', () => {
    const built = blockStats.built;
    fc.assert(
      fc.property(fc.integer(), fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 2, maxLength: 4 }), (seed, chunks) => {
        const rng = new Rng(seed);
        const E = new Map<number, bigint>();
        // Random memory, biased toward the opcodes so fetches decode to something.
        for (let i = 0; i < 256; i++) {
          const v = rng.int(3) === 0 ? 1 + rng.int(4) : rng.int(256);
          if (v !== 0) E.set(i, BigInt(v));
        }
        // Half the runs: a loop (LDA a; STA b; LDA c; NOP; JMP P) where the translation maps its
        // pcs (MODE 1, BASE 0, odd words at pc ^ 0x80), so blocks get built; the STA may hit it.
        const looping = rng.int(2) === 0;
        const P = rng.int(0x70);
        if (looping) {
          [1, rng.int(256), 2, rng.int(256), 1, rng.int(256), 4, 3, P].forEach((v, i) => {
            E.set(P + i, BigInt(v));
            E.set((P + i) ^ 0x80, BigInt(1 | rng.int(256)));
          });
        }
        const init: ConcreteState = {
          regs: looping
            ? { P: BigInt(P), A: BigInt(rng.int(256)), BASE: 0n, LIM2: 255n, MODE: 1n, K: 0n }
            : {
                P: BigInt(P),
                A: BigInt(rng.int(256)),
                BASE: BigInt(rng.int(4) === 0 ? 0 : rng.int(256)),
                LIM2: BigInt(rng.int(2) ? 255 : rng.int(256)),
                MODE: BigInt(rng.int(2)),
                K: 0n,
              },
          files: {},
          mem: { E },
        };
        agreeInChunks(isa, init, chunks);
      }),
      { numRuns: 150 },
    );
    expect(blockStats.built).toBeGreaterThan(built);
  });
});
