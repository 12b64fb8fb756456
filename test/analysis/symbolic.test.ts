// The symbolic engine against the reference interpreter: for random concrete states, the terms the
// engine builds, evaluated at that state, give exactly the interpreter's outcome (which trap, or the
// final value of every register, file entry and touched memory word).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { loadIsaFile, parseIsaText, type Isa, type Instruction } from '../../src/ir/index.js';
import { runSemantics, toHex } from '../../src/exec/interpret.js';
import type { ConcreteState } from '../../src/exec/state.js';
import { freshState, getZ3, Logic, operandTerms, runSymbolic, type ArrayBase, type B, type BV } from '../../src/analysis/symbolic.js';

const PG = fileURLToPath(new URL('../../isas/pg.isa', import.meta.url));

// Little endian, byte memory, multi-word accesses through a bounds-checked view, signed operations.
const SMALL = `
isa small;
endian little;
memory E : 8 [256];
register M : 1 mode;
register P : 8;
register R : 16 control { base = 15..8; bound = 7..0; }
registers r[4] : 16;
modes { sup when M == 1; user when M == 0; }
translate rel(a : 8) : 8 {
  if a >= R.bound { trap mt; }
  return a + R.base;
}
view V = E via rel;
fetch V at P;
trap pt kind privilege vector 1;
trap mt kind memory vector 2;
trap dz kind arithmetic vector 3;
function mix(x : 16, y : 16) : 16 {
  let t = x ^ (y >>> 3);
  return t + sext(x[3..0], 16);
}
instruction LD2(rd : reg r, a : addr 8) { encoding 1:8 rd:2 0:6 a:8 0:8; semantics { r[rd] = V[a, 2]; } }
instruction ST2(rs : reg r, a : addr 8) { encoding 2:8 rs:2 0:6 a:8 0:8; semantics { V[a, 2] = r[rs]; r[0] = r[0] + 1; } }
instruction RAW(rd : reg r, rs : reg r) { encoding 3:8 rd:2 rs:2 0:4; semantics { E[r[rs][7..0], 2] = r[rd]; r[rd] = zext(E[r[rs][7..0] + 1], 16); } }
instruction DIVS(rd : reg r, rs : reg r) { encoding 4:8 rd:2 rs:2 0:4; semantics {
  if r[rs] == 0 && M == 0 { trap dz; }
  r[rd] = sdiv(r[rd], r[rs]) + srem(r[rd], r[rs]) + (r[rd] % r[rs]);
} }
instruction SH(rd : reg r, rs : reg r) { encoding 5:8 rd:2 rs:2 0:4; semantics {
  r[rd] = (r[rd] << r[rs][4..0]) ^ (r[rd] >>> r[rs][3..0]) ^ (r[rd] >> r[rs]);
} }
instruction MIX(rd : reg r, rs : reg r) { encoding 6:8 rd:2 rs:2 0:4; semantics {
  let v = mix(r[rd], r[rs]);
  r[rd] = slt(v, r[rs]) ? v : ~v;
  if v[0] == 1 { P = v[7..0]; } else { halt; }
} }
instruction SETR(rs : reg r) { encoding 7:8 rs:2 0:6; semantics {
  if M == 0 { trap pt; }
  R.bound = r[rs][7..0];
  r[1] = R;
} }
`;

function load(text: string): Isa {
  const r = parseIsaText(text, 'small.isa');
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.isa;
}

const mask = (w: number) => (1n << BigInt(w)) - 1n;

/** A random state (with some memory words near the relocation base) and operands. */
function arb(isa: Isa, instr: Instruction) {
  const big = (w: number) => fc.bigInt({ min: 0n, max: mask(w) });
  const regs = fc.record(Object.fromEntries(isa.registers.map((r) => [r.name, big(r.width)])));
  const files = fc.record(Object.fromEntries(isa.files.map((f) => [f.name, fc.array(big(f.width), { minLength: f.count, maxLength: f.count })])));
  const mem = isa.memories[0]!;
  const words = fc.array(fc.tuple(fc.nat({ max: 300 }), big(mem.wordWidth)), { maxLength: 24 });
  const ops = fc.record(Object.fromEntries(instr.operands.map((o) => [o.name, big(o.width)])));
  return fc.record({ regs, files, words, ops, small: fc.boolean() });
}

async function agree(isa: Isa, instr: Instruction, sample: any): Promise<void> {
  const z3 = await getZ3();
  const L = new Logic(z3);
  const mem = isa.memories[0]!;
  const state: ConcreteState = { regs: { ...sample.regs }, files: {}, mem: { [mem.name]: new Map() } };
  for (const [k, v] of Object.entries(sample.files)) state.files[k] = [...(v as bigint[])];
  // Small operand values make relocated addresses land on the words we placed.
  const ops: Record<string, bigint> = {};
  for (const [k, v] of Object.entries(sample.ops)) ops[k] = sample.small ? (v as bigint) & 0x7n : (v as bigint);
  for (const [a, v] of sample.words as [number, bigint][]) {
    const base = Number((state.regs.R ?? 0n) >> (isa.registers.find((r) => r.name === 'R')!.width === 16 ? 8n : 16n));
    const addr = (base + a) % mem.size;
    if (v !== 0n) state.mem[mem.name]!.set(addr, v);
  }
  const pc = state.regs[isa.fetch.pc] ?? 0n;
  const out = runSemantics(isa, state, instr, ops, pc);

  const bases: ArrayBase[] = [];
  const s = freshState(z3, isa, 's', bases);
  const opT = operandTerms(z3, instr);
  const r = runSymbolic(z3, isa, instr, s, opT);
  // The final words to compare, built before the constraints (a select may add a base read).
  const addrs = new Set<number>([...state.mem[mem.name]!.keys(), ...(out.state.mem[mem.name]?.keys() ?? [])]);
  const memFinal = [...addrs].map((a) => [a, r.final.mems.get(mem.name)!.select(z3.BitVec.val(a, s.mems.get(mem.name)!.base.idxW), L)] as const);
  const fileFinal = isa.files.flatMap((f) =>
    Array.from({ length: f.count }, (_, i) => [f.name, i, r.final.files.get(f.name)!.select(z3.BitVec.val(i, s.files.get(f.name)!.base.idxW), L)] as const),
  );
  const solver = new z3.Solver('QF_BV');
  for (const reg of isa.registers) solver.add(s.regs.get(reg.name)!.eq(z3.BitVec.val(state.regs[reg.name] ?? 0n, reg.width)));
  for (const o of instr.operands) solver.add(opT.get(o.name)!.eq(z3.BitVec.val(ops[o.name]!, o.width)));
  // Initial array contents: every read the engine made sees the concrete word at its address.
  const lookup = (b: ArrayBase, a: BV, entries: [number, bigint][]): BV => {
    let v: BV = z3.BitVec.val(0, b.valW);
    for (const [k, x] of entries) v = z3.If(a.eq(z3.BitVec.val(k, b.idxW)), z3.BitVec.val(x, b.valW), v) as BV;
    return v;
  };
  for (const f of isa.files) {
    const b = s.files.get(f.name)!.base;
    for (const rd of b.reads)
      solver.add(
        rd.val.eq(
          lookup(
            b,
            rd.addr,
            state.files[f.name]!.map((x, i) => [i, x]),
          ),
        ),
      );
  }
  const mb = s.mems.get(mem.name)!.base;
  for (const rd of mb.reads) solver.add(rd.val.eq(lookup(mb, rd.addr, [...state.mem[mem.name]!.entries()])));
  expect(await solver.check()).toBe('sat');
  const m = solver.model();
  const val = (t: BV) => (m.eval(t, true) as unknown as { value(): bigint }).value();
  const truth = (b: B) => z3.isTrue(m.eval(b, true));
  const raised = r.traps.filter((t) => truth(t.cond)).map((t) => t.trap);
  const where = `${instr.mnemonic} ops ${JSON.stringify(Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, toHex(v)])))}`;
  if (out.kind === 'trap') {
    expect(raised, where).toEqual([out.trap]);
    return;
  }
  expect(raised, where).toEqual([]);
  expect(truth(r.halted), where).toBe(out.kind === 'halt');
  for (const reg of isa.registers) expect(toHex(val(r.final.regs.get(reg.name)!)), `${where} ${reg.name}`).toBe(toHex(out.state.regs[reg.name] ?? 0n));
  for (const [f, i, t] of fileFinal) expect(toHex(val(t)), `${where} ${f}[${i}]`).toBe(toHex(out.state.files[f]![i] ?? 0n));
  for (const [a, t] of memFinal) expect(toHex(val(t)), `${where} ${mem.name}[${a}]`).toBe(toHex(out.state.mem[mem.name]?.get(a) ?? 0n));
}

describe('symbolic execution agrees with the reference interpreter', () => {
  for (const [name, get] of [
    [
      'pg.isa',
      () => {
        const r = loadIsaFile(PG);
        if (!r.ok) throw new Error('pg.isa does not load');
        return r.isa;
      },
    ],
    ['a little-endian machine with multi-word views, signed division and shifts', () => load(SMALL)],
  ] as const) {
    it(name, async () => {
      const isa = get();
      for (const instr of isa.instructions) {
        await fc.assert(
          fc.asyncProperty(arb(isa, instr), (sample) => agree(isa, instr, sample)),
          { numRuns: 12 },
        );
      }
    });
  }
});
