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
import { bin, c, encode, halt, inlineIsa, instr, loadPg, mem, opnd, reg, register, Rng, setReg, sp, assign } from './helpers.js';

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
  user.forEach((w, i) => { if (w !== 0n) words.set(base + 0x10 + i, w); });
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
      case 0: p.push(E('LOADI', { rd: rr(), value: rng.int(65536) })); break;
      case 1: p.push(E(rng.pick(['ADD', 'SUB', 'AND', 'OR', 'XOR']), { rd: rr(), rs: rr() })); break;
      case 2: p.push(E('ADDI', { rd: rr(), value: rng.int(65536) })); break;
      case 3: p.push(E('SHL', { rd: rr(), n: rng.int(32) })); break;
      case 4: p.push(E('DIV', { rd: rr(), rs: rr() })); break;
      case 5: p.push(E('LOAD', { rd: rr(), a: data() })); break;
      case 6: p.push(E('STORE', { rs: rr(), a: data() })); break;
      case 7: p.push(E('LOADX', { rd: rr(), rx: 0, off: data() })); break;
      case 8: p.push(E('STOREX', { rs: rr(), rx: 0, off: data() })); break;
      case 9: p.push(E(rng.pick(['JZ', 'JNZ']), { rs: rr(), a: Math.min(after + rng.int(3), loop + n) })); break;
      case 10: p.push(E('SVC', { n: rng.int(256) })); break;
      case 11: p.push(E('GETR', { rd: rr() })); break;
      default: p.push(E('ADD', { rd: rr(), rs: rr() })); break;
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
    pgImage(b, 0x400).mem.E!.forEach((v, k) => { if (k >= 0x400) init.mem.E!.set(k, v); });
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

describe('timers with blocks', () => {
  it('a timer fires after exactly `period` completed instructions, whatever the blocks', () => {
    // Every instruction counts itself in N; the timer's entry records N at each tick in T[K].
    const countN = setReg('N', 16, bin('add', reg('N', 16), c(16, 1)));
    const isa = inlineIsa({
      registers: [register('P', 16), register('N', 16), register('K', 16), register('C', 8)],
      memories: [{ name: 'E', wordWidth: 8, size: 256, role: 'plain', span: sp }, { name: 'T', wordWidth: 16, size: 512, role: 'plain', span: sp }],
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
    for (const [budget, chunk] of [[2000, 2000], [2000, 13], [2000, 1]] as const) {
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
