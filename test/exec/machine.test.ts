import { describe, expect, it } from 'vitest';
import { createMachine, MachineError, type Machine } from '../../src/exec/machine.js';
import { bin, c, encode, halt, iff, inlineIsa, instr, loadPg, mem, opnd, reg, register, setReg, assign, sp, trap } from './helpers.js';

const pg = loadPg();
const E = (m: Machine, a: number) => m.readMem('E', a);
const r = (m: Machine, i: number) => m.readFile('r', i);
const enc = (mn: string, ops: Record<string, number> = {}) => encode(pg, mn, ops);

/** A pg machine with `prog` at physical 0x10 (where reset leaves P, supervisor, R = [0, 0xffff)). */
function pgWith(prog: number[], extra: (m: Machine) => void = () => {}): Machine {
  const m = createMachine(pg);
  m.loadImage('E', 0x10, prog);
  extra(m);
  return m;
}

/** PSW words as the trap entry and LPSW read them: (M, P) and R. */
const psw = (mode: number, pc: number) => (mode << 16) | pc;
const rr = (base: number, bound: number) => ((base << 16) | bound) >>> 0;

describe('pg.isa on the compiled machine', () => {
  it('reset: supervisor, P = 0x10, whole storage visible', () => {
    const m = createMachine(pg);
    expect(m.readReg('M')).toBe(1n);
    expect(m.readReg('P')).toBe(0x10n);
    expect(m.readReg('R')).toBe(0xffffn);
  });

  it('arithmetic, logic, shifts and division', () => {
    const m = pgWith([
      enc('LOADI', { rd: 1, value: 7 }),
      enc('LOADI', { rd: 2, value: 5 }),
      enc('ADD', { rd: 1, rs: 2 }), // r1 = 12
      enc('SUB', { rd: 2, rs: 1 }), // r2 = 5 - 12 wraps
      enc('ADDI', { rd: 3, value: 0xfffd }), // r3 = -3
      enc('LOADI', { rd: 4, value: 0xff00 }),
      enc('LOADI', { rd: 5, value: 0x0ff0 }),
      enc('AND', { rd: 4, rs: 5 }), // 0x0f00
      enc('OR', { rd: 5, rs: 2 }),
      enc('XOR', { rd: 6, rs: 3 }),
      enc('SHL', { rd: 1, n: 28 }), // 12 << 28 wraps to 0xc0000000
      enc('LOADI', { rd: 7, value: 100 }),
      enc('LOADI', { rd: 8, value: 7 }),
      enc('DIV', { rd: 7, rs: 8 }), // 14
      enc('HALT'),
    ]);
    const out = m.run();
    expect(out).toMatchObject({ kind: 'halted', steps: 15, pc: 0x1en });
    expect(r(m, 1)).toBe(0xc0000000n);
    expect(r(m, 2)).toBe(0xfffffff9n);
    expect(r(m, 3)).toBe(0xfffffffdn);
    expect(r(m, 4)).toBe(0x0f00n);
    expect(r(m, 5)).toBe(0xfffffff9n | 0x0ff0n);
    expect(r(m, 6)).toBe(0xfffffffdn);
    expect(r(m, 7)).toBe(14n);
    expect(m.counters).toEqual({ steps: 15, instructions: 15, traps: 0 });
    // A halted machine stays halted until reset or restore.
    expect(m.run().steps).toBe(0);
  });

  it('loads and stores go through relocation; a bounds violation enters the trap (PSW swap)', () => {
    const m = pgWith(
      [
        enc('LPSW', { a: 0x80 }), // 0x10: to user mode at virtual 0x10 with base 0x1000, bound 0x100
      ],
      (m) => {
        m.loadImage('E', 0x80, [psw(0, 0x10), rr(0x1000, 0x100)]);
        m.loadImage('E', 4, [psw(1, 0x40), rr(0, 0xffff)]); // new PSW: supervisor at 0x40
        m.loadImage('E', 0x40, [enc('HALT')]);
        m.loadImage('E', 0x1010, [
          enc('LOAD', { rd: 1, a: 0x20 }), // virtual 0x10
          enc('STORE', { rs: 1, a: 0x30 }), // virtual 0x11
          enc('LOADI', { rd: 9, value: 0x2f }),
          enc('LOADX', { rd: 2, rx: 9, off: 1 }), // V[0x30] = what was just stored
          enc('STOREX', { rs: 2, rx: 9, off: 0x11 }), // V[0x40]
          enc('LOAD', { rd: 3, a: 0x100 }), // virtual 0x15: at the bound: memory trap
          enc('LOADI', { rd: 4, value: 1 }), // never runs
        ]);
        m.writeMem('E', 0x1020, 0xcafef00dn);
      },
    );
    const out = m.run();
    expect(out).toMatchObject({ kind: 'halted', pc: 0x40n });
    expect(r(m, 1)).toBe(0xcafef00dn);
    expect(E(m, 0x1030)).toBe(0xcafef00dn);
    expect(E(m, 0x30)).toBe(0n); // the store was relocated
    expect(r(m, 2)).toBe(0xcafef00dn);
    expect(E(m, 0x1040)).toBe(0xcafef00dn);
    expect(r(m, 3)).toBe(0n);
    expect(r(m, 4)).toBe(0n);
    // Old PSW: user mode, pc of the faulting LOAD; old R; the trap's vector.
    expect(E(m, 0)).toBe(BigInt(psw(0, 0x15)));
    expect(E(m, 1)).toBe(BigInt(rr(0x1000, 0x100)));
    expect(E(m, 2)).toBe(2n);
    expect(m.readReg('M')).toBe(1n);
    expect(m.counters.traps).toBe(1);
  });

  it('a privileged instruction in user mode traps and changes nothing; SVC returns past itself', () => {
    for (const [mn, ops] of [
      ['SETR', { rs: 3 }],
      ['GETR', { rd: 3 }],
      ['HALT', {}],
      ['LPSW', { a: 0 }],
    ] as const) {
      const m = pgWith([enc('LPSW', { a: 0x80 })], (m) => {
        m.loadImage('E', 0x80, [psw(0, 0x10), rr(0x1000, 0x100)]);
        m.loadImage('E', 4, [psw(1, 0x40), rr(0, 0xffff)]);
        m.loadImage('E', 0x40, [enc('HALT')]);
        m.loadImage('E', 0x1010, [enc('LOADI', { rd: 3, value: 0x1234 }), enc(mn, ops)]);
      });
      const out = m.run();
      expect(out, mn).toMatchObject({ kind: 'halted', pc: 0x40n });
      expect(E(m, 0), mn).toBe(BigInt(psw(0, 0x11))); // return pc: the privileged instruction
      expect(E(m, 1), mn).toBe(BigInt(rr(0x1000, 0x100))); // R untouched by SETR
      expect(E(m, 2), mn).toBe(1n);
      expect(r(m, 3), mn).toBe(0x1234n); // GETR wrote nothing
    }
    const m = pgWith([enc('SVC', { n: 9 })], (m) => {
      m.loadImage('E', 4, [psw(1, 0x40), rr(0, 0xffff)]);
      m.loadImage('E', 0x40, [enc('HALT')]);
    });
    expect(m.run().kind).toBe('halted');
    expect(E(m, 0)).toBe(BigInt(psw(1, 0x11))); // software trap: return_pc = next instruction
    expect(E(m, 2)).toBe(4n);
  });

  it('division by zero traps through the spec test; an undefined opcode raises illegal_trap', () => {
    const m = pgWith([enc('LOADI', { rd: 1, value: 5 }), enc('DIV', { rd: 1, rs: 2 })], (m) => {
      m.loadImage('E', 4, [psw(1, 0x40), rr(0, 0xffff)]);
      m.loadImage('E', 0x40, [0xff000000, enc('HALT')]); // illegal word first
      m.loadImage('E', 0x50, [enc('HALT')]);
    });
    const out = m.step();
    expect(out).toEqual({ kind: 'stepped', steps: 1 });
    expect(m.step()).toEqual({ kind: 'stepped', steps: 1, trap: 'divide_trap' });
    expect(r(m, 1)).toBe(5n);
    expect(E(m, 2)).toBe(3n);
    expect(m.readReg('P')).toBe(0x40n);
    // The illegal word at 0x40: illegal_trap, entry jumps to 0x40 again — point E[4] elsewhere first.
    m.writeMem('E', 4, BigInt(psw(1, 0x50)));
    expect(m.step()).toEqual({ kind: 'stepped', steps: 1, trap: 'illegal_trap' });
    expect(E(m, 2)).toBe(5n);
    expect(E(m, 0)).toBe(BigInt(psw(1, 0x40)));
    expect(m.run()).toMatchObject({ kind: 'halted', pc: 0x50n });
  });

  it('the step budget stops an endless loop with a clear message', () => {
    const m = pgWith([enc('JMP', { a: 0x10 })]);
    const out = m.run({ maxSteps: 5000 });
    expect(out.kind).toBe('budget');
    expect(out.steps).toBe(5000);
    expect(out.message).toMatch(/step budget of 5000 instructions/);
    expect(m.counters.instructions).toBe(5000);
    // The default budget applies without options.
    const m2 = createMachine(pg, { maxSteps: 1234 });
    m2.loadImage('E', 0x10, [enc('JMP', { a: 0x10 })]);
    expect(m2.run()).toMatchObject({ kind: 'budget', steps: 1234 });
  });

  it('the time limit stops an endless loop that the step budget would let run on', () => {
    // ADDI r1, 1; JMP 0x10: after n instructions r1 = ceil(n / 2) and the pc is where n leaves it.
    const m = createMachine(pg, { timeLimitMs: 100 });
    m.loadImage('E', 0x10, [enc('ADDI', { rd: 1, value: 1 }), enc('JMP', { a: 0x10 })]);
    const out = m.run({ maxSteps: Number.MAX_SAFE_INTEGER });
    if (out.kind !== 'time') throw new Error(`expected the time limit, got ${out.kind}: ${out.message}`);
    expect(out.limitMs).toBe(100);
    expect(out.steps).toBeGreaterThan(0);
    expect(out.steps).toBe(m.counters.steps);
    // It stops between instructions, with the state of exactly the steps it reports.
    expect(out.pc).toBe(BigInt(0x10 + (out.steps % 2)));
    expect(r(m, 1)).toBe(BigInt(Math.ceil(out.steps / 2)) & 0xffffffffn);
    expect(out.message).toBe(
      `stopped by the time limit of 0.1 s at pc=0x${out.pc.toString(16)} after ${out.steps} instructions (an endless loop? raise the time limit)`,
    );
    // The limit spans the machine's runs: a second one stops at once.
    expect(m.run({ maxSteps: 10 })).toMatchObject({ kind: 'time', steps: 0 });
    expect(m.timeUp()).toBe(true);
  });

  it('under a time limit the step budget and a halt still end the run on the exact instruction', () => {
    const m = createMachine(pg, { timeLimitMs: 3_600_000 });
    m.loadImage('E', 0x10, [enc('ADDI', { rd: 1, value: 1 }), enc('JMP', { a: 0x10 })]);
    expect(m.run({ maxSteps: 3_000_001 })).toMatchObject({ kind: 'budget', steps: 3_000_001 });
    expect(r(m, 1)).toBe(1_500_001n);
    const h = createMachine(pg, { timeLimitMs: 3_600_000 });
    h.loadImage('E', 0x10, [enc('ADDI', { rd: 1, value: 1 }), enc('HALT')]);
    expect(h.run()).toMatchObject({ kind: 'halted', steps: 2 });
    expect(createMachine(pg).timeUp()).toBe(false);
  });

  it('a time limit that is not a positive number is refused', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => createMachine(pg, { timeLimitMs: bad }), String(bad)).toThrow(MachineError);
    }
  });

  it('fetching beyond the bound traps with the fetching pc', () => {
    const m = pgWith([enc('LPSW', { a: 0x80 })], (m) => {
      m.loadImage('E', 0x80, [psw(0, 0x0ff), rr(0x1000, 0x100)]);
      m.loadImage('E', 4, [psw(1, 0x40), rr(0, 0xffff)]);
      m.loadImage('E', 0x40, [enc('HALT')]);
      m.loadImage('E', 0x10ff, [enc('LOADI', { rd: 1, value: 1 })]); // the last word in bounds
    });
    expect(m.run().kind).toBe('halted');
    expect(r(m, 1)).toBe(1n);
    expect(E(m, 0)).toBe(BigInt(psw(0, 0x100)));
    expect(E(m, 2)).toBe(2n);
  });

  it('decodeAt gives the instruction, operands and length without running it', () => {
    const m = pgWith([enc('LOADX', { rd: 3, rx: 4, off: 0xbeef })]);
    const d = m.decodeAt(0x10n);
    expect(d).toMatchObject({ kind: 'instr', index: pg.instructions.findIndex((i) => i.mnemonic === 'LOADX'), length: 1, pc: 0x10n, nextPc: 0x11n });
    if (d.kind !== 'instr') throw new Error();
    expect(d.instr.mnemonic).toBe('LOADX');
    expect(d.operands).toEqual({ rd: 3n, rx: 4n, off: 0xbeefn });
    expect(m.readReg('P')).toBe(0x10n);
    expect(m.decodeAt(0x11n)).toEqual({ kind: 'illegal' }); // word 0 is no instruction
    m.writeReg('R', BigInt(rr(0, 0x11)));
    expect(m.decodeAt(0x11n)).toEqual({ kind: 'trap', trap: 'memory_trap' });
    // execute() runs the compiled semantics on the live state
    m.writeFile('r', 4, 0x10n);
    m.writeMem('E', 0xbeff, 77n);
    expect(m.execute(d)).toEqual({ kind: 'trap', trap: 'memory_trap', returnPc: 0x10n }); // 0xbeff >= bound 0x11
    expect(r(m, 3)).toBe(0n);
    expect(m.readReg('P')).toBe(0x10n);
    m.writeReg('R', 0xffffn);
    expect(m.execute(d)).toEqual({ kind: 'done' });
    expect(r(m, 3)).toBe(77n);
    expect(m.readReg('P')).toBe(0x11n);
  });

  it('trace records pc, mnemonic and operands, bounded', () => {
    const m = createMachine(pg, { trace: 3 });
    m.loadImage('E', 0x10, [
      enc('LOADI', { rd: 1, value: 2 }),
      enc('ADD', { rd: 1, rs: 1 }),
      enc('ADD', { rd: 1, rs: 1 }),
      enc('ADD', { rd: 1, rs: 1 }),
      enc('HALT'),
    ]);
    expect(m.run().kind).toBe('halted');
    expect(m.trace).toEqual([
      { pc: 0x10n, mnemonic: 'LOADI', operands: { rd: 1n, value: 2n } },
      { pc: 0x11n, mnemonic: 'ADD', operands: { rd: 1n, rs: 1n } },
      { pc: 0x12n, mnemonic: 'ADD', operands: { rd: 1n, rs: 1n } },
    ]);
    expect(r(m, 1)).toBe(16n);
  });

  it('snapshot and restore round-trip; restore clears halted', () => {
    const m = pgWith([enc('LOADI', { rd: 1, value: 2 }), enc('HALT')]);
    const s0 = m.snapshot();
    expect(s0.mem.E!.get(0x10)).toBe(BigInt(enc('LOADI', { rd: 1, value: 2 })));
    expect(m.run().kind).toBe('halted');
    const s1 = m.snapshot();
    expect(s1.files.r![1]).toBe(2n);
    m.restore(s0);
    expect(m.snapshot()).toEqual(s0);
    expect(m.run().kind).toBe('halted');
    expect(m.snapshot()).toEqual(s1);
  });

  it('onTrap sees every trap first; returning true means the monitor handled it', () => {
    const seen: string[] = [];
    const m = pgWith([enc('LPSW', { a: 0x80 })], (m) => {
      m.loadImage('E', 0x80, [psw(0, 0x10), rr(0x1000, 0x100)]);
      m.loadImage('E', 0x1010, [enc('SETR', { rs: 3 }), enc('LOADI', { rd: 1, value: 9 }), enc('SVC', { n: 1 })]);
    });
    m.onTrap = (t, ret, mm) => {
      seen.push(`${t.name}@${ret.toString(16)}`);
      if (t.kind !== 'privilege') return false;
      // "Emulate" by skipping the instruction.
      mm.writeReg('P', ret + 1n);
      return true;
    };
    m.loadImage('E', 4, [psw(1, 0x40), rr(0, 0xffff)]);
    m.loadImage('E', 0x40, [enc('HALT')]);
    expect(m.run().kind).toBe('halted');
    expect(seen).toEqual(['privileged_trap@10', 'supervisor_call@13']);
    expect(r(m, 1)).toBe(9n);
    expect(E(m, 2)).toBe(4n); // only the SVC went through the trap entry
    expect(m.counters.traps).toBe(2);
  });

  it('a memory window maps the guest at a host base and bounds it (resource control)', () => {
    const m = createMachine(pg, { windows: [{ memory: 'E', base: 0x8000, size: 0x200 }] });
    // Everything the machine touches is now at host 0x8000 + guest address.
    m.loadImage('E', 0x8010, [
      enc('LOADI', { rd: 1, value: 0x55 }),
      enc('STORE', { rs: 1, a: 0x100 }),
      enc('LOAD', { rd: 2, a: 0x1ff }),
      enc('LOAD', { rd: 3, a: 0x200 }), // guest 0x200 is beyond the window: memory_trap
    ]);
    m.loadImage('E', 0x8004, [psw(1, 0x40), rr(0, 0xffff)]);
    m.loadImage('E', 0x8040, [enc('HALT')]);
    m.writeMem('E', 0x81ff, 0x77n);
    m.writeMem('E', 0x200, 0x99n); // host 0x200 must stay invisible
    expect(m.run()).toMatchObject({ kind: 'halted', pc: 0x40n });
    expect(E(m, 0x8100)).toBe(0x55n);
    expect(E(m, 0x100)).toBe(0n);
    expect(r(m, 2)).toBe(0x77n);
    expect(r(m, 3)).toBe(0n);
    expect(E(m, 0x8002)).toBe(2n); // the trap entry's writes land in the window too
    expect(E(m, 0x8000)).toBe(BigInt(psw(1, 0x13)));
    expect(m.compiledSource()).toContain('>= 512)');
    // Removing the window goes back to the plain variant.
    m.setWindows([]);
    expect(m.compiledSource()).not.toContain('>= 512)');
    expect(() => m.setWindows([{ memory: 'E', base: 0xff00, size: 0x200 }])).toThrow(MachineError);
  });

  it('refuses a spec whose memory exceeds the cap, before allocating', () => {
    const huge = inlineIsa({
      memories: [{ name: 'E', wordWidth: 8, size: 2 ** 30, role: 'plain', span: sp }],
      instructions: [instr('NOP', 8, 8, 0, [], [])],
    });
    expect(() => createMachine(huge)).toThrow(/need 1024 MiB, more than the machine's cap of 64 MiB/);
    expect(() => createMachine(pg, { memoryCap: 1024 })).toThrow(MachineError);
    expect(createMachine(pg, { memoryCap: 256 * 1024 }).mems[0]!.length).toBe(65536);
  });
});

// ---- inline specs ----

describe('inline specs', () => {
  it('timer traps fire every `period` completed instructions while `when` holds', () => {
    const isa = inlineIsa({
      registers: [register('P', 16), register('C', 8), register('K', 8), register('RET', 16), register('EN', 1, 1n)],
      traps: [{ name: 'tick', kind: 'interrupt', vector: 7, timer: { period: 3, when: bin('eq', reg('EN', 1), c(1, 1)) }, span: sp }],
      trapEntry: [setReg('K', 8, bin('add', reg('K', 8), c(8, 1))), setReg('RET', 16, { k: 'builtin', name: 'return_pc', width: 16 })],
      instructions: [instr('INC', 8, 8, 1, [], [setReg('C', 8, bin('add', reg('C', 8), c(8, 1)))]), instr('HLT', 8, 8, 2, [], [halt()])],
    });
    const m = createMachine(isa);
    m.loadImage('E', 0, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]);
    expect(m.run()).toMatchObject({ kind: 'halted', steps: 11, pc: 10n });
    expect(m.readReg('C')).toBe(10n);
    expect(m.readReg('K')).toBe(3n);
    expect(m.readReg('RET')).toBe(9n); // after the ninth instruction
    m.reset();
    m.writeReg('EN', 0n);
    m.loadImage('E', 0, [1, 1, 1, 1, 1, 1, 2]);
    expect(m.run().kind).toBe('halted');
    expect(m.readReg('K')).toBe(0n);
  });

  it('a trap without a trap entry stops the run; a word matching nothing without an illegal trap too', () => {
    const isa = inlineIsa({
      registers: [register('P', 16), register('A', 8)],
      traps: [{ name: 'boom', kind: 'software', vector: 1, span: sp }],
      instructions: [instr('SETA', 8, 8, 1, [], [setReg('A', 8, c(8, 0x42))]), instr('BOOM', 8, 8, 2, [], [setReg('A', 8, c(8, 0x99)), trap('boom')])],
    });
    const m = createMachine(isa);
    m.loadImage('E', 0, [1, 2]);
    expect(m.run()).toMatchObject({ kind: 'trap', trap: 'boom', steps: 2, double: false });
    expect(m.readReg('A')).toBe(0x42n); // the trapping instruction's write was discarded
    const m2 = createMachine(isa);
    m2.loadImage('E', 0, [1, 7]);
    const out = m2.run();
    expect(out).toMatchObject({ kind: 'illegal', pc: 1n, steps: 2 });
    expect(out.message).toBe('illegal instruction at pc=0x1: no encoding matches');
    expect(m2.counters.instructions).toBe(1);
  });

  for (const endian of ['little', 'big'] as const) {
    it(`multi-word memory in ${endian}-endian order, wrapping at the end of memory; 64-bit registers`, () => {
      const isa = inlineIsa({
        endian,
        registers: [register('P', 16), register('A', 32), register('Q', 64), register('Z', 64)],
        instructions: [
          // LD4 a: A = E[a, 4]; ST4 a: E[a, 4] = A; LD8 a: Q = E[a, 8]; ADDQ: Q = Q + Z; ST8 a: E[a, 8] = Q
          instr('LD4', 16, 8, 1, [{ name: 'a', kind: 'addr', width: 8 }], [setReg('A', 32, mem('E', opnd('a', 8), 4, 32))]),
          instr(
            'ST4',
            16,
            8,
            2,
            [{ name: 'a', kind: 'addr', width: 8 }],
            [assign({ k: 'mem', space: 'E', addr: opnd('a', 8), words: 4, width: 32 }, reg('A', 32))],
          ),
          instr('LD8', 16, 8, 3, [{ name: 'a', kind: 'addr', width: 8 }], [setReg('Q', 64, mem('E', opnd('a', 8), 8, 64))]),
          instr('ADDQ', 16, 8, 4, [], [setReg('Q', 64, bin('add', reg('Q', 64), reg('Z', 64)))]),
          instr(
            'ST8',
            16,
            8,
            5,
            [{ name: 'a', kind: 'addr', width: 8 }],
            [assign({ k: 'mem', space: 'E', addr: opnd('a', 8), words: 8, width: 64 }, reg('Q', 64))],
          ),
          instr('HLT', 16, 8, 6, [], [halt()]),
        ],
      });
      const m = createMachine(isa);
      // 16-bit instructions are two byte-words in fetch order (opcode first) whatever the endian.
      const ins = (v: number) => [v >> 8, v & 0xff];
      const prog = [0x0110, 0x02fe, 0x0320, 0x0400, 0x0530, 0x0600].flatMap(ins);
      m.loadImage('E', 0x80, prog);
      m.writeReg('P', 0x80n);
      m.loadImage('E', 0x10, [0x11, 0x22, 0x33, 0x44]);
      m.loadImage('E', 0x20, [1, 2, 3, 4, 5, 6, 7, 0xff]);
      m.writeReg('Z', 0xffffffff_ffffff00n);
      expect(m.run()).toMatchObject({ kind: 'halted', steps: 6 });
      const a = endian === 'little' ? 0x44332211n : 0x11223344n;
      expect(m.readReg('A')).toBe(a);
      // ST4 at 0xfe wraps: bytes at 0xfe, 0xff, 0x00, 0x01
      const bytes = [0xfe, 0xff, 0, 1].map((x) => Number(m.readMem('E', x)));
      expect(bytes).toEqual(endian === 'little' ? [0x11, 0x22, 0x33, 0x44] : [0x11, 0x22, 0x33, 0x44]);
      const q = endian === 'little' ? 0xff070605_04030201n : 0x01020304_050607ffn;
      const sum = (q + 0xffffffff_ffffff00n) & 0xffffffff_ffffffffn;
      expect(m.readReg('Q')).toBe(sum);
      const back = [...Array(8).keys()].map((i) => m.readMem('E', 0x30 + i));
      const expectBytes = [...Array(8).keys()].map((i) => (sum >> BigInt(8 * (endian === 'little' ? i : 7 - i))) & 0xffn);
      expect(back).toEqual(expectBytes);
    });
  }

  it('the reset block runs after init values; a trapping reset leaves the zeroed state', () => {
    const isa = inlineIsa({
      registers: [register('P', 16, 0x20n), register('A', 8, 5n)],
      reset: [setReg('A', 8, bin('add', reg('A', 8), c(8, 1))), assign({ k: 'mem', space: 'E', addr: c(8, 3), words: 1, width: 8 }, c(8, 9))],
      instructions: [instr('NOP', 8, 8, 0, [], [])],
    });
    const m = createMachine(isa);
    expect(m.readReg('A')).toBe(6n);
    expect(m.readReg('P')).toBe(0x20n);
    expect(m.readMem('E', 3)).toBe(9n);
    const trapping = inlineIsa({
      ...isa,
      traps: [{ name: 'no', kind: 'software', vector: 1, span: sp }],
      reset: [...isa.reset, iff(c(1, 1), [trap('no')])],
    });
    const m2 = createMachine(trapping);
    expect(m2.readReg('A')).toBe(5n);
    expect(m2.readMem('E', 3)).toBe(0n);
  });
});
