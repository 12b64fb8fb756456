// RISC-V co-simulation: random instances of riscv.isa's U-mode instructions, run one instruction
// each in qemu-riscv32 (a harness ELF built with GNU as/ld) and on isavirt's machine in U-mode.
//
// Harness layout (linker script harness/riscv32.ld). Instance i has a code snippet at
// TEXT + i*SNIP and a state block at DATA + i*BLK: 32 words (x0..x31) then a WIN-byte memory
// window. Two registers the instance does not name are the harness's: `b` (block base) and `c`
// (landing pad link). The snippet:
//
//     lui b, %hi(blk); addi b, b, %lo(blk)
//     lw xj, 4j(b)          for every j but 0 and b; then lw b, 4b(b)
//     j ins
//     jal c, land           M pads (backward branch and jump targets)
//   ins:
//     <the instance, in GNU syntax>
//     jal c, land           N pads (fall-through and forward targets)
//   land:
//     lui b, ..; addi b, ..; sw xj, 4j(b) for every j but 0 and b
//     write(1, blk, BLKSZ); j next
//
// Whatever the instance does (fall through, branch, jump), it lands on one pad, whose `jal` leaves
// the pad's address + 4 in c: the pc after the instance is c - 4. b and c are not compared with
// QEMU (they are the harness's), but isavirt must leave them unchanged. With -cpu rv32,c=false QEMU
// implements RV32I without the C extension, as riscv.isa does (IALIGN = 32: a jump or taken branch
// to a target that is not 4-byte aligned raises the instruction-address-misaligned exception, U 2.5).

import type { Isa } from '../../../src/ir/types.js';
import { Rng } from '../../exec/helpers.js';
import { hex, otherRegisters, stepOnce, type SpecOutcome, InstanceSide } from './spec.js';
import {
  batches,
  checkSlots,
  linkHarness,
  outcomeWord,
  placeAll,
  runAll,
  Tally,
  TOOLCHAINS,
  type Placed as P,
  blocks,
  unhandledException,
  withEnd,
  runUser,
} from './cosim.js';

export const TEXT = 0x10000;
export const SNIP = 512;
export const DATA = 0x60000;
export const BLK = 256;
export const WIN = 64;
export const BLKSZ = 128 + WIN;
export const BACK = 8;
export const FWD = 8;
/** Instances per ELF: the code ends below DATA and the blocks below 1 MiB. */
export const BATCH = (DATA - TEXT) / SNIP - 2;
/** Offset of the instance in its snippet: lui, addi, 31 loads, j, BACK pads. */
export const INS_OFF = 4 * (2 + 31 + 1 + BACK);

export const insAddr = (slot: number): number => TEXT + slot * SNIP + INS_OFF;
export const blkAddr = (slot: number): number => DATA + slot * BLK;
export const winAddr = (slot: number): number => blkAddr(slot) + 128;

export const QEMU_ARGS = ['-cpu', 'rv32,c=false'];
export const TOOLS = [
  { bin: 'qemu-riscv32', pkg: 'qemu-user' },
  { bin: 'riscv64-unknown-elf-as', pkg: 'binutils-riscv64-unknown-elf' },
  { bin: 'riscv64-unknown-elf-ld', pkg: 'binutils-riscv64-unknown-elf' },
];

export interface Instance {
  mnemonic: string;
  /** Operand values by the spec's operand names (signed immediates as negative numbers). */
  ops: Record<string, number>;
  gnu: string;
  /** Initial x0..x31 (x0 = 0). */
  x: bigint[];
  win: number[];
  b: number;
  c: number;
  /** The generator expects a trap (or a syscall): run it alone, not in a batch. */
  alone: boolean;
  /** Branch and jump offsets' target addresses, by operand (see specText). */
  targets: Record<string, number>;
}

/** The RISC-V ABI register names, x0..x31 (the system-mode harnesses share them). */
export const ABI = [
  'zero',
  'ra',
  'sp',
  'gp',
  'tp',
  't0',
  't1',
  't2',
  's0',
  's1',
  'a0',
  'a1',
  'a2',
  'a3',
  'a4',
  'a5',
  'a6',
  'a7',
  's2',
  's3',
  's4',
  's5',
  's6',
  's7',
  's8',
  's9',
  's10',
  's11',
  't3',
  't4',
  't5',
  't6',
];
export const R = (i: number): string => ABI[i]!;
const rel = (off: number): string => (off >= 0 ? `.+${off}` : `.-${-off}`);
export const u32 = (v: bigint | number): bigint => BigInt.asUintN(32, BigInt(v));

/** The forms of riscv.isa's instructions, by the operands they take. */
type Form = 'R' | 'I' | 'SHIFT' | 'U' | 'B' | 'JAL' | 'JALR' | 'LOAD' | 'STORE' | 'NONE' | 'CSR' | 'CSRI' | 'SFENCE';

export const FORMS: Record<string, Form> = {
  LUI: 'U',
  AUIPC: 'U',
  JAL: 'JAL',
  JALR: 'JALR',
  BEQ: 'B',
  BNE: 'B',
  BLT: 'B',
  BGE: 'B',
  BLTU: 'B',
  BGEU: 'B',
  LW: 'LOAD',
  LBU: 'LOAD',
  LB: 'LOAD',
  LH: 'LOAD',
  LHU: 'LOAD',
  SW: 'STORE',
  SB: 'STORE',
  SH: 'STORE',
  ADDI: 'I',
  SLTI: 'I',
  SLTIU: 'I',
  XORI: 'I',
  ORI: 'I',
  ANDI: 'I',
  SLLI: 'SHIFT',
  SRLI: 'SHIFT',
  SRAI: 'SHIFT',
  ADD: 'R',
  SUB: 'R',
  SLL: 'R',
  SLT: 'R',
  SLTU: 'R',
  XOR: 'R',
  SRL: 'R',
  SRA: 'R',
  OR: 'R',
  AND: 'R',
  FENCE: 'NONE',
  ECALL: 'NONE',
  EBREAK: 'NONE',
  MRET: 'NONE',
  SRET: 'NONE',
  WFI: 'NONE',
  SFENCE_VMA: 'SFENCE',
};
// One CSRRW/CSRRS/... each, with the real 12-bit csr field (issue 11's real encodings).
for (const op of ['CSRRW', 'CSRRS', 'CSRRC']) FORMS[op] = 'CSR';
for (const op of ['CSRRWI', 'CSRRSI', 'CSRRCI']) FORMS[op] = 'CSRI';

const ACCESS: Record<string, number> = { LW: 4, LH: 2, LHU: 2, LBU: 1, LB: 1, SW: 4, SH: 2, SB: 1 };

function simm(rng: Rng, bits: number): number {
  const lo = -(1 << (bits - 1)),
    hi = (1 << (bits - 1)) - 1;
  switch (rng.int(6)) {
    case 0:
      return 0;
    case 1:
      return -1;
    case 2:
      return lo;
    case 3:
      return hi;
    default:
      return lo + rng.int(hi - lo + 1);
  }
}

/** A register index 0..31, x0 now and then. */
const anyReg = (rng: Rng): number => (rng.int(8) === 0 ? 0 : 1 + rng.int(31));

/** Whether instances of `mnemonic` are expected to trap or leave the harness (run alone). */
export function runsAlone(mnemonic: string, variant: 'plain' | 'misaligned' = 'plain'): boolean {
  const f = FORMS[mnemonic];
  return variant === 'misaligned' || f === 'CSR' || f === 'CSRI' || f === 'SFENCE' || (f === 'NONE' && mnemonic !== 'FENCE');
}

/** Forms whose instances transfer control (they have a misaligned variant). */
export const hasMisaligned = (mnemonic: string): boolean => ['B', 'JAL', 'JALR'].includes(FORMS[mnemonic] ?? '');

/**
 * A random instance of `mnemonic` in snippet `slot`. `variant` 'misaligned' asks for a control
 * transfer to a target that is 2 mod 4 (an instruction-address-misaligned exception when taken).
 */
export function generate(rng: Rng, mnemonic: string, slot: number, variant: 'plain' | 'misaligned' = 'plain'): Instance {
  const form = FORMS[mnemonic];
  if (!form) throw new Error(`no co-simulation form for ${mnemonic}`);
  const A = insAddr(slot),
    W = winAddr(slot);
  const x: bigint[] = [0n];
  for (let i = 1; i < 32; i++) x.push(rng.big(32));
  const win = Array.from({ length: WIN }, () => rng.int(256));
  const ops: Record<string, number> = {};
  const used: number[] = [];
  let gnu = '';
  const lower = mnemonic.toLowerCase();
  const padOffset = (): number => {
    let k = 0;
    while (k === 0) k = -BACK + rng.int(BACK + FWD + 1);
    return 4 * k + (variant === 'misaligned' ? (k > 0 ? -2 : 2) : 0);
  };
  switch (form) {
    case 'R': {
      ops.rd = anyReg(rng);
      ops.rs1 = anyReg(rng);
      ops.rs2 = rng.int(4) === 0 ? ops.rs1 : anyReg(rng);
      if ((mnemonic === 'SLL' || mnemonic === 'SRL' || mnemonic === 'SRA') && ops.rs2 !== 0 && rng.int(2) === 0) {
        x[ops.rs2] = BigInt(rng.int(32)) | (rng.int(2) ? u32(rng.big(32)) & ~31n : 0n);
      }
      used.push(ops.rd, ops.rs1, ops.rs2);
      gnu = `${lower} ${R(ops.rd)}, ${R(ops.rs1)}, ${R(ops.rs2)}`;
      break;
    }
    case 'I': {
      ops.rd = anyReg(rng);
      ops.rs1 = anyReg(rng);
      ops.k = simm(rng, 12);
      used.push(ops.rd, ops.rs1);
      gnu = `${lower} ${R(ops.rd)}, ${R(ops.rs1)}, ${ops.k}`;
      break;
    }
    case 'SHIFT': {
      ops.rd = anyReg(rng);
      ops.rs1 = anyReg(rng);
      ops.sh = rng.pick([0, 1, 31, rng.int(32)]);
      used.push(ops.rd, ops.rs1);
      gnu = `${lower} ${R(ops.rd)}, ${R(ops.rs1)}, ${ops.sh}`;
      break;
    }
    case 'U': {
      ops.rd = anyReg(rng);
      ops.k = rng.pick([0, 1, 0x7ffff, 0x80000, 0xfffff, rng.int(1 << 20)]);
      used.push(ops.rd);
      gnu = `${lower} ${R(ops.rd)}, 0x${ops.k.toString(16)}`;
      break;
    }
    case 'B': {
      ops.rs1 = anyReg(rng);
      ops.rs2 = anyReg(rng);
      ops.off = padOffset();
      // Half the time make the operands related so that each condition is both taken and not.
      if (ops.rs2 !== 0 && rng.int(2) === 0) {
        const a = x[ops.rs1]!;
        x[ops.rs2] = u32(rng.pick([a, a + 1n, a - 1n, a ^ 0x80000000n]));
      }
      used.push(ops.rs1, ops.rs2);
      gnu = `${lower} ${R(ops.rs1)}, ${R(ops.rs2)}, ${rel(ops.off)}`;
      break;
    }
    case 'JAL': {
      ops.rd = anyReg(rng);
      ops.off = padOffset();
      used.push(ops.rd);
      gnu = `jal ${R(ops.rd)}, ${rel(ops.off)}`;
      break;
    }
    case 'JALR': {
      ops.rd = anyReg(rng);
      ops.rs1 = 1 + rng.int(31);
      ops.off = simm(rng, 12);
      const target = A + padOffset();
      // Bit 0 of the sum is cleared by JALR (U 2.5): set it now and then.
      x[ops.rs1] = u32(BigInt(target) - BigInt(ops.off) + BigInt(rng.int(2)));
      used.push(ops.rd, ops.rs1);
      gnu = `jalr ${R(ops.rd)}, ${ops.off}(${R(ops.rs1)})`;
      break;
    }
    case 'LOAD':
    case 'STORE': {
      const size = ACCESS[mnemonic]!;
      ops.rs1 = 1 + rng.int(31);
      ops.off = simm(rng, 12);
      const ea = W + size * rng.int(WIN / size);
      x[ops.rs1] = u32(BigInt(ea) - BigInt(ops.off));
      if (form === 'LOAD') {
        ops.rd = anyReg(rng);
        used.push(ops.rd, ops.rs1);
        gnu = `${lower} ${R(ops.rd)}, ${ops.off}(${R(ops.rs1)})`;
      } else {
        ops.rs2 = anyReg(rng);
        used.push(ops.rs2, ops.rs1);
        gnu = `${lower} ${R(ops.rs2)}, ${ops.off}(${R(ops.rs1)})`;
      }
      break;
    }
    case 'NONE': {
      gnu = lower;
      if (mnemonic === 'ECALL') {
        // The Linux environment's exit system call: a7 = 93, status a0 (the RISC-V Linux ABI).
        x[17] = 93n;
        x[10] = BigInt(rng.int(256));
        used.push(17, 10);
      }
      break;
    }
    case 'SFENCE': {
      ops.rs1 = anyReg(rng);
      ops.rs2 = anyReg(rng);
      used.push(ops.rs1, ops.rs2);
      gnu = `sfence.vma ${R(ops.rs1)}, ${R(ops.rs2)}`;
      break;
    }
    case 'CSR':
    case 'CSRI': {
      // The csr field: an S-level (0x100 + c) or M-level (0x300 + c) CSR number.
      const base = rng.int(2) ? 0x100 : 0x300;
      const real = mnemonic.toLowerCase();
      ops.rd = anyReg(rng);
      ops.c = rng.pick([0x00, 0x04, 0x05, 0x40, 0x41, 0x42, 0x43, 0x44, 0x80, rng.int(256)]);
      if (form === 'CSR') {
        ops.rs1 = anyReg(rng);
        used.push(ops.rs1);
      } else ops.z = rng.int(32);
      used.push(ops.rd);
      const src = form === 'CSR' ? R(ops.rs1!) : String(ops.z);
      ops.csr = base + ops.c;
      gnu = `${real} ${R(ops.rd)}, 0x${(base + ops.c).toString(16)}, ${src}`;
      break;
    }
  }
  if (variant === 'misaligned' && !['B', 'JAL', 'JALR'].includes(form)) throw new Error(`${mnemonic} has no misaligned variant`);
  const free = [];
  for (let i = 1; i < 32; i++) if (!used.includes(i)) free.push(i);
  const b = rng.pick(free);
  const c = rng.pick(free.filter((i) => i !== b));
  const targets: Record<string, number> = form === 'B' || form === 'JAL' ? { off: A + ops.off! } : {};
  return { mnemonic, ops, gnu, x, win, b, c, alone: runsAlone(mnemonic, variant), targets };
}

// ---- the harness ELF ----

function snippet(inst: Instance, slot: number, next: number | undefined): string {
  const { b, c } = inst;
  const blk = `blk${slot}`;
  const L: string[] = [`        .org ${slot * SNIP}`, `s${slot}:`];
  L.push(`        lui ${R(b)}, %hi(${blk})`, `        addi ${R(b)}, ${R(b)}, %lo(${blk})`);
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        lw ${R(j)}, ${4 * j}(${R(b)})`);
  L.push(`        lw ${R(b)}, ${4 * b}(${R(b)})`, `        j ins${slot}`);
  for (let k = 0; k < BACK; k++) L.push(`        jal ${R(c)}, land${slot}`);
  L.push(`ins${slot}:`, `        ${inst.gnu}`);
  for (let k = 0; k < FWD; k++) L.push(`        jal ${R(c)}, land${slot}`);
  L.push(`land${slot}:`, `        lui ${R(b)}, %hi(${blk})`, `        addi ${R(b)}, ${R(b)}, %lo(${blk})`);
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        sw ${R(j)}, ${4 * j}(${R(b)})`);
  L.push(`        mv a1, ${R(b)}`, '        li a0, 1', `        li a2, ${BLKSZ}`, '        li a7, 64', '        ecall');
  if (next === undefined) L.push('        li a0, 0', '        li a7, 93', '        ecall');
  else L.push(`        j s${next}`);
  return L.join('\n');
}

function dataBlock(inst: Instance, slot: number): string {
  const words = inst.x.map((v) => hex(v)).join(', ');
  return [`        .org ${slot * BLK}`, `blk${slot}:`, `        .word ${words}`, `        .byte ${inst.win.join(', ')}`].join('\n');
}

/** An instance in the snippet (and state block) of its slot; slots increase within one harness. */
export type Placed = P<Instance>;

/** The GNU assembly of a harness running `items` in order, then exit(0). */
export function harnessSource(items: Placed[]): string {
  const text = items.map(({ inst, slot }, i) => snippet(inst, slot, items[i + 1]?.slot));
  const data = items.map(({ inst, slot }) => dataBlock(inst, slot));
  return [
    '        .option norvc',
    '        .option norelax',
    '        .text',
    ...text,
    '        .globl _start',
    '_start:',
    `        j s${items[0]!.slot}`,
    '        .data',
    ...data,
    '',
  ].join('\n');
}

/** Assemble and link a harness for `insts`; returns the ELF's path. */
export function buildElf(items: Placed[], dir: string, name: string): string {
  checkSlots(items, BATCH);
  const s0 = items[0]!.slot;
  return linkHarness(TOOLCHAINS.riscv, dir, name, harnessSource(items), { [`ins${s0}`]: insAddr(s0), [`blk${s0}`]: blkAddr(s0) });
}

/** What QEMU did with one instance: the state it dumped, or how the process ended. */
export type QemuOutcome =
  { kind: 'state'; x: bigint[]; win: number[] } | { kind: 'signal'; signal: string } | { kind: 'exception'; cause: number } | { kind: 'exit'; status: number };

/** Run a harness; one outcome per instance that ran (the last may be how the process ended). */
export function runElf(elf: string, count: number): QemuOutcome[] {
  const r = runUser('qemu-riscv32', [...QEMU_ARGS, elf]);
  const out = r.stdout;
  const states = blocks<QemuOutcome>(out, BLKSZ, count, (i) => ({
    kind: 'state',
    x: [...Array(32).keys()].map((j) => BigInt(out.readUInt32LE(i + 4 * j))),
    win: [...out.subarray(i + 128, i + BLKSZ)],
  }));
  return withEnd(states, count, r, elf, () => {
    const exc = unhandledException(r);
    return r.signal ? { kind: 'signal', signal: r.signal } : exc !== undefined ? { kind: 'exception', cause: exc } : { kind: 'exit', status: r.status ?? -1 };
  });
}

// ---- isavirt's side and the comparison ----

export interface SpecRun {
  outcome: SpecOutcome;
  x: bigint[];
  pc: bigint;
  win: number[];
  /** Registers other than x and pc that changed (must be none). */
  changed: string[];
}

/** The spec's machine with every instance's instruction assembled (by isavirt) at its address. */
export class SpecSide extends InstanceSide<Instance> {
  constructor(isa: Isa, items: Placed[]) {
    super(isa, items, insAddr);
  }

  /** Seed the U-mode state of `inst` in `slot` and execute its one instruction. */
  run(inst: Instance, slot: number): SpecRun {
    const m = this.m;
    m.writeReg('priv', 0n); // the guest mode: U (riscv.isa: user when priv == 0)
    for (let j = 0; j < 32; j++) m.writeFile('x', j, inst.x[j]!);
    const A = BigInt(insAddr(slot)),
      W = winAddr(slot);
    inst.win.forEach((v, k) => m.writeMem('ram', W + k, BigInt(v)));
    m.pc = A;
    const before = otherRegisters(m, ['pc']);
    const outcome = stepOnce(m, A);
    const after = otherRegisters(m, ['pc']);
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    const x: bigint[] = [];
    for (let j = 0; j < 32; j++) x.push(m.readFile('x', j));
    const win: number[] = [];
    for (let k = 0; k < WIN; k++) win.push(Number(m.readMem('ram', W + k)));
    return { outcome, x, pc: m.pc, win, changed };
  }
}

/** How QEMU user mode shows a trap of riscv.isa (QEMU 7.2 linux-user/riscv/cpu_loop.c). */
function trapAgrees(trap: string, q: QemuOutcome, inst: Instance): boolean {
  switch (trap) {
    case 'illegal_instruction':
    case 'undefined_instruction':
      return q.kind === 'signal' && q.signal === 'SIGILL';
    case 'breakpoint':
      return q.kind === 'signal' && q.signal === 'SIGTRAP';
    case 'instruction_misaligned':
      // QEMU 7.2 has no case for cause 0 and aborts naming it; later versions raise SIGBUS.
      return (q.kind === 'exception' && q.cause === 0) || (q.kind === 'signal' && q.signal === 'SIGBUS');
    case 'load_misaligned':
    case 'store_misaligned':
      return q.kind === 'signal' && q.signal === 'SIGBUS';
    case 'ecall_from_u':
      // The environment (Linux) took the call: exit(a0).
      return q.kind === 'exit' && BigInt(q.status) === (inst.x[10]! & 0xffn);
    default:
      return false;
  }
}

const describeQ = (q: QemuOutcome): string =>
  q.kind === 'state' ? 'completed' : q.kind === 'signal' ? `signal ${q.signal}` : q.kind === 'exception' ? `CPU exception ${q.cause}` : `exit ${q.status}`;

/** Differences between QEMU's and isavirt's results for one instance (empty: they agree). */
export function compare(inst: Instance, slot: number, q: QemuOutcome, s: SpecRun): string[] {
  const d: string[] = [];
  if (s.changed.length) d.push(`isavirt changed ${s.changed.join(', ')}`);
  const o = s.outcome;
  if (o.kind !== 'done') {
    if (o.kind === 'trap' && q.kind !== 'state') {
      if (!trapAgrees(o.trap, q, inst)) d.push(`isavirt traps ${o.trap}, QEMU: ${describeQ(q)}`);
      return d;
    }
    return [...d, `isavirt: ${o.kind}${'trap' in o ? ' ' + o.trap : ''}, QEMU: ${describeQ(q)}`];
  }
  if (q.kind !== 'state') return [...d, `isavirt completes, QEMU: ${describeQ(q)}`];
  const A = BigInt(insAddr(slot));
  for (let j = 1; j < 32; j++) {
    if (j === inst.b || j === inst.c) {
      if (s.x[j] !== inst.x[j]) d.push(`isavirt wrote harness register ${R(j)}: ${hex(s.x[j]!)}`);
      continue;
    }
    if (q.x[j] !== s.x[j]) d.push(`${R(j)}: QEMU ${hex(q.x[j]!)}, isavirt ${hex(s.x[j]!)}`);
  }
  if (s.x[0] !== 0n) d.push(`isavirt x0 = ${hex(s.x[0]!)}`);
  const qDelta = u32(q.x[inst.c]! - 4n - A),
    sDelta = u32(s.pc - A);
  if (qDelta !== sDelta) d.push(`pc: QEMU ${hex(u32(A + qDelta))}, isavirt ${hex(s.pc)} (instance at ${hex(A)})`);
  for (let k = 0; k < WIN; k++) {
    if (q.win[k] !== s.win[k]) d.push(`memory ${hex(winAddr(slot) + k)}: QEMU 0x${q.win[k]!.toString(16)}, isavirt 0x${s.win[k]!.toString(16)}`);
  }
  return d;
}

export function describeInstance(inst: Instance, spec: string): string {
  const regs = new Set<number>();
  for (const [k, v] of Object.entries(inst.ops)) if (k.startsWith('r')) regs.add(v);
  const vals = [...regs]
    .filter((r) => r !== 0)
    .map((r) => `${R(r)}=${hex(inst.x[r]!)}`)
    .join(' ');
  return `"${inst.gnu}" (isavirt: "${spec}") with ${vals || 'no register operands'}`;
}

// ---- the whole co-simulation ----

export interface CosimOptions {
  seed: number;
  /** Instances of each instruction that completes in U-mode (batched). */
  perInstruction: number;
  /** Instances of each instruction that traps in U-mode (an ELF each). */
  perTrapping: number;
  /** Misaligned-target instances of each control transfer (an ELF each). */
  misaligned: number;
  /** Only these mnemonics (default: every instruction of the spec). */
  only?: string[];
  /** Where the harnesses are built. */
  dir: string;
}

export interface CosimResult extends Tally {
  /** Instructions of the spec without a generator. */
  uncovered: string[];
}

export function cosimulate(isa: Isa, o: CosimOptions): CosimResult {
  const mnemonics = isa.instructions.map((i) => i.mnemonic).filter((m) => !o.only || o.only.includes(m));
  const uncovered = mnemonics.filter((m) => !FORMS[m]);
  type Want = { mnemonic: string; variant: 'plain' | 'misaligned'; count: number };
  const batched: Want[] = [],
    alone: Want[] = [];
  for (const mnemonic of mnemonics) {
    if (!FORMS[mnemonic]) continue;
    const solo = runsAlone(mnemonic);
    (solo ? alone : batched).push({ mnemonic, variant: 'plain', count: solo ? o.perTrapping : o.perInstruction });
    if (hasMisaligned(mnemonic)) alone.push({ mnemonic, variant: 'misaligned', count: o.misaligned });
  }
  const rng = new Rng(o.seed);
  const place = (ws: Want[]): Placed[] => placeAll(ws, BATCH, (w, slot) => generate(rng, w.mnemonic, slot, w.variant));
  const placedBatched = place(batched),
    placedAlone = place(alone);
  const res: CosimResult = Object.assign(new Tally(), { uncovered });
  // A batch runs to its end unless an instance traps in QEMU; then the rest runs in a new ELF. The
  // instances that trap run one per ELF, in distinct slots, so that one machine holds a batch of them.
  const runBatches = (placed: Placed[], prefix: string, alone: boolean) =>
    batches(placed, BATCH).forEach((items, bi) => {
      const side = new SpecSide(isa, items);
      runAll(items, `${prefix}${bi}`, {
        build: (group, name) => buildElf(group, o.dir, name),
        runElf,
        alone: () => alone,
        check: (p, q) => {
          const s = side.run(p.inst, p.slot);
          res.add(
            p.inst.mnemonic,
            outcomeWord(s.outcome, s.pc === BigInt(insAddr(p.slot) + 4)),
            compare(p.inst, p.slot, q, s),
            () => `${p.inst.mnemonic} ${describeInstance(p.inst, side.text(p.inst))}`,
          );
        },
      });
    });
  runBatches(placedBatched, 'batch', false);
  runBatches(placedAlone, 'alone', true);
  return res;
}
