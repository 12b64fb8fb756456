// m68k co-simulation: random instances of m68000.isa's instructions, run one instruction each in
// user state in qemu-m68k -cpu m68000 (a harness ELF built with m68k-linux-gnu-as/ld) and on
// isavirt's machine in its guest mode, user.
//
// Harness layout (harness/m68k.ld): instance i's snippet at TEXT + i*SNIP, its block at
// DATA + i*BLK: D0-D7, A0-A7, the SR word (at +66), the landing pad's number (+68), then a WIN-byte
// window at +80. Absolute addressing needs no register, so every register is the instance's:
//
//     +0    move.w blk+66, %ccr; movem.l blk, %d0-%d7/%a0-%a7; jmp ins
//     +32   four back pads (24 bytes each): move.w %sr, blk+66; move.l #id, blk+68; jmp land
//     +128  ins: the instance (GNU syntax); bra.w to forward pad 0 (the fall-through)
//     +144  four forward pads
//     +256  land: movem.l %d0-%d7/%a0-%a7, blk; write(1, blk, BLKSZ); next snippet
//
// The pads save SR before anything can change the condition codes (MOVE from SR is not privileged on
// the 68000, PRM 4 MOVE from SR, and leaves the CCR alone).

import type { Isa } from '../../../src/ir/types.js';
import { Rng } from '../../exec/helpers.js';
import { hex, otherRegisters, stepOnce, type SpecOutcome, InstanceSide } from './spec.js';
import {
  batches,
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
export const BLKSZ = 80 + WIN;
export const BATCH = (DATA - TEXT) / SNIP - 2;
const BACK_AT = 32,
  INS_AT = 128,
  FWD_AT = 144,
  LAND_AT = 256,
  PADS = 4;
export const insAddr = (slot: number): number => TEXT + slot * SNIP + INS_AT;
export const blkAddr = (slot: number): number => DATA + slot * BLK;
export const winAddr = (slot: number): number => blkAddr(slot) + 80;
export const padAddr = (slot: number, id: number): number => TEXT + slot * SNIP + (id >= 100 ? BACK_AT + 24 * (id - 100) : FWD_AT + 24 * id);
const padLabel = (slot: number, id: number): string => (id >= 100 ? `p${slot}_b${id - 100}` : `p${slot}_f${id}`);

export const QEMU_ARGS = ['-cpu', 'm68000'];
export const TOOLS = [
  { bin: 'qemu-m68k', pkg: 'qemu-user' },
  { bin: 'm68k-linux-gnu-as', pkg: 'binutils-m68k-linux-gnu' },
  { bin: 'm68k-linux-gnu-ld', pkg: 'binutils-m68k-linux-gnu' },
];

const u32 = (v: bigint | number): bigint => BigInt.asUintN(32, BigInt(v));
const D = (i: number) => `%d${i}`;
const A = (i: number) => (i === 7 ? '%sp' : `%a${i}`);
/** The instructions that raise the privilege violation in user state (PRM 6.2.3, table "privileged"). */
const PRIVILEGED = ['MOVE_TO_SR', 'MOVE_TO_SR_I', 'ANDI_SR', 'ORI_SR', 'EORI_SR', 'MOVE_TO_USP', 'MOVE_FROM_USP', 'RTE', 'STOP', 'RESET'];

export interface Instance {
  mnemonic: string;
  ops: Record<string, number>;
  gnu: string;
  d: bigint[];
  a: bigint[];
  ccr: number;
  win: number[];
  /** Expected to end the harness (an exception or a system call): runs in an ELF of its own. */
  alone: boolean;
  /** CCR bits the PRM leaves undefined for this instance. */
  undefinedCcr: number;
  /** Branch displacements' target addresses (see specText). */
  targets: Record<string, number>;
}

export function generate(rng: Rng, mnemonic: string, slot: number): Instance {
  const d: bigint[] = [],
    a: bigint[] = [];
  for (let i = 0; i < 8; i++) d.push(u32(rng.big(32)));
  for (let i = 0; i < 8; i++) a.push(u32(rng.big(32)));
  const inst: Instance = {
    mnemonic,
    ops: {},
    gnu: '',
    d,
    a,
    ccr: rng.int(32),
    win: Array.from({ length: WIN }, () => rng.int(256)),
    alone: false,
    undefinedCcr: 0,
    targets: {},
  };
  const o = inst.ops;
  const W = winAddr(slot);
  const reg = () => rng.int(8);
  /** An even address in the window with `room` bytes after it (odd ones are address errors, not run). */
  const even = (room: number) => W + 2 * rng.int((WIN - room) / 2 + 1);
  const target = () => rng.pick([1, 2, 3, 100, 101, 102, 103]);
  const stack = (room: number) => {
    const sp = even(room);
    a[7] = BigInt(sp);
    return sp - W;
  };
  const poke = (off: number, v: bigint | number, bytes: number) => {
    for (let k = 0; k < bytes; k++) inst.win[off + k] = Number((BigInt(v) >> BigInt(8 * (bytes - 1 - k))) & 0xffn);
  };
  const q8 = () => 1 + rng.int(8);
  const imm32 = () => Number(u32(rng.big(32)));
  const lower = mnemonic.toLowerCase();
  switch (mnemonic) {
    case 'MOVE_DD':
      o.s = reg();
      o.t = reg();
      inst.gnu = `move.l ${D(o.s)}, ${D(o.t)}`;
      break;
    case 'MOVE_ID':
      o.k = imm32();
      o.t = reg();
      inst.gnu = `move.l #${hex(o.k)}, ${D(o.t)}`;
      break;
    case 'MOVE_AD':
      o.s = reg();
      o.t = reg();
      a[o.s] = BigInt(even(4));
      inst.gnu = `move.l (${A(o.s)}), ${D(o.t)}`;
      break;
    case 'MOVE_PD':
      o.s = reg();
      o.t = reg();
      a[o.s] = BigInt(even(4));
      inst.gnu = `move.l (${A(o.s)})+, ${D(o.t)}`;
      break;
    case 'MOVE_MD':
      o.x = even(4);
      o.t = reg();
      inst.gnu = `move.l (${hex(o.x)}).l, ${D(o.t)}`;
      break;
    case 'MOVE_DA':
      o.s = reg();
      o.t = reg();
      a[o.t] = BigInt(even(4));
      inst.gnu = `move.l ${D(o.s)}, (${A(o.t)})`;
      break;
    case 'MOVE_DP':
      o.s = reg();
      o.t = reg();
      a[o.t] = BigInt(even(0) + 4);
      inst.gnu = `move.l ${D(o.s)}, -(${A(o.t)})`;
      break;
    case 'MOVE_DM':
      o.s = reg();
      o.x = even(4);
      inst.gnu = `move.l ${D(o.s)}, (${hex(o.x)}).l`;
      break;
    case 'MOVEA_I':
      o.k = imm32();
      o.t = reg();
      inst.gnu = `movea.l #${hex(o.k)}, ${A(o.t)}`;
      break;
    case 'LEA':
      o.x = imm32();
      o.t = reg();
      inst.gnu = `lea (${hex(o.x)}).l, ${A(o.t)}`;
      break;
    case 'MOVEQ':
      o.v = rng.int(256) - 128;
      o.t = reg();
      inst.gnu = `moveq #${o.v}, ${D(o.t)}`;
      break;
    case 'CLR':
    case 'TST':
    case 'NOT':
    case 'NEG':
      o.t = reg();
      inst.gnu = `${lower}.l ${D(o.t)}`;
      break;
    case 'ADD':
    case 'SUB':
    case 'CMP':
    case 'AND':
    case 'OR':
    case 'EOR': {
      o.s = reg();
      o.t = reg();
      if (rng.int(3) === 0) d[o.s] = u32(rng.pick([d[o.t]!, d[o.t]! + 1n, -d[o.t]!, d[o.t]! ^ 0x80000000n]));
      inst.gnu = `${lower}.l ${D(o.s)}, ${D(o.t)}`;
      break;
    }
    case 'ADDI':
    case 'CMPI':
      o.k = imm32();
      o.t = reg();
      inst.gnu = `${lower}.l #${hex(o.k)}, ${D(o.t)}`;
      break;
    case 'ADDQ':
    case 'SUBQ': {
      const n = q8();
      o.q = n & 7;
      o.t = reg();
      inst.gnu = `${lower}.l #${n}, ${D(o.t)}`;
      break;
    }
    case 'ADDQA':
    case 'SUBQA': {
      const n = q8();
      o.q = n & 7;
      o.t = reg();
      inst.gnu = `${lower.slice(0, 4)}.l #${n}, ${A(o.t)}`;
      break;
    }
    case 'LSL':
    case 'LSR': {
      const n = q8();
      o.q = n & 7;
      o.t = reg();
      inst.gnu = `${lower}.l #${n}, ${D(o.t)}`;
      break;
    }
    case 'MULU':
      o.s = reg();
      o.t = reg();
      inst.gnu = `mulu.w ${D(o.s)}, ${D(o.t)}`;
      break;
    case 'DIVU': {
      o.s = reg();
      o.t = reg();
      if (rng.int(8) === 0) d[o.s] = d[o.s]! & 0xffff0000n;
      // PRM 4 DIVU: on overflow N and Z are undefined.
      const dv = d[o.s]! & 0xffffn;
      inst.alone = dv === 0n;
      if (dv !== 0n && d[o.t]! / dv >= 0x10000n) inst.undefinedCcr = 0b01100;
      inst.gnu = `divu.w ${D(o.s)}, ${D(o.t)}`;
      break;
    }
    case 'BRA':
    case 'BSR':
    case 'BNE':
    case 'BEQ':
    case 'BGE':
    case 'BLT':
    case 'BGT':
    case 'BLE': {
      const id = target();
      o.disp = padAddr(slot, id) - (insAddr(slot) + 2);
      inst.targets.disp = padAddr(slot, id);
      if (mnemonic === 'BSR') stack(0);
      inst.gnu = `${lower}.w ${padLabel(slot, id)}`;
      break;
    }
    case 'JMP':
    case 'JSR': {
      const id = target();
      o.x = padAddr(slot, id);
      if (mnemonic === 'JSR') stack(0);
      // The absolute long form the spec models (gas would pick a shorter PC-relative one, and JSR's
      // return address would differ).
      inst.gnu = `${lower} (${padLabel(slot, id)}).l`;
      break;
    }
    case 'RTS': {
      const sp = stack(4);
      poke(sp, padAddr(slot, target()), 4);
      inst.gnu = 'rts';
      break;
    }
    case 'RTR': {
      const sp = stack(6);
      poke(sp, rng.int(0x10000), 2);
      poke(sp + 2, padAddr(slot, target()), 4);
      inst.gnu = 'rtr';
      break;
    }
    case 'NOP':
      inst.gnu = 'nop';
      break;
    case 'MOVE_FROM_SR':
      o.t = reg();
      inst.gnu = `move.w %sr, ${D(o.t)}`;
      break;
    case 'MOVE_TO_CCR':
      o.s = reg();
      inst.gnu = `move.w ${D(o.s)}, %ccr`;
      break;
    case 'ANDI_CCR':
    case 'ORI_CCR':
    case 'EORI_CCR':
      o.k = rng.int(256);
      inst.gnu = `${lower.slice(0, -4)}.b #${o.k}, %ccr`;
      break;
    case 'MOVE_TO_SR':
      o.s = reg();
      inst.gnu = `move.w ${D(o.s)}, %sr`;
      break;
    case 'MOVE_TO_SR_I':
      o.k = rng.int(0x10000);
      inst.gnu = `move.w #${o.k}, %sr`;
      break;
    case 'ANDI_SR':
    case 'ORI_SR':
    case 'EORI_SR':
      o.k = rng.int(0x10000);
      inst.gnu = `${lower.slice(0, -3)}.w #${o.k}, %sr`;
      break;
    case 'MOVE_TO_USP':
      o.s = reg();
      inst.gnu = `move.l ${A(o.s)}, %usp`;
      break;
    case 'MOVE_FROM_USP':
      o.t = reg();
      inst.gnu = `move.l %usp, ${A(o.t)}`;
      break;
    case 'RTE':
      inst.gnu = 'rte';
      break;
    case 'STOP':
      o.k = rng.int(0x10000);
      inst.gnu = `stop #${o.k}`;
      break;
    case 'RESET':
      inst.gnu = 'reset';
      break;
    case 'TRAP': {
      // TRAP #0 is the Linux system call: d0 = 1 is exit(d1).
      o.n = rng.int(3) === 0 ? 0 : rng.int(16);
      if (o.n === 0) {
        d[0] = 1n;
        d[1] = BigInt(rng.int(256));
      }
      inst.gnu = `trap #${o.n}`;
      break;
    }
    case 'TRAPV':
      // V set a quarter of the time: each trap ends a harness of its own.
      inst.ccr = rng.int(4) === 0 ? inst.ccr | 2 : inst.ccr & ~2;
      inst.alone = (inst.ccr & 2) !== 0;
      inst.gnu = 'trapv';
      break;
    case 'CHK': {
      o.s = reg();
      o.t = reg();
      // Mostly in bounds (0 <= Dn <= bound), a fifth of the time anything (usually the CHK exception).
      if (rng.int(5) !== 0) {
        d[o.s] = (d[o.s]! & 0xffff0000n) | BigInt(rng.int(0x8000));
        d[o.t] = (d[o.t]! & 0xffff0000n) | BigInt(rng.int(Number(d[o.s]! & 0xffffn) + 1));
      }
      const v = Number(d[o.t]! & 0xffffn),
        bound = Number(d[o.s]! & 0xffffn);
      const sv = v >= 0x8000 ? v - 0x10000 : v,
        sb = bound >= 0x8000 ? bound - 0x10000 : bound;
      inst.alone = sv < 0 || sv > sb;
      inst.undefinedCcr = 0b01111; // PRM 4 CHK: N undefined when in bounds; Z, V, C undefined
      inst.gnu = `chk.w ${D(o.s)}, ${D(o.t)}`;
      break;
    }
    case 'ILLEGAL':
      inst.gnu = 'illegal';
      break;
    case 'LINEA':
      o.n = rng.int(4096);
      inst.gnu = `.short ${hex(0xa000 | o.n, 4)}`;
      break;
    case 'LINEF':
      o.n = rng.int(4096);
      inst.gnu = `.short ${hex(0xf000 | o.n, 4)}`;
      break;
    default:
      throw new Error(`no co-simulation generator for ${mnemonic}`);
  }
  if (PRIVILEGED.includes(mnemonic) || ['TRAP', 'ILLEGAL', 'LINEA', 'LINEF'].includes(mnemonic)) inst.alone = true;
  // An exception becomes a signal, whose frame Linux builds on the user stack: a7 must point at
  // memory, or the delivery itself faults (SIGSEGV) and hides which signal it was.
  if (inst.alone && mnemonic !== 'RTE') a[7] = BigInt(W + WIN);
  return inst;
}

// ---- harness ----

function snippet(inst: Instance, slot: number, next: number | undefined): string {
  const base = slot * SNIP,
    blk = blkAddr(slot);
  const at = (off: number) => `        .org ${base + off}`;
  const L = [at(0), `s${slot}:`, `        move.w ${hex(blk + 66)}, %ccr`, `        movem.l ${hex(blk)}, %d0-%d7/%a0-%a7`, `        jmp ins${slot}`];
  const pad = (id: number) => [
    at(id >= 100 ? BACK_AT + 24 * (id - 100) : FWD_AT + 24 * id),
    `${padLabel(slot, id)}:`,
    `        move.w %sr, ${hex(blk + 66)}`,
    `        move.l #${id}, ${hex(blk + 68)}`,
    `        jmp land${slot}`,
  ];
  for (let j = 0; j < PADS; j++) L.push(...pad(100 + j));
  L.push(at(INS_AT), `ins${slot}:`, `        ${inst.gnu}`, `        bra.w ${padLabel(slot, 0)}`);
  for (let k = 0; k < PADS; k++) L.push(...pad(k));
  L.push(
    at(LAND_AT),
    `land${slot}:`,
    `        movem.l %d0-%d7/%a0-%a7, ${hex(blk)}`,
    '        move.l #4, %d0',
    '        move.l #1, %d1',
    `        move.l #${hex(blk)}, %d2`,
    `        move.l #${BLKSZ}, %d3`,
    '        trap #0',
  );
  if (next === undefined) L.push('        move.l #1, %d0', '        move.l #0, %d1', '        trap #0');
  else L.push(`        jmp s${next}`);
  return L.join('\n');
}

export type Placed = P<Instance>;

export function harnessSource(items: Placed[]): string {
  const text = items.map(({ inst, slot }, i) => snippet(inst, slot, items[i + 1]?.slot));
  const data = items.map(({ inst, slot }) =>
    [
      `        .org ${slot * BLK}`,
      `        .long ${[...inst.d, ...inst.a].map((v) => hex(v)).join(', ')}`,
      `        .short 0, ${inst.ccr}`,
      '        .long 0xffffffff',
      '        .space 8',
      `        .byte ${inst.win.join(', ')}`,
    ].join('\n'),
  );
  return ['        .text', ...text, '        .globl _start', '_start:', `        jmp s${items[0]!.slot}`, '        .data', ...data, ''].join('\n');
}

export function buildElf(items: Placed[], dir: string, name: string): string {
  const s0 = items[0]!.slot;
  return linkHarness(TOOLCHAINS.m68k, dir, name, harnessSource(items), { [`ins${s0}`]: insAddr(s0) });
}

export type QemuOutcome =
  | { kind: 'state'; d: bigint[]; a: bigint[]; sr: number; pad: number; win: number[] }
  | { kind: 'signal'; signal: string }
  | { kind: 'exception'; vector: number }
  | { kind: 'exit'; status: number }
  /** QEMU itself failed (an internal assertion): nothing to compare. */
  | { kind: 'qemu-bug'; message: string };

export function runElf(elf: string, count: number): QemuOutcome[] {
  const r = runUser('qemu-m68k', [...QEMU_ARGS, elf]);
  const out = r.stdout;
  const states = blocks<QemuOutcome>(out, BLKSZ, count, (i) => {
    const w = (k: number) => BigInt(out.readUInt32BE(i + 4 * k));
    return {
      kind: 'state',
      d: [0, 1, 2, 3, 4, 5, 6, 7].map(w),
      a: [8, 9, 10, 11, 12, 13, 14, 15].map(w),
      sr: out.readUInt16BE(i + 66),
      pad: out.readUInt32BE(i + 68),
      win: [...out.subarray(i + 80, i + BLKSZ)],
    };
  });
  return withEnd(states, count, r, elf, () => {
    const exc = unhandledException(r);
    const bug = /ERROR:([^\n]*(code should not be reached|assertion failed)[^\n]*)/.exec(r.stderr.toString());
    return exc !== undefined
      ? { kind: 'exception', vector: exc }
      : bug
        ? { kind: 'qemu-bug', message: bug[1]!.trim() }
        : r.signal
          ? { kind: 'signal', signal: r.signal }
          : { kind: 'exit', status: r.status ?? -1 };
  });
}

// ---- isavirt's side ----

export class SpecSide extends InstanceSide<Instance> {
  constructor(isa: Isa, items: Placed[]) {
    super(isa, items, insAddr);
  }

  run(inst: Instance, slot: number) {
    const m = this.m;
    m.writeReg('SR', BigInt(inst.ccr)); // user state (S = 0), T = 0, mask 0: what QEMU's user mode shows
    for (let k = 0; k < 8; k++) {
      m.writeFile('d', k, inst.d[k]!);
      m.writeFile('a', k, inst.a[k]!);
    }
    const W = winAddr(slot);
    inst.win.forEach((v, k) => m.writeMem('ram', W + k, BigInt(v)));
    const A0 = BigInt(insAddr(slot));
    m.pc = A0;
    const dec = m.decodeAt(A0);
    const nextPc = dec.kind === 'instr' ? dec.nextPc : A0;
    const before = otherRegisters(m, ['PC', 'SR']);
    const outcome: SpecOutcome = stepOnce(m, A0);
    const after = otherRegisters(m, ['PC', 'SR']);
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    const d: bigint[] = [],
      a: bigint[] = [];
    for (let k = 0; k < 8; k++) {
      d.push(m.readFile('d', k));
      a.push(m.readFile('a', k));
    }
    const win: number[] = [];
    for (let k = 0; k < WIN; k++) win.push(Number(m.readMem('ram', W + k)));
    return { outcome, d, a, pc: m.pc, sr: Number(m.readReg('SR')), win, changed, nextPc };
  }
}

/** How QEMU's m68k Linux user mode (7.2, linux-user/m68k/cpu_loop.c) shows an exception: the signal
 *  Linux delivers (arch/m68k/kernel/traps.c, trap_c: zero divide, CHK and TRAPV are SIGFPE, TRAP #15
 *  SIGTRAP, the rest, privilege violation and TRAP #1-#14 included, SIGILL), TRAP #0 as the system
 *  call; a vector QEMU has no case for aborts naming it. */
function trapAgrees(trap: string, vector: number, q: QemuOutcome, inst: Instance): boolean {
  if (q.kind === 'exception') return q.vector === vector;
  if (trap === 'trap0') return q.kind === 'exit' && BigInt(q.status) === (inst.d[1]! & 0xffn);
  const sig: Record<string, string> = {
    illegal_instruction: 'SIGILL',
    line_a: 'SIGILL',
    line_f: 'SIGILL',
    privilege_violation: 'SIGILL',
    zero_divide: 'SIGFPE',
    chk_trap: 'SIGFPE',
    trapv_trap: 'SIGFPE',
    address_error: 'SIGBUS',
  };
  return q.kind === 'signal' && (sig[trap] ?? (trap === 'trap15' ? 'SIGTRAP' : /^trap\d+$/.test(trap) ? 'SIGILL' : '')) === q.signal;
}

const describeQ = (q: QemuOutcome): string =>
  q.kind === 'state'
    ? `completed at pad ${q.pad}`
    : q.kind === 'signal'
      ? `signal ${q.signal}`
      : q.kind === 'exception'
        ? `exception ${q.vector}`
        : q.kind === 'exit'
          ? `exit ${q.status}`
          : `QEMU failed: ${q.message}`;

export function compare(isa: Isa, inst: Instance, slot: number, q: QemuOutcome, s: ReturnType<SpecSide['run']>): string[] {
  const out: string[] = [];
  if (s.changed.length) out.push(`isavirt changed ${s.changed.join(', ')}`);
  const o = s.outcome;
  if (o.kind !== 'done') {
    if (o.kind === 'trap') {
      const vector = isa.traps.find((t) => t.name === o.trap)!.vector;
      if (!trapAgrees(o.trap, vector, q, inst)) out.push(`isavirt traps ${o.trap} (vector ${vector}), QEMU: ${describeQ(q)}`);
      return out;
    }
    return [...out, `isavirt: ${o.kind}, QEMU: ${describeQ(q)}`];
  }
  if (q.kind !== 'state') return [...out, `isavirt completes, QEMU: ${describeQ(q)}`];
  for (let k = 0; k < 8; k++) {
    if (q.d[k] !== s.d[k]) out.push(`d${k}: QEMU ${hex(q.d[k]!)}, isavirt ${hex(s.d[k]!)}`);
    if (q.a[k] !== s.a[k]) out.push(`a${k}: QEMU ${hex(q.a[k]!)}, isavirt ${hex(s.a[k]!)}`);
  }
  const mask = 0xa71f & ~inst.undefinedCcr;
  if ((q.sr & mask) !== (s.sr & mask)) out.push(`SR: QEMU ${hex(q.sr, 4)}, isavirt ${hex(s.sr, 4)}`);
  const landed = q.pad === 0 ? s.nextPc : BigInt(padAddr(slot, q.pad));
  if (s.pc !== landed) out.push(`PC: QEMU ${q.pad === 0 ? 'fell through' : `at pad ${q.pad}`}, isavirt ${hex(s.pc)}`);
  for (let k = 0; k < WIN; k++)
    if (q.win[k] !== s.win[k]) out.push(`memory ${hex(winAddr(slot) + k)}: QEMU 0x${q.win[k]!.toString(16)}, isavirt 0x${s.win[k]!.toString(16)}`);
  return out;
}

export interface CosimResult extends Tally {
  /** Instances QEMU could not run (its own assertion failed), by mnemonic: not compared. */
  qemuBugs: Map<string, string>;
}

export function cosimulate(isa: Isa, o: { seed: number; perInstruction: number; perTrapping: number; dir: string; only?: string[] }): CosimResult {
  const rng = new Rng(o.seed);
  const mnemonics = isa.instructions.map((i) => i.mnemonic).filter((m) => !o.only || o.only.includes(m));
  const res: CosimResult = Object.assign(new Tally(), { qemuBugs: new Map<string, string>() });
  const wants = mnemonics.map((m) => ({
    mnemonic: m,
    count: PRIVILEGED.includes(m) || ['TRAP', 'ILLEGAL', 'LINEA', 'LINEF'].includes(m) ? o.perTrapping : o.perInstruction,
  }));
  batches(
    placeAll(wants, BATCH, (w, slot) => generate(rng, w.mnemonic, slot)),
    BATCH,
  ).forEach((group, bi) => {
    const side = new SpecSide(isa, group);
    runAll(group, `m68k${bi}`, {
      build: (items, name) => buildElf(items, o.dir, name),
      runElf,
      alone: (p) => p.inst.alone,
      check: (p, q) => {
        if (q.kind === 'qemu-bug') {
          res.qemuBugs.set(p.inst.mnemonic, q.message);
          return;
        }
        const s = side.run(p.inst, p.slot);
        const regs = () => [...p.inst.d.map((v, k) => `d${k}=${hex(v)}`), ...p.inst.a.map((v, k) => `a${k}=${hex(v)}`)].join(' ');
        res.add(
          p.inst.mnemonic,
          outcomeWord(s.outcome, s.pc === s.nextPc),
          compare(isa, p.inst, p.slot, q, s),
          () => `${p.inst.mnemonic} "${p.inst.gnu}" (isavirt: "${side.text(p.inst)}") with ${regs()} CCR=${hex(p.inst.ccr, 2)}`,
        );
      },
    });
  });
  return res;
}
