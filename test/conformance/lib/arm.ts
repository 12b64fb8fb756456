// ARM co-simulation: random instances of armv7.isa's instructions, run one instruction each in User
// mode in qemu-arm (-cpu cortex-a15, an ARMv7-A core; a harness ELF built with arm-none-eabi-as/ld)
// and on isavirt's machine in its guest mode, usr.
//
// Harness layout (harness/arm.ld): instance i's snippet at TEXT + i*SNIP, its block at
// DATA + i*BLK: r0..r14, the CPSR, then a WIN-byte memory window. Two registers the instance does
// not name are the harness's, `b` (block base) and `c` (landing pad mark):
//
//     movw/movt b, blk; ldr c, [b, #60]; msr cpsr_fs, c (N Z C V Q GE); ldm b, {r0-r14}; nop; b ins
//     4 back pads:     mov c, pc; b land          (8 bytes each)
//   ins: the instance (GNU syntax)
//     4 forward pads:  mov c, pc; b land          (pad 0 is the fall-through)
//   land: movw/movt b, blk; stm b, {r0-r14}; mrs c, cpsr; setend le; str c, [b, #60]; write(1, blk, BLKSZ)
//
// The pad's `mov c, pc` leaves the pad's address + 8 in c (ARM A2.3: reads of the PC in ARM state
// are the instruction's address + 8).

import type { Isa } from '../../../src/ir/types.js';
import { Rng } from '../../exec/helpers.js';
import { hex, otherRegisters, stepOnce, type SpecOutcome, InstanceSide } from './spec.js';
import { run } from './tools.js';
import { batches, linkHarness, outcomeWord, placeAll, runAll, Tally, TOOLCHAINS, type Placed as P, blocks, withEnd, runUser } from './cosim.js';

export const TEXT = 0x10000;
export const SNIP = 256;
export const DATA = 0x60000;
export const BLK = 256;
export const WIN = 64;
export const BLKSZ = 64 + WIN;
export const BATCH = (DATA - TEXT) / SNIP - 2;
const PADS = 4;
const PRE = 4 * 7;
export const INS_OFF = PRE + 8 * PADS;
export const insAddr = (slot: number): number => TEXT + slot * SNIP + INS_OFF;
export const blkAddr = (slot: number): number => DATA + slot * BLK;
export const winAddr = (slot: number): number => blkAddr(slot) + 64;
/** Pad `id`: 0..3 forward (0: the fall-through), 100..103 back. */
export const padAddr = (slot: number, id: number): number => (id >= 100 ? TEXT + slot * SNIP + PRE + 8 * (id - 100) : insAddr(slot) + 4 + 8 * id);

export const QEMU_ARGS = ['-cpu', 'cortex-a15'];
export const TOOLS = [
  { bin: 'qemu-arm', pkg: 'qemu-user' },
  { bin: 'arm-none-eabi-as', pkg: 'binutils-arm-none-eabi' },
  { bin: 'arm-none-eabi-ld', pkg: 'binutils-arm-none-eabi' },
];

const R = (i: number): string => ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr'][i]!;
const u32 = (v: bigint | number): bigint => BigInt.asUintN(32, BigInt(v));
/** CPSR bits armv7.isa models and User mode can observe: N Z C V Q, GE[3:0], E, A I F, T, M. Not
 *  compared: IT and J (execution state, not modelled). */
export const CPSR_COMPARED = 0xf80f03ffn;

/**
 * Instructions not run in User mode, with why (the sections are those armv7.isa cites): the
 * architecture makes them UNPREDICTABLE there
 * (armv7.isa models the common behaviour Penneman et al. assume, which QEMU need not share), or the
 * spec stops the machine where a real one waits for an interrupt.
 */
export const NOT_RUN: Record<string, string> = {
  MRS_SPSR: 'UNPREDICTABLE in User mode (ARM B9.3.9)',
  MSR_SPSR: 'UNPREDICTABLE in User mode (ARM B9.3.13)',
  SUBS_PC_LR: 'UNPREDICTABLE in User mode (ARM B9.3.20)',
  MOVS_PC_LR: 'UNPREDICTABLE in User mode (ARM B9.3.20)',
  LDM_RET: 'UNPREDICTABLE in User mode (ARM B9.3.5)',
  LDM_USER: 'UNPREDICTABLE in User mode (ARM B9.3.6)',
  STM_USER: 'UNPREDICTABLE in User mode (ARM B9.3.15)',
  SRS: 'UNPREDICTABLE in User mode (ARM B9.3.16)',
  RFE: 'UNPREDICTABLE in User mode (ARM B9.3.13)',
  WFI: 'armv7.isa stops the machine (no interrupts modelled); a real WFI waits and returns',
};

export interface Instance {
  mnemonic: string;
  ops: Record<string, number>;
  gnu: string;
  r: bigint[];
  cpsr: bigint;
  win: number[];
  b: number;
  c: number;
  /** Branch offsets' target addresses (see specText). */
  targets: Record<string, number>;
}

// The rotation as GNU writes it and the real encoding holds it (issue 11): an even amount 0..30.
const rotImm = (rng: Rng): { rot: number; k: number } => ({ rot: 2 * rng.int(16), k: rng.pick([0, 1, 0xff, 0x80, rng.int(256)]) });

export function generate(rng: Rng, mnemonic: string, slot: number, envCpsr: bigint): Instance {
  const r: bigint[] = [];
  for (let i = 0; i < 15; i++) r.push(u32(rng.big(32)));
  const ops: Record<string, number> = {};
  const used: number[] = [];
  const reg = (): number => {
    const x = rng.int(15);
    used.push(x);
    return x;
  };
  const win = Array.from({ length: WIN }, () => rng.int(256));
  const A = insAddr(slot);
  const target = (): number => padAddr(slot, rng.pick([1, 2, 3, 100, 101, 102, 103]));
  const rel = (t: number): string => (t >= A ? `.+${t - A}` : `.-${A - t}`);
  let gnu: string;
  const targets: Record<string, number> = {};
  const dp = mnemonic.slice(0, 3).toLowerCase();
  switch (mnemonic) {
    case 'MOV_I': {
      ops.rd = reg();
      Object.assign(ops, rotImm(rng));
      gnu = `mov ${R(ops.rd)}, #${ops.k}, ${ops.rot!}`;
      break;
    }
    case 'MOV_R': {
      ops.rd = reg();
      ops.rm = reg();
      gnu = `mov ${R(ops.rd)}, ${R(ops.rm)}`;
      break;
    }
    case 'ADD_I':
    case 'SUB_I': {
      ops.rd = reg();
      ops.rn = reg();
      Object.assign(ops, rotImm(rng));
      gnu = `${dp} ${R(ops.rd)}, ${R(ops.rn)}, #${ops.k}, ${ops.rot!}`;
      break;
    }
    case 'ADD_R':
    case 'SUB_R':
    case 'AND_R':
    case 'EOR_R':
    case 'ORR_R': {
      ops.rd = reg();
      ops.rn = reg();
      ops.rm = reg();
      gnu = `${dp} ${R(ops.rd)}, ${R(ops.rn)}, ${R(ops.rm)}`;
      break;
    }
    case 'CMP_I': {
      ops.rn = reg();
      Object.assign(ops, rotImm(rng));
      if (rng.int(3) === 0) r[ops.rn] = u32(BigInt(ops.k!) >> 0n); // equal now and then when unrotated
      if (ops.rot === 0 && rng.int(2) === 0) r[ops.rn] = BigInt(ops.k!);
      gnu = `cmp ${R(ops.rn)}, #${ops.k}, ${ops.rot!}`;
      break;
    }
    case 'CMP_R': {
      ops.rn = reg();
      ops.rm = reg();
      if (rng.int(3) === 0) r[ops.rm] = u32(rng.pick([r[ops.rn]!, r[ops.rn]! + 1n, r[ops.rn]! ^ 0x80000000n]));
      gnu = `cmp ${R(ops.rn)}, ${R(ops.rm)}`;
      break;
    }
    case 'LDR':
    case 'STR': {
      ops.rt = reg();
      ops.rn = reg();
      ops.off = rng.pick([0, 4, 4095, rng.int(4096)]);
      // Any alignment: ARMv7 performs unaligned LDR/STR when SCTLR.A = 0 (ARM A3.2.1), as in Linux.
      r[ops.rn] = u32(BigInt(winAddr(slot) + rng.int(WIN - 3) - ops.off));
      gnu = `${mnemonic.toLowerCase()} ${R(ops.rt)}, [${R(ops.rn)}, #${ops.off}]`;
      break;
    }
    case 'B':
    case 'BL':
    case 'BEQ':
    case 'BNE': {
      const t = target();
      ops.off = t - A - 8; // the byte distance from pc + 8, as the real encoding holds it (issue 11)
      targets.off = t;
      if (mnemonic === 'BL') used.push(14);
      gnu = `${mnemonic.toLowerCase()} ${rel(t)}`;
      break;
    }
    case 'BX': {
      ops.rm = reg();
      r[ops.rm] = BigInt(target());
      gnu = `bx ${R(ops.rm)}`;
      break;
    }
    case 'SVC': {
      // Linux EABI: svc #0 with the call number in r7; 1 is exit(r0).
      ops.k = 0;
      r[7] = 1n;
      r[0] = BigInt(rng.int(256));
      used.push(0, 7);
      gnu = 'svc #0';
      break;
    }
    case 'CPS_MODE': {
      ops.md = rng.int(32);
      gnu = `cps #${ops.md}`;
      break;
    }
    case 'CPSID':
    case 'CPSIE': {
      let m = 0;
      while (m === 0) m = rng.int(8);
      ops.a = (m >> 2) & 1;
      ops.i = (m >> 1) & 1;
      ops.f = m & 1;
      gnu = `${mnemonic.toLowerCase()} ${ops.a ? 'a' : ''}${ops.i ? 'i' : ''}${ops.f ? 'f' : ''}`;
      break;
    }
    case 'MRS_CPSR': {
      ops.rd = reg();
      gnu = `mrs ${R(ops.rd)}, cpsr`;
      break;
    }
    case 'MSR_CPSR': {
      ops.rn = reg();
      ops.mask = 1 + rng.int(15);
      const f = ['c', 'x', 's', 'f']
        .filter((_, k) => (ops.mask! >> k) & 1)
        .reverse()
        .join('');
      gnu = `msr cpsr_${f}, ${R(ops.rn)}`;
      break;
    }
    case 'MCR':
    case 'MRC': {
      ops.rt = reg();
      ops.n = rng.int(16);
      gnu = `${mnemonic.toLowerCase()} p15, 0, ${R(ops.rt)}, c${ops.n}, c0, 0`;
      break;
    }
    default:
      throw new Error(`no co-simulation generator for ${mnemonic}`);
  }
  const free = [];
  for (let i = 0; i < 15; i++) if (!used.includes(i)) free.push(i);
  const b = rng.pick(free);
  const c = rng.pick(free.filter((x) => x !== b));
  const cpsr = (envCpsr & ~0xf8000000n) | (u32(rng.big(32)) & 0xf8000000n);
  return { mnemonic, ops, gnu, r, cpsr, win, b, c, targets };
}

// ---- harness ----

function snippet(inst: Instance, slot: number, next: number | undefined): string {
  const { b, c } = inst;
  const blk = blkAddr(slot);
  // The whole list r0-r14: LDM and STM transfer consecutive words (not one slot per register number),
  // and without writeback the base register may be in the list (ARM DDI 0406C, LDM and STM).
  const all = 'r0-r12, sp, lr';
  const mov = (rd: number, v: number) => [`        movw ${R(rd)}, #${v & 0xffff}`, `        movt ${R(rd)}, #${v >>> 16}`];
  const L: string[] = [
    `        .org ${slot * SNIP}`,
    `s${slot}:`,
    ...mov(b, blk),
    `        ldr ${R(c)}, [${R(b)}, #60]`,
    `        msr cpsr_fs, ${R(c)}`,
    `        ldm ${R(b)}, {${all}}`,
    '        nop',
    `        b ins${slot}`,
  ];
  for (let j = 0; j < PADS; j++) L.push(`        mov ${R(c)}, pc`, `        b land${slot}`);
  L.push(`ins${slot}:`, `        ${inst.gnu}`);
  for (let j = 0; j < PADS; j++) L.push(`        mov ${R(c)}, pc`, `        b land${slot}`);
  L.push(
    `land${slot}:`,
    ...mov(b, blk),
    `        stm ${R(b)}, {${all}}`,
    `        mrs ${R(c)}, cpsr`,
    '        setend le',
    `        str ${R(c)}, [${R(b)}, #60]`,
    `        mov r1, ${R(b)}`,
    '        mov r0, #1',
    `        mov r2, #${BLKSZ}`,
    '        mov r7, #4',
    '        svc #0',
  );
  if (next === undefined) L.push('        mov r0, #0', '        mov r7, #1', '        svc #0');
  else L.push(`        b s${next}`);
  return L.join('\n');
}

export type Placed = P<Instance>;

export function harnessSource(items: Placed[]): string {
  const text = items.map(({ inst, slot }, i) => snippet(inst, slot, items[i + 1]?.slot));
  const data = items.map(({ inst, slot }) =>
    [`        .org ${slot * BLK}`, `        .word ${[...inst.r, inst.cpsr].map((v) => hex(v)).join(', ')}`, `        .byte ${inst.win.join(', ')}`].join('\n'),
  );
  return [
    '        .arm',
    '        .syntax unified',
    '        .text',
    ...text,
    '        .globl _start',
    '_start:',
    `        b s${items[0]!.slot}`,
    '        .data',
    ...data,
    '',
  ].join('\n');
}

export function buildElf(items: Placed[], dir: string, name: string): string {
  const s0 = items[0]!.slot;
  return linkHarness(TOOLCHAINS.arm, dir, name, harnessSource(items), { [`ins${s0}`]: insAddr(s0) });
}

export type QemuOutcome = { kind: 'state'; r: bigint[]; cpsr: bigint; win: number[] } | { kind: 'signal'; signal: string } | { kind: 'exit'; status: number };

export function runElf(elf: string, count: number): QemuOutcome[] {
  const r = runUser('qemu-arm', [...QEMU_ARGS, elf]);
  const out = r.stdout;
  const states = blocks<QemuOutcome>(out, BLKSZ, count, (i) => {
    const w = (k: number) => BigInt(out.readUInt32LE(i + 4 * k));
    // An instance that set CPSR.E (MSR, user-writable) made the harness's STM store big-endian.
    const big = (w(15) & 0x200n) !== 0n;
    const reg = (k: number) => (big ? BigInt(out.readUInt32BE(i + 4 * k)) : w(k));
    return { kind: 'state', r: [...Array(15).keys()].map(reg), cpsr: w(15), win: [...out.subarray(i + 64, i + BLKSZ)] };
  });
  return withEnd(states, count, r, elf, () => (r.signal ? { kind: 'signal', signal: r.signal } : { kind: 'exit', status: r.status ?? -1 }));
}

export function probeCpsr(dir: string): bigint {
  const elf = linkHarness(
    TOOLCHAINS.arm,
    dir,
    'probe',
    [
      '        .arm',
      '        .text',
      '        .globl _start',
      '_start:',
      '        mrs r0, cpsr',
      '        ldr r1, =buf',
      '        str r0, [r1]',
      '        mov r0, #1',
      '        mov r2, #4',
      '        mov r7, #4',
      '        svc #0',
      '        mov r0, #0',
      '        mov r7, #1',
      '        svc #0',
      '        .ltorg',
      '        .data',
      'buf:    .word 0',
      '',
    ].join('\n'),
    {},
  );
  return BigInt(run('qemu-arm', [...QEMU_ARGS, elf]).stdout.readUInt32LE(0));
}

// ---- isavirt's side ----

export class SpecSide extends InstanceSide<Instance> {
  constructor(isa: Isa, items: Placed[]) {
    super(isa, items, insAddr);
  }

  run(inst: Instance, slot: number) {
    const m = this.m;
    m.writeReg('CPSR', inst.cpsr);
    m.writeReg('SCTLR', 0n); // alignment checking off, as Linux runs User mode (QEMU's user mode too)
    for (let k = 0; k < 15; k++) m.writeFile('r', k, inst.r[k]!);
    const W = winAddr(slot);
    inst.win.forEach((v, k) => m.writeMem('ram', W + k, BigInt(v)));
    const A = BigInt(insAddr(slot));
    m.pc = A;
    const before = otherRegisters(m, ['pc', 'CPSR']);
    const outcome: SpecOutcome = stepOnce(m, A);
    const after = otherRegisters(m, ['pc', 'CPSR']);
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    const r: bigint[] = [];
    for (let k = 0; k < 15; k++) r.push(m.readFile('r', k));
    const win: number[] = [];
    for (let k = 0; k < WIN; k++) win.push(Number(m.readMem('ram', W + k)));
    return { outcome, r, pc: m.pc, cpsr: m.readReg('CPSR'), win, changed };
  }
}

const describeQ = (q: QemuOutcome): string => (q.kind === 'state' ? 'completed' : q.kind === 'signal' ? `signal ${q.signal}` : `exit ${q.status}`);

export function compare(inst: Instance, slot: number, q: QemuOutcome, s: ReturnType<SpecSide['run']>): string[] {
  const d: string[] = [];
  if (s.changed.length) d.push(`isavirt changed ${s.changed.join(', ')}`);
  const o = s.outcome;
  if (o.kind !== 'done') {
    if (o.kind === 'trap') {
      // QEMU's ARM Linux user mode: an Undefined Instruction is SIGILL; SVC #0 is the system call.
      const ok =
        (o.trap.startsWith('undefined') && q.kind === 'signal' && q.signal === 'SIGILL') ||
        (o.trap === 'supervisor_call' && q.kind === 'exit' && BigInt(q.status) === (inst.r[0]! & 0xffn));
      if (!ok) d.push(`isavirt traps ${o.trap}, QEMU: ${describeQ(q)}`);
      return d;
    }
    return [...d, `isavirt: ${o.kind}, QEMU: ${describeQ(q)}`];
  }
  if (q.kind !== 'state') return [...d, `isavirt completes, QEMU: ${describeQ(q)}`];
  for (let k = 0; k < 15; k++) {
    if (k === inst.b || k === inst.c) {
      if (s.r[k] !== inst.r[k]) d.push(`isavirt wrote harness register ${R(k)}`);
      continue;
    }
    if (q.r[k] !== s.r[k]) d.push(`${R(k)}: QEMU ${hex(q.r[k]!)}, isavirt ${hex(s.r[k]!)}`);
  }
  if ((q.cpsr & CPSR_COMPARED) !== (s.cpsr & CPSR_COMPARED)) d.push(`CPSR: QEMU ${hex(q.cpsr)}, isavirt ${hex(s.cpsr)}`);
  const landed = u32(q.r[inst.c]! - 8n);
  if (landed !== s.pc) d.push(`pc: QEMU ${hex(landed)}, isavirt ${hex(s.pc)}`);
  for (let k = 0; k < WIN; k++)
    if (q.win[k] !== s.win[k]) d.push(`memory ${hex(winAddr(slot) + k)}: QEMU 0x${q.win[k]!.toString(16)}, isavirt 0x${s.win[k]!.toString(16)}`);
  return d;
}

export interface CosimResult extends Tally {
  notRun: string[];
}

export function cosimulate(isa: Isa, o: { seed: number; perInstruction: number; dir: string; only?: string[] }): CosimResult {
  const cpsr = probeCpsr(o.dir);
  const rng = new Rng(o.seed);
  const mnemonics = isa.instructions.map((i) => i.mnemonic).filter((m) => !o.only || o.only.includes(m));
  const res: CosimResult = Object.assign(new Tally(), { notRun: mnemonics.filter((m) => NOT_RUN[m]) });
  // Instances that trap or call the system end the harness: those run one per ELF.
  const ALONE = ['SVC', 'MCR', 'MRC'];
  const wants = mnemonics.filter((m) => !NOT_RUN[m]).map((m) => ({ mnemonic: m, count: ALONE.includes(m) ? 3 : o.perInstruction }));
  batches(
    placeAll(wants, BATCH, (w, slot) => generate(rng, w.mnemonic, slot, cpsr)),
    BATCH,
  ).forEach((group, bi) => {
    const side = new SpecSide(isa, group);
    runAll(group, `arm${bi}`, {
      build: (items, name) => buildElf(items, o.dir, name),
      runElf,
      alone: (p) => ALONE.includes(p.inst.mnemonic),
      check: (p, q) => {
        const s = side.run(p.inst, p.slot);
        res.add(
          p.inst.mnemonic,
          outcomeWord(s.outcome, s.pc === BigInt(insAddr(p.slot) + 4)),
          compare(p.inst, p.slot, q, s),
          () =>
            `${p.inst.mnemonic} "${p.inst.gnu}" (isavirt: "${side.text(p.inst)}") with ${p.inst.r.map((v, k) => `${R(k)}=${hex(v)}`).join(' ')} CPSR=${hex(p.inst.cpsr)}`,
        );
      },
    });
  });
  return res;
}
