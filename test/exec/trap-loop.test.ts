// The monitors' fast paths on the machine: traps handled inside the compiled loop (onTrapIndex,
// onTrap), and executeAt, the allocation-free execute(decodeAt(pc)).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMachine, EXEC_DONE, EXEC_FETCH_TRAP, EXEC_HALT, EXEC_ILLEGAL, EXEC_TRAP, type Machine } from '../../src/exec/machine.js';
import { encode, loadPg } from './helpers.js';

const pg = loadPg();
const enc = (mn: string, ops: Record<string, number> = {}) => encode(pg, mn, ops);
const psw = (mode: number, pc: number) => (mode << 16) | pc;
const rr = (base: number, bound: number) => ((base << 16) | bound) >>> 0;

/** Supervisor code at 0x10 drops to a user loop at 0x40 that makes `calls` supervisor calls; the
 *  handler counts them in r7 and returns with LPSW; then a privileged GETR in user mode traps. */
function syscallMachine(calls: number, opts: Parameters<typeof createMachine>[1] = {}): Machine {
  const m = createMachine(pg, opts);
  m.loadImage('E', 4, [psw(1, 0x20), rr(0, 0xffff)]);
  m.loadImage('E', 0x10, [enc('LPSW', { a: 0x30 })]);
  // handler: r7++, back to the caller through the old PSW at E[0..1]
  m.loadImage('E', 0x20, [enc('ADDI', { rd: 7, value: 1 }), enc('LPSW', { a: 0 })]);
  m.loadImage('E', 0x30, [psw(0, 0x40), rr(0, 0xffff)]);
  m.loadImage('E', 0x40, [
    enc('LOADI', { rd: 1, value: calls }),
    enc('ADDI', { rd: 1, value: 0xffff }), // loop: r1--
    enc('SVC', { n: 3 }),
    enc('JNZ', { rs: 1, a: 0x41 }),
    enc('GETR', { rd: 2 }), // user mode: privileged_trap into the handler, which returns here: endless
  ]);
  return m;
}

describe('traps handled inside the run loop', () => {
  it('counters agree with a machine that leaves the loop at every instruction (trace on)', () => {
    const fast = syscallMachine(50);
    const slow = syscallMachine(50, { trace: 1_000_000 });
    const a = fast.run({ maxSteps: 400 });
    const b = slow.run({ maxSteps: 400 });
    expect(a).toEqual(b);
    expect(fast.counters).toEqual(slow.counters);
    expect(fast.counters.traps).toBeGreaterThan(50);
    expect(fast.snapshot()).toEqual(slow.snapshot());
  });

  it('onTrapIndex gets the trap index and the pc as a number; false takes the trap entry', () => {
    const plain = syscallMachine(5);
    const seen: string[] = [];
    const hooked = syscallMachine(5, {
      onTrapIndex: (t, ret) => {
        expect(typeof ret).toBe('number');
        seen.push(`${pg.traps[t]!.name}@${ret.toString(16)}`);
        return false;
      },
    });
    plain.run({ maxSteps: 60 });
    hooked.run({ maxSteps: 60 });
    expect(hooked.snapshot()).toEqual(plain.snapshot());
    expect(hooked.counters).toEqual(plain.counters);
    expect(seen.slice(0, 2)).toEqual(['supervisor_call@43', 'supervisor_call@43']);
    expect(seen.length).toBe(plain.counters.traps);
  });

  it('a hook that throws ends the run; the exception reaches the caller with the counters up to date', () => {
    class Boom {}
    let calls = 0;
    const m = syscallMachine(10, {
      onTrapIndex: () => {
        if (++calls === 3) throw new Boom();
        return false;
      },
    });
    expect(() => m.run({ maxSteps: 1000 })).toThrow(Boom);
    // LPSW, LOADI, then per call ADDI, SVC (+ handler ADDI, LPSW, then JNZ): the third SVC is step
    // 14, and the three SVCs did not complete.
    expect(m.counters.traps).toBe(3);
    expect(m.counters.steps).toBe(14);
    expect(m.counters.instructions).toBe(11);
    // The run can go on afterwards (the trapped SVC was not taken: it runs again).
    expect(m.run({ maxSteps: 5 }).kind).toBe('budget');
    expect(m.counters.steps).toBe(19);
  });

  it('a hook that handles a trap continues the loop at the pc it left', () => {
    const m = syscallMachine(4, {
      onTrapIndex: (t, ret) => {
        if (pg.traps[t]!.kind !== 'software') return false;
        m.writeFile('r', 6, m.readFile('r', 6) + 1n);
        m.pc = BigInt(ret); // SVC is a software trap: ret is the next instruction
        return true;
      },
    });
    const out = m.run({ maxSteps: 1 + 1 + 4 * 3 });
    expect(out.kind).toBe('budget');
    expect(m.readFile('r', 6)).toBe(4n); // four calls handled by the hook
    expect(m.readFile('r', 7)).toBe(0n); // the guest's handler never ran
    expect(m.readFile('r', 1)).toBe(0n);
    expect(m.pc).toBe(0x44n); // at GETR
  });
});

describe('executeAt: execute(decodeAt(pc)) without the decode result', () => {
  const word = fc.oneof(
    fc.constantFrom('LOAD', 'STORE', 'LOADI', 'LOADX', 'STOREX', 'ADD', 'DIV', 'JMP', 'JZ', 'SVC', 'LPSW', 'SETR', 'GETR', 'HALT').chain((mn) =>
      fc
        .record({ rd: fc.nat(15), rs: fc.nat(15), rx: fc.nat(15), a: fc.nat(0xffff), value: fc.nat(0xffff), off: fc.nat(0xffff), n: fc.nat(255) })
        .map((ops) => {
          const ins = pg.instructions.find((i) => i.mnemonic === mn)!;
          const mine = Object.fromEntries(ins.operands.map((o) => [o.name, ops[o.name as keyof typeof ops]]));
          return enc(mn, mine);
        }),
    ),
    fc.nat(0xffffffff),
  );
  const state = fc.record({
    mode: fc.nat(1),
    pc: fc.nat(0xffff),
    base: fc.nat(0xffff),
    bound: fc.nat(0xffff),
    regs: fc.array(fc.nat(0xffffffff), { minLength: 16, maxLength: 16 }),
    words: fc.array(word, { minLength: 2, maxLength: 2 }),
    data: fc.array(fc.nat(0xffffffff), { minLength: 4, maxLength: 4 }),
  });

  it('leaves the same state and says the same thing as decodeAt + execute', () => {
    fc.assert(
      fc.property(state, (s) => {
        const make = () => {
          const m = createMachine(pg);
          m.writeReg('M', BigInt(s.mode));
          m.writeReg('R', BigInt(rr(s.base, s.bound)));
          s.regs.forEach((v, i) => m.writeFile('r', i, BigInt(v)));
          const at = (s.pc + s.base) & 0xffff;
          m.loadImage('E', at, s.words);
          m.loadImage('E', 0, s.data);
          m.writeReg('P', 0x1234n); // executeAt sets the pc itself
          return m;
        };
        const a = make();
        const b = make();
        const st = a.executeAt(s.pc);
        const d = b.decodeAt(BigInt(s.pc));
        if (d.kind === 'trap') {
          expect(st).toBe(EXEC_FETCH_TRAP);
          expect(pg.traps[a.execTrap]!.name).toBe(d.trap);
        } else if (d.kind === 'illegal') {
          expect(st).toBe(EXEC_ILLEGAL);
        } else {
          const r = b.execute(d);
          expect(a.execIndex).toBe(d.index);
          if (r.kind === 'done') expect(st).toBe(EXEC_DONE);
          else if (r.kind === 'halt') expect(st).toBe(EXEC_HALT);
          else {
            expect(st).toBe(EXEC_TRAP);
            expect(pg.traps[a.execTrap]!.name).toBe(r.trap);
            expect(BigInt(a.execReturnPc)).toBe(r.returnPc);
          }
        }
        expect(a.snapshot()).toEqual(b.snapshot());
      }),
      { numRuns: 400 },
    );
  });

  it('takes a pc given as a bigint or beyond the pc width (masked, as decodeAt does)', () => {
    const m = createMachine(pg);
    m.loadImage('E', 0x10, [enc('LOADI', { rd: 1, value: 0x42 })]);
    expect(m.executeAt(0x10010n)).toBe(EXEC_DONE);
    expect(m.readFile('r', 1)).toBe(0x42n);
    expect(m.pc).toBe(0x11n);
    expect(m.executeAt(0x10010)).toBe(EXEC_DONE);
    expect(m.pc).toBe(0x11n);
  });

  it('takeTrapIndex runs the trap entry as takeTrap does', () => {
    const a = createMachine(pg);
    const b = createMachine(pg);
    for (const m of [a, b]) m.loadImage('E', 4, [psw(1, 0x99), rr(0, 0xffff)]);
    const t = pg.traps.findIndex((x) => x.name === 'supervisor_call');
    expect(a.takeTrapIndex(t, 0x77)).toBeNull();
    expect(b.takeTrap('supervisor_call', 0x77n)).toBeNull();
    expect(a.snapshot()).toEqual(b.snapshot());
    expect(a.pc).toBe(0x99n);
  });
});
