// RISC-V machine-mode co-simulation: the CSR instructions of riscv.isa (csrrw/csrrs/csrrc and their
// immediate forms on every machine and supervisor CSR the spec models) run in M-mode on
// qemu-system-riscv32 -machine virt -bios none (-cpu rv32 with M, A, C, F, D and H off, so that misa
// reads RV32 I S U, as in riscv.isa) and on isavirt's machine in M-mode.
//
// A harness per batch of instances, bare metal at 0x80000000 (harness/riscv32-virt.ld). Instance i's
// block at 0x80060000 (the data section, harness/riscv32-virt.ld) + i*BLK: x0..x31, the CSR values to write first (INIT), the values read back after
// writing them (BEFORE: what the hart made of them, WARL fields legalised; isavirt is seeded with
// these), the values read after the instance (AFTER), and the landing pad's mark. The snippet writes
// INIT, reads BEFORE, loads the x registers, runs the instance, lands on a pad (`jal c, land`, as in
// the U-mode harness), stores the x registers, reads AFTER, restores mtvec, and copies the block to
// the UART; the last snippet ends the run through the virt machine's test finisher (0x100000).
//
// Compared: every x register but the harness's two, the pc, rd's value, and each CSR after the
// instance on the bits riscv.isa implements (its write masks). WARL fields may legally differ where
// riscv.isa implements fewer bits than QEMU (medeleg, mideleg, satp.ASID); values outside what both
// implement are not generated: MPRV (not modelled), the FS/VS/XS/SD state of extensions neither has,
// the vectored mtvec/stvec MODE, and mepc/sepc bits 1..0 (zero with IALIGN = 32, P 3.1.14; QEMU 7.2
// keeps them, so a write with them set would compare QEMU's deviation, not riscv.isa).

import { readFileSync } from 'node:fs';
import type { Isa } from '../../../src/ir/types.js';
import { Rng } from '../../exec/helpers.js';
import { R, u32 } from './riscv.js';
import { hex, type SpecOutcome, InstanceSide } from './spec.js';
import { run } from './tools.js';
import { batches, blocks, linkHarness, placeAll, Tally, TOOLCHAINS, type Placed as P } from './cosim.js';

export const TEXT = 0x80000000;
export const SNIP = 1024;
export const BLK = 512;
export const BATCH = 0x60000 / SNIP - 2;
const PADS = 4;

/** The CSRs riscv.isa models: its register, the CSR number, the bits it implements. */
export const CSRS: { reg: string; num: number; mask: bigint }[] = [
  { reg: 'mstatus', num: 0x300, mask: 0x007e19aan },
  { reg: 'MISA', num: 0x301, mask: 0xffffffffn },
  { reg: 'medeleg', num: 0x302, mask: 0x0000b3ffn },
  { reg: 'mideleg', num: 0x303, mask: 0x00000222n },
  { reg: 'mie', num: 0x304, mask: 0x00000aaan },
  { reg: 'mtvec', num: 0x305, mask: 0xfffffffcn },
  { reg: 'mscratch', num: 0x340, mask: 0xffffffffn },
  { reg: 'mepc', num: 0x341, mask: 0xfffffffcn },
  { reg: 'mcause', num: 0x342, mask: 0xffffffffn },
  { reg: 'mtval', num: 0x343, mask: 0xffffffffn },
  { reg: 'mip', num: 0x344, mask: 0x00000222n },
  { reg: 'stvec', num: 0x105, mask: 0xfffffffcn },
  { reg: 'sscratch', num: 0x140, mask: 0xffffffffn },
  { reg: 'sepc', num: 0x141, mask: 0xfffffffcn },
  { reg: 'scause', num: 0x142, mask: 0xffffffffn },
  { reg: 'stval', num: 0x143, mask: 0xffffffffn },
  { reg: 'satp', num: 0x180, mask: 0x803fffffn },
];
const NC = CSRS.length;
/** The supervisor views: sstatus (mstatus's S fields), sie and sip (the delegated bits). */
export const VIEW_MASK: Record<number, bigint> = { 0x100: 0x000c0122n, 0x104: 0x00000222n, 0x144: 0x00000222n };
const OFF = { x: 0, init: 128, before: 128 + 4 * NC, after: 128 + 8 * NC, pad: 128 + 12 * NC };
export const BLKSZ = OFF.pad + 4;
/** The supervisor CSRs riscv.isa's .s forms reach (low byte of 0x100 + c): sstatus, sie, stvec,
 *  sscratch, sepc, scause, stval, sip, satp. */
export const S_CSRS = [0x00, 0x04, 0x05, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80];
export const M_CSRS = [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x40, 0x41, 0x42, 0x43, 0x44];

export const QEMU = 'qemu-system-riscv32';
export const QEMU_ARGS = [
  '-machine',
  'virt',
  '-cpu',
  'rv32,m=false,a=false,c=false,f=false,d=false,h=false',
  '-bios',
  'none',
  '-nographic',
  '-monitor',
  'none',
];
export const TOOLS = [
  { bin: QEMU, pkg: 'qemu-system-misc' },
  { bin: 'riscv64-unknown-elf-as', pkg: 'binutils-riscv64-unknown-elf' },
  { bin: 'riscv64-unknown-elf-ld', pkg: 'binutils-riscv64-unknown-elf' },
];

/** Bits no generated value sets in mstatus: MIE (interrupts would be taken: none are modelled),
 *  MPRV (not modelled), VS, FS, XS (extensions neither implements) and SD. */
const MSTATUS_NEVER = (1n << 3n) | (1n << 17n) | (3n << 9n) | (3n << 13n) | (3n << 15n) | (1n << 31n);

/** A value that may be written to the CSR `num` (see the header for the constraints). */
export function legal(num: number, v: bigint): bigint {
  if (num === 0x300 || num === 0x100) return v & ~MSTATUS_NEVER;
  if (num === 0x305 || num === 0x105 || num === 0x341 || num === 0x141) return v & ~3n;
  if (num === 0x304 || num === 0x104) return v; // mie: MIE stays 0, so no interrupt is taken
  return v;
}

export interface Instance {
  mnemonic: string;
  ops: Record<string, number>;
  gnu: string;
  x: bigint[];
  init: bigint[];
  b: number;
  c: number;
}

/** The trap pad of a snippet: mtvec for the instances that trap (`jal c, land`, after the pads). */
const trapPad = (slot: number): number => insAddr(slot) + 4 * (1 + PADS);
const csrIndex = (reg: string): number => CSRS.findIndex((k) => k.reg === reg);

export function generate(rng: Rng, mnemonic: string, slot: number): Instance {
  const x: bigint[] = [0n];
  for (let i = 1; i < 32; i++) x.push(u32(rng.big(32)));
  const ops: Record<string, number> = {};
  if (mnemonic === 'ECALL' || mnemonic === 'EBREAK' || mnemonic === 'MRET') {
    const init = CSRS.map((c) => (c.num === 0x304 ? 0n : legal(c.num, u32(rng.big(32)))));
    // ECALL and EBREAK trap to mtvec: the snippet's trap pad (direct mode). MRET returns to mepc, a
    // forward pad, with MPP = M, so that the run stays in M-mode (the harness reads CSRs after it).
    init[csrIndex('mtvec')] = BigInt(trapPad(slot));
    if (mnemonic === 'MRET') {
      init[csrIndex('mepc')] = BigInt(insAddr(slot) + 4 * (1 + rng.int(PADS - 1)) + 4);
      init[csrIndex('mstatus')] = init[csrIndex('mstatus')]! | (3n << 11n);
    }
    const free = [...Array(31).keys()].map((k) => k + 1);
    const b = rng.pick(free);
    const c = rng.pick(free.filter((k) => k !== b));
    return { mnemonic, ops, gnu: mnemonic.toLowerCase(), x, init, b, c };
  }
  const { gnu, used } = csrOperands(rng, mnemonic, ops, x, legal);
  const init = CSRS.map((c) => (c.num === 0x304 ? 0n : legal(c.num, u32(rng.big(32)))));
  const free = [...Array(31).keys()].map((k) => k + 1).filter((k) => !used.includes(k));
  const b = rng.pick(free);
  const c = rng.pick(free.filter((k) => k !== b));
  return { mnemonic, ops, gnu, x, init, b, c };
}

/**
 * The operands of a CSR instruction (into `ops`): a machine or supervisor CSR riscv.isa models, rd,
 * and the source (rs1, whose value in `x` is made a value `fix` allows to write; or the 5-bit
 * immediate); its GNU text and the x registers it names.
 */
export function csrOperands(
  rng: Rng,
  mnemonic: string,
  ops: Record<string, number>,
  x: bigint[],
  fix: (num: number, v: bigint) => bigint,
): { gnu: string; used: number[] } {
  const level = rng.int(2) ? 0x100 : 0x300;
  ops.c = rng.pick(level === 0x100 ? S_CSRS : M_CSRS);
  const num = level + ops.c;
  ops.csr = num;
  ops.rd = rng.int(8) === 0 ? 0 : 1 + rng.int(31);
  const op = mnemonic.toLowerCase();
  const used = [ops.rd];
  let src: string;
  if (op.endsWith('i')) {
    ops.z = rng.int(32);
    // CSRRCI only clears bits: any immediate is a legal write.
    if (op !== 'csrrci') ops.z = Number(fix(num, BigInt(ops.z)));
    src = String(ops.z);
  } else {
    ops.rs1 = rng.int(8) === 0 ? 0 : 1 + rng.int(31);
    used.push(ops.rs1);
    if (ops.rs1 !== 0 && op !== 'csrrc') x[ops.rs1] = fix(num, x[ops.rs1]!);
    src = R(ops.rs1);
  }
  return { gnu: `${op} ${R(ops.rd)}, ${hex(num, 3)}, ${src}`, used };
}

const insAddr = (slot: number) => TEXT + slot * SNIP + 4 * (2 + 2 * (NC - 1) + 2 * NC + 31 + PADS);

function snippet(inst: Instance, slot: number, next: number | undefined): string {
  const { b, c } = inst;
  const blk = `blk${slot}`;
  const L = [`        .org ${slot * SNIP}`, `s${slot}:`, `        lui ${R(b)}, %hi(${blk})`, `        addi ${R(b)}, ${R(b)}, %lo(${blk})`];
  CSRS.forEach((k, i) => {
    if (k.reg !== 'MISA') L.push(`        lw ${R(c)}, ${OFF.init + 4 * i}(${R(b)})`, `        csrw ${hex(k.num, 3)}, ${R(c)}`);
  });
  CSRS.forEach((k, i) => L.push(`        csrr ${R(c)}, ${hex(k.num, 3)}`, `        sw ${R(c)}, ${OFF.before + 4 * i}(${R(b)})`));
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        lw ${R(j)}, ${4 * j}(${R(b)})`);
  L.push(`        lw ${R(b)}, ${4 * b}(${R(b)})`);
  for (let k = 0; k < PADS; k++) L.push(k === 0 ? `        j ins${slot}` : `        jal ${R(c)}, land${slot}`);
  L.push(`ins${slot}:`, `        ${inst.gnu}`);
  for (let k = 0; k < PADS; k++) L.push(`        jal ${R(c)}, land${slot}`);
  L.push(`tp${slot}:    jal ${R(c)}, land${slot}`);
  L.push(`land${slot}:`, `        lui ${R(b)}, %hi(${blk})`, `        addi ${R(b)}, ${R(b)}, %lo(${blk})`);
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        sw ${R(j)}, ${4 * j}(${R(b)})`);
  CSRS.forEach((k, i) => L.push(`        csrr ${R(c)}, ${hex(k.num, 3)}`, `        sw ${R(c)}, ${OFF.after + 4 * i}(${R(b)})`));
  L.push(...uartDump(R(b), R(c), BLKSZ));
  L.push(next === undefined ? '        j finish' : `        j s${next}`);
  return L.join('\n');
}

export type Placed = P<Instance>;

/** The end of a snippet: mtvec back at the handler, then the block (at register b) copied to the
 *  UART at 0x10000000 (QEMU hw/riscv/virt.c, virt_memmap[VIRT_UART0]); c is scratch. */
export function uartDump(b: string, c: string, size: number): string[] {
  return [
    `        la ${c}, handler`,
    `        csrw mtvec, ${c}`,
    `        mv t0, ${b}`,
    `        addi t2, t0, ${size}`,
    '        li t3, 0x10000000',
    `1:      lbu t1, 0(t0)`,
    '        sb t1, 0(t3)',
    '        addi t0, t0, 1',
    '        bne t0, t2, 1b',
  ];
}

/** Entry (mtvec at the handler, then the first snippet), the handler (a trap in M-mode ends the run
 *  with the test finisher's FAIL code 0x3333 and mcause) and `finish` (FINISHER_PASS 0x5555); the
 *  finisher is at 0x100000 (virt_memmap[VIRT_TEST]; include/hw/misc/sifive_test.h). */
export function virtRuntime(first: number): string[] {
  return [
    '        .globl _start',
    '_start: la t0, handler',
    '        csrw mtvec, t0',
    `        j s${first}`,
    '        .balign 4',
    'handler: csrr t0, mcause',
    '        slli t0, t0, 16',
    '        li t1, 0x3333',
    '        or t0, t0, t1',
    '        li t1, 0x100000',
    '        sw t0, 0(t1)',
    '2:      j 2b',
    'finish: li t0, 0x100000',
    '        li t1, 0x5555',
    '        sw t1, 0(t0)',
    '3:      j 3b',
  ];
}

/** Run a harness on the virt machine: what its UART received, and how QEMU ended. */
export function runVirt(elf: string, args: string[], timeout: number): { buf: Buffer; status: number | null; timedOut: boolean } {
  const out = `${elf}.uart`;
  const r = run(QEMU, [...args, '-serial', `file:${out}`, '-kernel', elf], { allowFail: true, timeout });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  if (r.error && !timedOut) throw r.error;
  return { buf: readFileSync(out), status: r.status, timedOut };
}

export function harnessSource(items: Placed[]): string {
  const text = items.map(({ inst, slot }, i) => snippet(inst, slot, items[i + 1]?.slot));
  const data = items.map(({ inst, slot }) =>
    [
      `        .org ${slot * BLK}`,
      `blk${slot}:`,
      `        .word ${inst.x.map((v) => hex(v)).join(', ')}`,
      `        .word ${inst.init.map((v) => hex(v)).join(', ')}`,
      `        .space ${8 * NC}`,
      '        .word 0',
    ].join('\n'),
  );
  return ['        .option norvc', '        .option norelax', '        .text', ...text, ...virtRuntime(items[0]!.slot), '        .data', ...data, ''].join(
    '\n',
  );
}

export function buildElf(items: Placed[], dir: string, name: string): string {
  const s0 = items[0]!.slot;
  return linkHarness(TOOLCHAINS.riscvVirt, dir, name, harnessSource(items), { [`ins${s0}`]: insAddr(s0) });
}

export interface QemuState {
  x: bigint[];
  before: bigint[];
  after: bigint[];
}

/** Run a harness; the blocks it wrote, or why it stopped early (a trap ends the run: finisher FAIL). */
export function runElf(elf: string, count: number): { states: QemuState[]; stopped?: string } {
  const { buf, status } = runVirt(elf, QEMU_ARGS, 120_000);
  const states = blocks(buf, BLKSZ, count, (i) => {
    const w = (off: number, k: number) => BigInt(buf.readUInt32LE(i + off + 4 * k));
    return { x: [...Array(32).keys()].map((k) => w(OFF.x, k)), before: CSRS.map((_, k) => w(OFF.before, k)), after: CSRS.map((_, k) => w(OFF.after, k)) };
  });
  return states.length < count
    ? { states, stopped: `QEMU stopped after ${states.length} of ${count} (exit ${status}, a trap in M-mode ends the run with mcause as the code)` }
    : { states };
}

// ---- isavirt's side ----

export class SpecSide extends InstanceSide<Instance> {
  constructor(isa: Isa, items: Placed[]) {
    // riscv.isa takes physical addresses modulo its 1 MiB (harness/riscv32-virt.ld).
    super(isa, items, (slot) => insAddr(slot) & 0xfffff);
  }

  run(inst: Instance, slot: number, before: bigint[]) {
    const m = this.m;
    m.writeReg('priv', 3n);
    // Seeded with what the hart made of INIT, on the bits riscv.isa implements: a WARL bit QEMU keeps
    // and riscv.isa hardwires (medeleg[11:10], mideleg's VS bits, satp.ASID) is not a state of the spec.
    CSRS.forEach((k, i) => {
      if (k.reg !== 'MISA') m.writeReg(k.reg, before[i]! & k.mask);
    });
    for (let j = 0; j < 32; j++) m.writeFile('x', j, inst.x[j]!);
    const A = BigInt(insAddr(slot));
    m.pc = A;
    // One step with the trap taken through the spec's trap entry (ECALL, EBREAK in M-mode).
    const st = m.step();
    const outcome: SpecOutcome = st.kind === 'stepped' ? { kind: 'done' } : st.kind === 'halted' ? { kind: 'halt' } : { kind: 'illegal' };
    return { outcome, x: [...Array(32).keys()].map((j) => m.readFile('x', j)), pc: m.pc, csrs: CSRS.map((k) => m.readReg(k.reg)), priv: m.readReg('priv') };
  }
}

export function compare(inst: Instance, q: QemuState, s: ReturnType<SpecSide['run']>): string[] {
  const d: string[] = [];
  // P 3.1.17: on a breakpoint mtval is the faulting address or zero; riscv.isa writes zero.
  const skip = inst.mnemonic === 'EBREAK' ? ['mtval'] : [];
  if (s.outcome.kind !== 'done') return [`isavirt: ${s.outcome.kind}${'trap' in s.outcome ? ' ' + s.outcome.trap : ''}, QEMU completed`];
  if (s.priv !== 3n) d.push(`isavirt left M-mode (priv ${s.priv})`);
  // rd holds the CSR's old value: compared on the bits riscv.isa implements for that CSR (or view).
  const num = inst.ops.csr ?? 0;
  const rdMask = inst.ops.c === undefined ? 0xffffffffn : (CSRS.find((k) => k.num === num)?.mask ?? VIEW_MASK[num]!);
  for (let j = 1; j < 32; j++) {
    if (j === inst.b || j === inst.c) continue;
    const mask = j === inst.ops.rd ? rdMask : 0xffffffffn;
    if ((q.x[j]! & mask) !== (s.x[j]! & mask)) d.push(`${R(j)}: QEMU ${hex(q.x[j]!)}, isavirt ${hex(s.x[j]!)}`);
  }
  const landed = u32(q.x[inst.c]! - 4n);
  if (landed !== s.pc) d.push(`pc: QEMU ${hex(landed)}, isavirt ${hex(s.pc)}`);
  CSRS.forEach((k, i) => {
    if (skip.includes(k.reg)) return;
    if ((q.after[i]! & k.mask) !== (s.csrs[i]! & k.mask)) d.push(`${k.reg} (mask ${hex(k.mask)}): QEMU ${hex(q.after[i]!)}, isavirt ${hex(s.csrs[i]!)}`);
  });
  return d;
}

export function cosimulate(isa: Isa, o: { seed: number; perInstruction: number; dir: string; only?: string[] }) {
  const rng = new Rng(o.seed);
  const mnemonics = isa.instructions
    .map((i) => i.mnemonic)
    .filter((m) => (/^CSRR[WSC]I?$/.test(m) || ['ECALL', 'EBREAK', 'MRET'].includes(m)) && (!o.only || o.only.includes(m)));
  const placed = placeAll(
    mnemonics.map((m) => ({ mnemonic: m, count: o.perInstruction })),
    BATCH,
    (w, slot) => generate(rng, w.mnemonic, slot),
  );
  const res = Object.assign(new Tally(), { stopped: [] as string[] });
  batches(placed, BATCH).forEach((group, bi) => {
    const side = new SpecSide(isa, group);
    const { states, stopped } = runElf(buildElf(group, o.dir, `rvsys${bi}`), group.length);
    if (stopped) res.stopped.push(`${stopped}; next: "${group[states.length]?.inst.gnu}"`);
    states.forEach((q, k) => {
      const p = group[k]!;
      const s = side.run(p.inst, p.slot, q.before);
      res.add(
        p.inst.mnemonic,
        s.outcome.kind === 'done' ? 'completed' : s.outcome.kind,
        compare(p.inst, q, s),
        () =>
          `${p.inst.mnemonic} "${p.inst.gnu}" (isavirt: "${side.text(p.inst)}") rs1/zimm=${p.inst.ops.rs1 !== undefined ? hex(p.inst.x[p.inst.ops.rs1]!) : p.inst.ops.z} before: ${CSRS.map((c, j) => `${c.reg}=${hex(q.before[j]!)}`).join(' ')}`,
      );
    });
  });
  return res;
}
