// pg.isa satisfies Theorem 1, so Popek and Goldberg's equivalence must hold: any guest that fits its
// allocation runs the same on the bare machine and under the monitors.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { runGuest } from '../../src/vmm/index.js';
import { diffStates } from '../../src/exec/interpret.js';
import { asm, spec, PG_PRELUDE } from './helpers.js';

// r13 counts loops, r14 holds SETR values, r15 is the index register: the random ops use r0..r12.
const reg = fc.integer({ min: 0, max: 12 }).map((i) => `r${i}`);
const data = fc.integer({ min: 0x200, max: 0x23f });
const op = fc.oneof(
  fc.tuple(reg, fc.integer({ min: 0, max: 0xffff })).map(([r, v]) => `LOADI ${r}, ${v}`),
  fc.tuple(fc.constantFrom('ADD', 'SUB', 'AND', 'OR', 'XOR', 'DIV'), reg, reg).map(([m, a, b]) => `${m} ${a}, ${b}`),
  fc.tuple(reg, fc.integer({ min: -0x8000, max: 0x7fff })).map(([r, v]) => `ADDI ${r}, ${v}`),
  fc.tuple(reg, fc.integer({ min: 0, max: 31 })).map(([r, n]) => `SHL ${r}, ${n}`),
  fc.tuple(reg, data).map(([r, a]) => `LOAD ${r}, [${a}]`),
  fc.tuple(reg, data).map(([r, a]) => `STORE ${r}, [${a}]`),
  fc.tuple(reg, fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0x200, max: 0x220 })).map(([r, i, off]) => `LOADI r15, ${i}\n LOADX ${r}, [r15+${off}]`),
  fc.tuple(reg, fc.integer({ min: 0, max: 0x3f }), fc.integer({ min: 0x200, max: 0x220 })).map(([r, i, off]) => `LOADI r15, ${i}\n STOREX ${r}, [r15+${off}]`),
  reg.map((r) => `GETR ${r}`),
  // A bound that still covers the program, or one that cuts it off (a memory trap to the handler).
  fc.integer({ min: 0x0100, max: 0xffff }).map((b) => `LOADI r14, ${b}\n SETR r14`),
  fc.integer({ min: 0, max: 255 }).map((n) => `SVC ${n}`),
);
const block = fc.oneof(
  { weight: 4, arbitrary: op },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.array(op, { minLength: 1, maxLength: 4 })).map(([n, body]) => ({ loop: n, body })),
  },
);

function program(blocks: (string | { loop: number; body: string[] })[], user: string[] | null): string {
  let label = 0;
  const lines: string[] = [];
  for (const b of blocks) {
    if (typeof b === 'string') lines.push(b);
    else {
      const l = `L${label++}`;
      lines.push(`LOADI r13, ${b.loop}`, `${l}:`, ...b.body, 'ADDI r13, -1', `JNZ r13, ${l}`);
    }
  }
  const drop = user ? ['LPSW [upsw]'] : ['HALT'];
  const userPart = user ? ['.user', '.org 0x400', 'user:', ...user, 'SVC 1', 'upsw: .word user, 0x0000ffff'] : [];
  return `${PG_PRELUDE}
        .org 0x10
start:  ${lines.join('\n')}
        ${drop.join('\n')}
handler: LOAD r12, [2]
        STORE r12, [0x300]
        LOAD r12, [0]
        STORE r12, [0x301]
        LOAD r12, [1]
        STORE r12, [0x302]
        HALT
        ${userPart.join('\n')}
        .entry start
`;
}

describe('random guests on pg.isa', () => {
  test('bare machine, trap-and-emulate and hybrid agree', async () => {
    const isa = await spec('pg');
    await fc.assert(
      fc.asyncProperty(
        fc.array(block, { minLength: 1, maxLength: 12 }),
        fc.option(fc.array(op, { minLength: 0, maxLength: 6 }), { nil: null }),
        async (blocks, user) => {
          const p = asm(isa, program(blocks, user));
          const bare = runGuest(isa, 'none', { program: p }, { maxSteps: 20_000 });
          for (const kind of ['trap', 'hybrid'] as const) {
            const r = runGuest(isa, kind, { program: p }, { maxSteps: 20_000 });
            expect(r.outcome.kind, kind).toBe(bare.outcome.kind);
            expect(r.outcome.steps, kind).toBe(bare.outcome.steps);
            expect(diffStates(bare.guestState, r.guestState), kind).toEqual([]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
