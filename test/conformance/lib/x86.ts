// i386 co-simulation: random instances of x86-386.isa's instructions, run one instruction each at
// CPL 3 in qemu-i386 (a harness ELF built with `as --32` and `ld -m elf_i386`) and on isavirt's
// machine in its guest mode, ring 3.
//
// QEMU's Linux user mode fixes what a CPL-3 program cannot change: the GDT and IDT (it keeps them in
// the guest's memory), LDTR, TR, CR0, the selectors and IF/IOPL. A probe (harness/i386-probe.s)
// reads them; isavirt's state is seeded with them: GDTR, IDTR, the tables' bytes at the same linear
// addresses (modulo the spec's 1 MiB), the selectors with their descriptors in the hidden caches.
//
// Harness layout (harness/i386.ld): instance i's code snippet at TEXT + i*SNIP, its block at
// DATA + i*BLK: eight GPRs (EAX..EDI), EFLAGS, the landing pad's number, the six selectors
// (ES, CS, SS, DS, FS, GS, 4 bytes each), then a WIN-byte memory window (stack and data operands).
// Every address in the snippet is fixed by `.org` (NOP-filled):
//
//     +0    load EFLAGS (POPFD on a harness stack), DS, ES, FS, GS, then the eight GPRs; jmp ins
//     +128  four back pads          mov dword ptr ss:[blk+36], 100+j; jmp land
//     +192  ins: the instance (GNU syntax)
//     +208  four forward pads       mov dword ptr ss:[blk+36], k; jmp land   (pad 0: fall-through)
//     +272  land: store the GPRs and selectors, PUSHFD, write(1, blk, BLKSZ), next snippet
//
// The harness addresses memory with an SS override, so an instance that loads DS, ES, FS or GS
// with a null selector does not disturb it. Jump targets are pads other than forward pad 0, so the
// pad number says where the instance went.

import { readFileSync } from 'node:fs';
import type { Isa } from '../../../src/ir/types.js';
import { Rng } from '../../exec/helpers.js';
import { insertOperands } from '../../../src/ir/encoding.js';
import { hex, instruction, otherRegisters, root, specText, stepOnce, type SpecOutcome, InstanceSide } from './spec.js';
import { run } from './tools.js';
import { batches, checkSlots, linkHarness, outcomeWord, placeAll, runAll, Tally, TOOLCHAINS, type Placed as P, runUser } from './cosim.js';

export const TEXT = 0x10000;
export const SNIP = 512;
export const DATA = 0x60000;
export const BLK = 256;
export const WIN = 64;
export const BLKSZ = 64 + WIN;
/** Instances per ELF: the code (and the start-up code after the last snippet) ends below DATA. */
export const BATCH = (DATA - TEXT) / SNIP - 2;
const BACK_AT = 128,
  INS_AT = 192,
  FWD_AT = 208,
  LAND_AT = 272,
  PADS = 4;

export const insAddr = (slot: number): number => TEXT + slot * SNIP + INS_AT;
export const blkAddr = (slot: number): number => DATA + slot * BLK;
export const winAddr = (slot: number): number => blkAddr(slot) + 64;
/** Pad `id`: 0..3 forward (0 is the fall-through), 100..103 back. */
export const padAddr = (slot: number, id: number): number => TEXT + slot * SNIP + (id >= 100 ? BACK_AT + 16 * (id - 100) : FWD_AT + 16 * id);
const padLabel = (slot: number, id: number): string => (id >= 100 ? `p${slot}_b${id - 100}` : `p${slot}_f${id}`);
const HSTACK = DATA + BATCH * BLK + 256;

export const TOOLS = [
  { bin: 'qemu-i386', pkg: 'qemu-user' },
  { bin: 'as', pkg: 'binutils' },
  { bin: 'ld', pkg: 'binutils' },
];

const GPR = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const GPR16 = ['ax', 'cx', 'dx', 'bx', 'sp', 'bp', 'si', 'di'];
/** Selector order in the block: the Sreg numbers of MOV r/m, Sreg (ES = 0, CS, SS, DS, FS, GS = 5). */
export const SREGS = ['ES', 'CS', 'SS', 'DS', 'FS', 'GS'] as const;

// ---- the environment QEMU gives a CPL-3 program ----

export interface Env {
  gdtr: { limit: number; base: number };
  idtr: { limit: number; base: number };
  msw: bigint;
  ldtr: number;
  tr: number;
  sregs: number[];
  eflags: bigint;
  gdt: Buffer;
  idt: Buffer;
}

export function probe(dir: string): Env {
  const elf = linkHarness(TOOLCHAINS.i386, dir, 'probe', readFileSync(`${root}test/conformance/harness/i386-probe.s`, 'utf8'), {});
  const out = run('qemu-i386', [elf]).stdout;
  const gl = out.readUInt16LE(0),
    il = out.readUInt16LE(8);
  return {
    gdtr: { limit: gl, base: out.readUInt32LE(2) },
    idtr: { limit: il, base: out.readUInt32LE(10) },
    msw: BigInt(out.readUInt32LE(16)),
    ldtr: out.readUInt32LE(20) & 0xffff,
    tr: out.readUInt32LE(24) & 0xffff,
    sregs: [0, 1, 2, 3, 4, 5].map((k) => out.readUInt16LE(28 + 4 * k)),
    eflags: BigInt(out.readUInt32LE(52)),
    gdt: out.subarray(56, 56 + gl + 1),
    idt: out.subarray(56 + gl + 1, 56 + gl + 1 + il + 1),
  };
}

const gdtEntry = (env: Env, sel: number): bigint => {
  const off = sel & 0xfff8;
  if ((sel & 0xfffc) === 0 || sel & 4 || off + 7 > env.gdtr.limit) return 0n;
  return env.gdt.readBigUInt64LE(off);
};

// ---- instances ----

export interface Instance {
  mnemonic: string;
  ops: Record<string, number>;
  gnu: string;
  /** The GNU text needs the slot's pad labels: `@PAD<id>` is replaced by the label. */
  gpr: bigint[];
  eflags: bigint;
  sregs: number[];
  win: number[];
  /** Expected to end the harness (a fault or a system call): runs in an ELF of its own. */
  alone: boolean;
  /** Bits whose value the manuals leave undefined for this instance: not compared. */
  undefinedFlags: bigint;
  undefinedGpr: Map<number, bigint>;
}

/** The status and control flags isavirt models and computes: CF ZF SF TF IF DF OF IOPL NT. AF and PF
 *  are not computed by x86-386.isa (its header: "AF and PF not computed"); bits 15-31 are 386-reserved
 *  or VM/RF (never changed here) or 486+ (AC, ID: QEMU models a later CPU). */
export const EFLAGS_COMPARED = 0x7fc1n;
const CF = 1n,
  ZF = 0x40n,
  SF = 0x80n,
  OF = 0x800n;
/** Status flags a program may set in the initial state (CF PF AF ZF SF DF OF); TF stays clear (a
 *  single-step trap would end the harness; x86-386.isa does not model it). */
const STATUS = 0x0cd5n;

type Gen = (g: GenCtx) => void;
interface GenCtx {
  rng: Rng;
  slot: number;
  env: Env;
  inst: Instance;
  reg: () => number;
  /** A jump target: a pad other than the fall-through. */
  target: () => number;
  /** Put ESP in the window, `below` bytes of room under it and `above` over it. */
  stack: (above: number) => number;
  /** Write a little-endian word into the window at byte offset `off`. */
  poke: (off: number, v: bigint | number, bytes?: number) => void;
}

const u32 = (v: bigint | number): bigint => BigInt.asUintN(32, BigInt(v));
const imm32 = (rng: Rng): number => Number(u32(rng.big(32)));

const ALU_RR = ['ADD', 'SUB', 'CMP', 'AND', 'OR', 'XOR', 'TEST'];
const ALU_RI = ['ADD_RI', 'SUB_RI', 'CMP_RI', 'AND_RI', 'OR_RI'];
const JCC = ['JO', 'JNO', 'JB', 'JAE', 'JE', 'JNE', 'JBE', 'JA', 'JS', 'JNS', 'JL', 'JGE', 'JLE', 'JG'];
/** Instructions that #GP at CPL 3 with IOPL 0 (PRM 6.3.6): each alone, must end in SIGSEGV. */
const FAULTS_AT_CPL3: Record<string, (g: GenCtx) => string> = {
  CLI: () => 'cli',
  STI: () => 'sti',
  HLT: () => 'hlt',
  CLTS: () => 'clts',
  IN: (g) => `in eax, ${(g.inst.ops.port = g.rng.int(256))}`,
  OUT: (g) => `out ${(g.inst.ops.port = g.rng.int(256))}, eax`,
  OUT_AL: (g) => `out ${(g.inst.ops.port = g.rng.int(256))}, al`,
  IN_DX: () => 'in eax, dx',
  OUT_DX: () => 'out dx, eax',
  LGDT: (g) => `lgdt [${(g.inst.ops.a = winAddr(g.slot))}]`,
  LIDT: (g) => `lidt [${(g.inst.ops.a = winAddr(g.slot))}]`,
  LMSW: (g) => `lmsw ${GPR16[(g.inst.ops.rs = g.reg())]}`,
  MOV_R_CR0: (g) => `mov ${GPR[(g.inst.ops.rd = g.reg())]}, cr0`,
  MOV_CR0_R: (g) => `mov cr0, ${GPR[(g.inst.ops.rs = g.reg())]}`,
  LLDT: (g) => `lldt ${GPR16[(g.inst.ops.rs = g.reg())]}`,
  LTR: (g) => `ltr ${GPR16[(g.inst.ops.rs = g.reg())]}`,
};

/** Selectors worth trying: the environment's, their RPL variants, null ones, other GDT indices,
 *  LDT ones (TI = 1, the LDT is null here), beyond the GDT limit; random upper bits. */
function selector(g: GenCtx): number {
  const { rng, env } = g;
  const n = Math.floor((env.gdtr.limit + 1) / 8);
  switch (rng.int(6)) {
    case 0:
      return env.sregs[1]!;
    case 1:
      return env.sregs[2]!;
    case 2:
      return rng.int(4);
    case 3:
      return (env.sregs[rng.pick([1, 2])]! & ~3) | rng.int(4);
    case 4:
      return (rng.int(n + 3) << 3) | (rng.int(8) === 0 ? 4 : 0) | rng.int(4);
    default:
      return rng.int(0x10000);
  }
}

const GENS: Record<string, Gen> = {
  MOV_RI: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.ops.v = imm32(g.rng);
    i.gnu = `mov ${GPR[i.ops.rd]}, ${hex(i.ops.v)}`;
  },
  MOV_RR: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.ops.rs = g.reg();
    i.gnu = `mov ${GPR[i.ops.rd]}, ${GPR[i.ops.rs]}`;
  },
  MOV_RM: (g) => {
    const { inst: i } = g;
    i.ops.rd = 1 + g.rng.int(7);
    i.ops.a = winAddr(g.slot) + g.rng.int(WIN - 3);
    i.gnu = `mov ${GPR[i.ops.rd]}, dword ptr [${hex(i.ops.a)}]`;
  },
  MOV_MR: (g) => {
    const { inst: i } = g;
    i.ops.rs = 1 + g.rng.int(7);
    i.ops.a = winAddr(g.slot) + g.rng.int(WIN - 3);
    i.gnu = `mov dword ptr [${hex(i.ops.a)}], ${GPR[i.ops.rs]}`;
  },
  MOV_RMX: (g) => memx(g, 'load'),
  MOV_MRX: (g) => memx(g, 'store'),
  LEA: (g) => memx(g, 'lea'),
  INC: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.gnu = `inc ${GPR[i.ops.rd]}`;
    edgeValue(g, i.ops.rd);
  },
  DEC: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.gnu = `dec ${GPR[i.ops.rd]}`;
    edgeValue(g, i.ops.rd);
  },
  SHL: (g) => shift(g, 'shl'),
  SHR: (g) => shift(g, 'shr'),
  // D1 /4, D1 /5: a shift by one, OF defined (SDM vol. 2 SAL/SAR/SHL/SHR).
  SHL_1: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    edgeValue(g, i.ops.rd);
    i.gnu = `shl ${GPR[i.ops.rd]}, 1`;
  },
  SHR_1: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    edgeValue(g, i.ops.rd);
    i.gnu = `shr ${GPR[i.ops.rd]}, 1`;
  },
  // 6A ib: the immediate sign-extended to 32 bits (SDM vol. 2 PUSH).
  PUSH_I8: (g) => {
    const { inst: i } = g;
    i.ops.k = g.rng.pick([-128, -1, 0, 127, g.rng.int(256) - 128]);
    g.stack(0);
    i.gnu = `push ${i.ops.k}`;
  },
  // A1 / A3: EAX and a moffs32.
  MOV_EAX_M: (g) => {
    const { inst: i } = g;
    i.ops.a = winAddr(g.slot) + g.rng.int(WIN - 3);
    i.gnu = `mov eax, dword ptr [${hex(i.ops.a)}]`;
  },
  MOV_M_EAX: (g) => {
    const { inst: i } = g;
    i.ops.a = winAddr(g.slot) + g.rng.int(WIN - 3);
    i.gnu = `mov dword ptr [${hex(i.ops.a)}], eax`;
  },
  DIV: (g) => {
    const { inst: i, rng } = g;
    i.ops.rs = g.reg();
    // Mostly a quotient that fits (EDX < divisor); now and then a zero divisor or an overflow: #DE.
    if (rng.int(6) !== 0 && i.ops.rs !== 2) {
      if (i.gpr[i.ops.rs] === 0n) i.gpr[i.ops.rs] = 1n;
      i.gpr[2] = u32(i.gpr[2]!) % i.gpr[i.ops.rs]!;
      if (i.ops.rs === 0 && i.gpr[2]! >= i.gpr[0]!) i.gpr[2] = 0n;
    }
    const div = i.gpr[i.ops.rs]!,
      dividend = (i.gpr[2]! << 32n) | i.gpr[0]!;
    i.alone = div === 0n || dividend / div >= 1n << 32n;
    i.undefinedFlags = CF | OF | SF | ZF; // SDM vol. 2 DIV, "Flags Affected": all undefined
    i.gnu = `div ${GPR[i.ops.rs]}`;
  },
  NOP: (g) => {
    g.inst.gnu = 'nop';
  },
  PUSH: (g) => {
    const { inst: i } = g;
    i.ops.rs = g.reg();
    g.stack(0);
    i.gnu = `push ${GPR[i.ops.rs]}`;
  },
  PUSH_I: (g) => {
    const { inst: i } = g;
    i.ops.v = wide32(imm32(g.rng));
    g.stack(0);
    i.gnu = `push ${hex(i.ops.v)}`;
  },
  POP: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    g.stack(4);
    i.gnu = `pop ${GPR[i.ops.rd]}`;
  },
  STOSD: (g) => string(g, 'stosd'),
  LODSD: (g) => string(g, 'lodsd'),
  MOVSD: (g) => string(g, 'movsd'),
  CLD: (g) => {
    g.inst.gnu = 'cld';
  },
  STD: (g) => {
    g.inst.gnu = 'std';
  },
  // Near jumps are PC-relative in the spec (issue 11): its syntax takes the target, as GNU's does.
  CALL: (g) => {
    const { inst: i } = g;
    const id = g.target();
    i.ops.t = padAddr(g.slot, id);
    g.stack(0);
    i.gnu = `call ${padLabel(g.slot, id)}`;
  },
  RET: (g) => {
    const { inst: i } = g;
    const sp = g.stack(4);
    g.poke(sp, padAddr(g.slot, g.target()));
    i.gnu = 'ret';
  },
  PUSHF: (g) => {
    g.stack(0);
    g.inst.gnu = 'pushfd';
  },
  POPF: (g) => {
    const { inst: i, rng } = g;
    const sp = g.stack(4);
    // Any flags image but TF; IF = 0 half the time (the famous case: at CPL 3 with IOPL 0 the write
    // to IF is dropped without a trap), IOPL random (left alone at CPL > 0).
    let v = u32(rng.big(32)) & 0x7fd7n & ~0x100n;
    if (rng.int(2)) v &= ~0x200n;
    g.poke(sp, v);
    i.gnu = 'popfd';
  },
  SGDT: (g) => {
    const { inst: i } = g;
    i.ops.a = winAddr(g.slot) + g.rng.int(WIN - 5);
    i.gnu = `sgdt [${hex(i.ops.a)}]`;
  },
  SIDT: (g) => {
    const { inst: i } = g;
    i.ops.a = winAddr(g.slot) + g.rng.int(WIN - 5);
    i.gnu = `sidt [${hex(i.ops.a)}]`;
  },
  SMSW: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    // SDM vol. 2 SMSW: "when the destination operand is a 32-bit register, the low-order 16 bits of
    // register CR0 are copied into the low-order 16 bits of the register and the high-order 16 bits
    // are undefined".
    i.undefinedGpr.set(i.ops.rd, 0xffff0000n);
    i.gnu = `smsw ${GPR[i.ops.rd]}`;
  },
  SLDT: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.gnu = `sldt ${GPR[i.ops.rd]}`;
  },
  STR: (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.gnu = `str ${GPR[i.ops.rd]}`;
  },
  LAR: (g) => selOp(g, 'lar'),
  LSL: (g) => selOp(g, 'lsl'),
  VERR: (g) => selOp(g, 'verr'),
  VERW: (g) => selOp(g, 'verw'),
  JMPF: (g) => far(g, 'jmp'),
  CALLF: (g) => far(g, 'call'),
  RETF: (g) => {
    const { inst: i, rng, env } = g;
    const sp = g.stack(8);
    g.poke(sp, padAddr(g.slot, g.target()));
    const cs = rng.int(5) === 0 ? selector(g) : env.sregs[1]!;
    g.poke(sp + 4, BigInt(cs) | (u32(rng.big(32)) & 0xffff0000n));
    i.alone = cs !== env.sregs[1];
    i.gnu = 'retf';
  },
  IRET: (g) => {
    const { inst: i, rng, env } = g;
    const sp = g.stack(12);
    g.poke(sp, padAddr(g.slot, g.target()));
    const cs = rng.int(5) === 0 ? selector(g) : env.sregs[1]!;
    g.poke(sp + 4, BigInt(cs) | (u32(rng.big(32)) & 0xffff0000n));
    let fl = u32(rng.big(32)) & 0x7fd7n & ~0x100n;
    if (rng.int(2)) fl &= ~0x200n;
    g.poke(sp + 8, fl);
    i.alone = cs !== env.sregs[1];
    i.gnu = 'iretd';
  },
  // INT 3 (CC) at CPL 3 through the DPL-3 gate: QEMU's Linux user mode enters its emulated kernel,
  // which delivers SIGTRAP (linux-user/i386/cpu_loop.c, EXCP03_INT3); see SpecSide.runInt3.
  INT3: (g) => {
    g.inst.gnu = 'int3';
    g.inst.alone = true;
  },
  INT: (g) => {
    const { inst: i, rng, env } = g;
    // Vectors whose gate QEMU gives DPL 0: INT n at CPL 3 is #GP (SDM vol. 2 INT n). Vectors with a
    // DPL-3 gate (3, 4, 0x80) enter QEMU's emulated kernel, which has no code segment in the tables.
    const dpl0: number[] = [];
    for (let n = 0; n * 8 + 7 <= env.idtr.limit; n++) if (((env.idt[n * 8 + 5]! >> 5) & 3) === 0) dpl0.push(n);
    i.ops.n = rng.pick(dpl0);
    i.alone = true;
    i.gnu = `int ${i.ops.n}`;
  },
};
for (const m of ALU_RR) {
  GENS[m] = (g) => {
    const { inst: i, rng } = g;
    i.ops.rd = g.reg();
    i.ops.rs = g.reg();
    if (rng.int(3) === 0) i.gpr[i.ops.rs] = u32(rng.pick([i.gpr[i.ops.rd]!, i.gpr[i.ops.rd]! + 1n, -i.gpr[i.ops.rd]!, i.gpr[i.ops.rd]! ^ 0x80000000n]));
    i.gnu = `${m.toLowerCase()} ${GPR[i.ops.rd]}, ${GPR[i.ops.rs]}`;
  };
}
// Each form with operands only it encodes, so that GNU and isavirt both pick it (x86-386.isa's
// header: the shorter forms come first): 81 /n id with a register other than EAX and an immediate
// outside simm8, 83 /n ib with a simm8, the EAX forms (05 id...) with an immediate outside simm8.
const wide32 = (v: number): number => (v >= 0xffffff80 || v <= 0x7f ? (v + 0x1000) >>> 0 : v);
for (const m of ALU_RI) {
  const op = m.slice(0, -3);
  GENS[m] = (g) => {
    const { inst: i, rng } = g;
    i.ops.rd = 1 + rng.int(7);
    i.ops.v = imm32(rng);
    if (rng.int(3) === 0) i.ops.v = Number(u32(rng.pick([i.gpr[i.ops.rd]!, -i.gpr[i.ops.rd]!, 0x80000000n, 0x7fffffffn])));
    i.ops.v = wide32(i.ops.v);
    i.gnu = `${op.toLowerCase()} ${GPR[i.ops.rd]}, ${hex(i.ops.v)}`;
  };
  GENS[`${op}_RI8`] = (g) => {
    const { inst: i, rng } = g;
    i.ops.rd = g.reg();
    i.ops.k = rng.pick([-128, -1, 0, 1, 127, rng.int(256) - 128]);
    if (rng.int(3) === 0) i.gpr[i.ops.rd] = u32(rng.pick([-BigInt(i.ops.k), 0x7fffffffn, 0x80000000n, 0xffffffffn]));
    i.gnu = `${op.toLowerCase()} ${GPR[i.ops.rd]}, ${i.ops.k}`;
  };
  GENS[`${op}_EAX`] = (g) => {
    const { inst: i, rng } = g;
    i.ops.v = wide32(rng.int(4) === 0 ? Number(u32(-i.gpr[0]!)) : imm32(rng));
    i.gnu = `${op.toLowerCase()} eax, ${hex(i.ops.v)}`;
  };
}
// A pad is near: GNU and isavirt's assembler pick rel8 (the _SHORT forms); the rel32 forms are
// forced, GNU with {disp32} and isavirt by the form's own encoding (SpecSide.text).
for (const m of ['JMP', ...JCC]) {
  GENS[`${m}_SHORT`] = (g) => {
    const { inst: i } = g;
    const id = g.target();
    i.ops.t = padAddr(g.slot, id);
    i.gnu = `${m.toLowerCase()} ${padLabel(g.slot, id)}`;
  };
  GENS[m] = (g) => {
    const { inst: i } = g;
    const id = g.target();
    i.ops.t = padAddr(g.slot, id);
    i.gnu = `{disp32} ${m.toLowerCase()} ${padLabel(g.slot, id)}`;
  };
}
/** Forms the assembler never picks for a near target: written by their own encoding. */
const BY_ENCODING = new Set(['JMP', ...JCC]);
for (const s of SREGS) {
  const low = s.toLowerCase();
  GENS[`MOV_R_${s}`] = (g) => {
    const { inst: i } = g;
    i.ops.rd = g.reg();
    i.gnu = `mov ${GPR[i.ops.rd]}, ${low}`;
  };
  GENS[`PUSH_${s}`] = (g) => {
    g.stack(0);
    g.inst.gnu = `push ${low}`;
  };
  if (s === 'CS') continue;
  GENS[`MOV_${s}_R`] = (g) => {
    const { inst: i } = g;
    i.ops.rs = g.reg();
    if (i.ops.rs === 4) i.ops.rs = 0;
    const sel = selector(g);
    i.gpr[i.ops.rs] = (u32(g.rng.big(32)) & 0xffff0000n) | BigInt(sel);
    i.alone = !segmentLoads(g.env, s, sel);
    i.gnu = `mov ${low}, ${GPR[i.ops.rs]}`;
  };
  GENS[`POP_${s}`] = (g) => {
    const { inst: i } = g;
    const sp = g.stack(4);
    const sel = selector(g);
    g.poke(sp, (u32(g.rng.big(32)) & 0xffff0000n) | BigInt(sel));
    i.alone = !segmentLoads(g.env, s, sel);
    i.gnu = `pop ${low}`;
  };
}
for (const [m, f] of Object.entries(FAULTS_AT_CPL3)) {
  GENS[m] = (g) => {
    g.inst.gnu = f(g);
    g.inst.alone = true;
  };
}

/** Whether loading `sel` into `sreg` succeeds at CPL 3 (for batching only; the comparison decides). */
function segmentLoads(env: Env, sreg: string, sel: number): boolean {
  const cpl = env.sregs[1]! & 3;
  const d = gdtEntry(env, sel);
  const dpl = Number((d >> 45n) & 3n),
    present = (d >> 47n) & 1n,
    s = (d >> 44n) & 1n,
    code = (d >> 43n) & 1n;
  const rw = (d >> 41n) & 1n;
  if (sreg === 'SS') return d !== 0n && (sel & 3) === cpl && dpl === cpl && s === 1n && code === 0n && rw === 1n && present === 1n;
  if ((sel & 0xfffc) === 0) return true;
  const readable = s === 1n && (code === 0n || rw === 1n);
  const conforming = code === 1n && ((d >> 42n) & 1n) === 1n;
  return d !== 0n && readable && present === 1n && (conforming || ((sel & 3) <= dpl && cpl <= dpl));
}

function edgeValue(g: GenCtx, r: number): void {
  if (g.rng.int(3) === 0) g.inst.gpr[r] = g.rng.pick([0n, 0xffffffffn, 0x7fffffffn, 0x80000000n]);
}

function memx(g: GenCtx, kind: 'load' | 'store' | 'lea'): void {
  const { inst: i, rng } = g;
  // Base + disp32 without SIB: any base but ESP (x86-386.isa's MOV_RMX note).
  i.ops.rb = rng.pick([0, 1, 2, 3, 5, 6, 7]);
  i.ops.disp = imm32(rng);
  const ea = BigInt(winAddr(g.slot) + rng.int(WIN - 3));
  if (kind !== 'lea') i.gpr[i.ops.rb] = u32(ea - BigInt(i.ops.disp));
  const mem = `[${GPR[i.ops.rb]}+${hex(i.ops.disp)}]`;
  if (kind === 'store') {
    i.ops.rs = g.reg();
    i.gnu = `mov dword ptr ${mem}, ${GPR[i.ops.rs]}`;
  } else {
    i.ops.rd = g.reg();
    i.gnu = kind === 'lea' ? `lea ${GPR[i.ops.rd]}, ${mem}` : `mov ${GPR[i.ops.rd]}, dword ptr ${mem}`;
  }
}

function shift(g: GenCtx, op: string): void {
  const { inst: i, rng } = g;
  i.ops.rd = g.reg();
  // Not 1: GNU writes a shift by one as D1 (SHL_1, SHR_1).
  i.ops.n = rng.pick([0, 2, 31, 32, 33, 65, 2 + rng.int(254)]);
  // SDM vol. 2 SAL/SAR/SHL/SHR, "Flags Affected": OF is defined only for 1-bit shifts; AF is
  // undefined for a non-zero count (AF is not compared anyway); a zero count affects no flag.
  if ((i.ops.n & 31) > 1) i.undefinedFlags = OF;
  i.gnu = `${op} ${GPR[i.ops.rd]}, ${i.ops.n}`;
}

function string(g: GenCtx, op: string): void {
  const { inst: i, rng } = g;
  i.gpr[6] = BigInt(winAddr(g.slot) + 4 + rng.int(WIN - 11));
  i.gpr[7] = BigInt(winAddr(g.slot) + 4 + rng.int(WIN - 11));
  i.gnu = op;
}

function selOp(g: GenCtx, op: string): void {
  const { inst: i, rng } = g;
  i.ops.rs = g.reg();
  i.gpr[i.ops.rs] = (u32(rng.big(32)) & 0xffff0000n) | BigInt(selector(g));
  if (op === 'lar' || op === 'lsl') {
    i.ops.rd = g.reg();
    i.gnu = `${op} ${GPR[i.ops.rd]}, ${GPR[i.ops.rs]}`;
  } else i.gnu = `${op} ${GPR16[i.ops.rs]}`;
}

function far(g: GenCtx, op: 'jmp' | 'call'): void {
  const { inst: i, rng, env } = g;
  const id = g.target();
  i.ops.off = padAddr(g.slot, id);
  i.ops.sel = rng.int(5) === 0 ? selector(g) : (env.sregs[1]! & ~3) | rng.int(4);
  if (op === 'call') g.stack(0);
  // RPL <= CPL and the same code segment: the transfer succeeds (SDM vol. 2 JMP, CALL).
  i.alone = (i.ops.sel & ~3) !== (env.sregs[1]! & ~3);
  i.gnu = `${op} ${hex(i.ops.sel, 4)}:${padLabel(g.slot, id)}`;
}

export function generate(rng: Rng, env: Env, mnemonic: string, slot: number): Instance {
  const gen = GENS[mnemonic];
  if (!gen) throw new Error(`no co-simulation generator for ${mnemonic}`);
  const gpr: bigint[] = [];
  for (let k = 0; k < 8; k++) gpr.push(u32(rng.big(32)));
  const inst: Instance = {
    mnemonic,
    ops: {},
    gnu: '',
    gpr,
    eflags: (env.eflags & ~STATUS & ~0x100n) | (u32(rng.big(32)) & STATUS),
    sregs: [...env.sregs],
    win: Array.from({ length: WIN }, () => rng.int(256)),
    alone: false,
    undefinedFlags: 0n,
    undefinedGpr: new Map(),
  };
  const W = winAddr(slot);
  const g: GenCtx = {
    rng,
    slot,
    env,
    inst,
    reg: () => rng.int(8),
    target: () => rng.pick([100, 101, 102, 103, 1, 2, 3]),
    stack: (above) => {
      const sp = 8 + rng.int(WIN - 8 - above - 3);
      inst.gpr[4] = BigInt(W + sp);
      return sp;
    },
    poke: (off, v, bytes = 4) => {
      for (let k = 0; k < bytes; k++) inst.win[off + k] = Number((BigInt(v) >> BigInt(8 * k)) & 0xffn);
    },
  };
  gen(g);
  return inst;
}

// ---- the harness ELF ----

function snippet(inst: Instance, slot: number, next: number | undefined): string {
  const base = slot * SNIP;
  const blk = blkAddr(slot);
  const at = (o: number) => `        .org ${base + o}, 0x90`;
  const L: string[] = [
    at(0),
    `s${slot}:`,
    `        mov dword ptr ss:[cur], ${hex(blk)}`,
    `        mov dword ptr ss:[curland], offset land${slot}`,
    `        mov esp, ${hex(HSTACK)}`,
    `        push dword ptr ss:[${hex(blk + 32)}]`,
    '        popfd',
  ];
  for (const [k, s] of SREGS.entries()) if (s !== 'CS' && s !== 'SS') L.push(`        mov ${s.toLowerCase()}, word ptr ss:[${hex(blk + 40 + 4 * k)}]`);
  for (let r = 0; r < 8; r++) L.push(`        mov ${GPR[r]}, dword ptr ss:[${hex(blk + 4 * r)}]`);
  L.push(`        jmp ins${slot}`);
  const pad = (id: number) => [
    at(id >= 100 ? BACK_AT + 16 * (id - 100) : FWD_AT + 16 * id),
    `${padLabel(slot, id)}:`,
    `        mov dword ptr ss:[${hex(blk + 36)}], ${id}`,
    `        jmp land${slot}`,
  ];
  for (let j = 0; j < PADS; j++) L.push(...pad(100 + j));
  L.push(at(INS_AT), `ins${slot}:`, `        ${inst.gnu}`);
  for (let k = 0; k < PADS; k++) L.push(...pad(k));
  L.push(at(LAND_AT), `land${slot}:`);
  for (let r = 0; r < 8; r++) L.push(`        mov dword ptr ss:[${hex(blk + 4 * r)}], ${GPR[r]}`);
  for (const [k, s] of SREGS.entries()) L.push(`        mov word ptr ss:[${hex(blk + 40 + 4 * k)}], ${s.toLowerCase()}`);
  L.push(
    `        mov esp, ${hex(HSTACK)}`,
    '        pushfd',
    `        pop dword ptr ss:[${hex(blk + 32)}]`,
    '        cld',
    '        mov eax, 4',
    '        mov ebx, 1',
    `        mov ecx, ${hex(blk)}`,
    `        mov edx, ${BLKSZ}`,
    '        int 0x80',
  );
  if (next === undefined) L.push('        mov eax, 1', '        xor ebx, ebx', '        int 0x80');
  else L.push(`        jmp s${next}`);
  return L.join('\n');
}

function dataBlock(inst: Instance, slot: number): string {
  const words = [...inst.gpr, inst.eflags, 0xffffffffn, ...inst.sregs.map(BigInt)].map((v) => hex(v)).join(', ');
  return [`        .org ${slot * BLK}`, `        .long ${words}`, `        .byte ${inst.win.join(', ')}`].join('\n');
}

export type Placed = P<Instance>;

/** Faults end an instance, not the harness: handlers for the signals Linux delivers for them run
 *  on an alternate stack (ESP is the instance's), record 200 + the signal number as the landing pad
 *  and resume at the current snippet's land (i386 sigcontext: EIP at offset 56). */
const SIGNALS: Record<number, string> = { 4: 'SIGILL', 5: 'SIGTRAP', 7: 'SIGBUS', 8: 'SIGFPE', 11: 'SIGSEGV' };
const START = [
  '        .globl _start',
  '_start:',
  '        mov eax, 186',
  '        mov ebx, offset altss',
  '        xor ecx, ecx',
  '        int 0x80',
  ...Object.keys(SIGNALS).flatMap((n) => [
    '        mov eax, 67',
    `        mov ebx, ${n}`,
    '        mov ecx, offset sigact',
    '        xor edx, edx',
    '        int 0x80',
  ]),
];
const HANDLER = [
  'handler:',
  '        mov eax, dword ptr [esp+4]',
  '        add eax, 200',
  '        mov ecx, dword ptr ss:[cur]',
  '        mov dword ptr ss:[ecx+36], eax',
  '        mov eax, dword ptr ss:[curland]',
  '        mov dword ptr [esp+64], eax',
  '        ret',
];
/** struct sigaction (handler, mask, SA_ONSTACK, restorer) and stack_t (sp, flags, size). */
const SIGDATA = ['cur:    .long 0', 'curland: .long 0', 'sigact: .long handler, 0, 0x08000000, 0', 'altss:  .long altbase, 0, 8192', 'altbase: .space 8192'];

export function harnessSource(items: Placed[]): string {
  const text = items.map(({ inst, slot }, i) => snippet(inst, slot, items[i + 1]?.slot));
  const data = items.map(({ inst, slot }) => dataBlock(inst, slot));
  return [
    '        .intel_syntax noprefix',
    '        .text',
    ...text,
    ...START,
    `        jmp s${items[0]!.slot}`,
    ...HANDLER,
    '        .data',
    ...data,
    `        .org ${HSTACK - DATA + 16}`,
    ...SIGDATA,
    '',
  ].join('\n');
}

export function buildElf(items: Placed[], dir: string, name: string): string {
  checkSlots(items, BATCH);
  return linkHarness(TOOLCHAINS.i386, dir, name, harnessSource(items), { [`ins${items[0]!.slot}`]: insAddr(items[0]!.slot) });
}

export type QemuOutcome =
  | { kind: 'state'; gpr: bigint[]; eflags: bigint; pad: number; sregs: number[]; win: number[] }
  | { kind: 'signal'; signal: string }
  | { kind: 'exit'; status: number };

/** Run a harness under qemu-i386, or (`native`) directly on the host CPU in 32-bit compatibility mode. */
export function runElf(elf: string, count: number, native = false): QemuOutcome[] {
  const r = native ? runUser(elf, []) : runUser('qemu-i386', [elf]);
  const out = r.stdout;
  const res: QemuOutcome[] = [];
  for (let i = 0; i + BLKSZ <= out.length && res.length < count; i += BLKSZ) {
    const w = (k: number) => BigInt(out.readUInt32LE(i + 4 * k));
    res.push({
      kind: 'state',
      gpr: [0, 1, 2, 3, 4, 5, 6, 7].map(w),
      eflags: w(8),
      pad: Number(w(9)),
      sregs: [0, 1, 2, 3, 4, 5].map((k) => out.readUInt16LE(i + 40 + 4 * k)),
      win: [...out.subarray(i + 64, i + BLKSZ)],
    });
  }
  for (let k = 0; k < res.length; k++) {
    const q = res[k]!;
    if (q.kind === 'state' && q.pad >= 200) res[k] = { kind: 'signal', signal: SIGNALS[q.pad - 200] ?? `signal ${q.pad - 200}` };
  }
  if (res.length < count) res.push(r.signal ? { kind: 'signal', signal: r.signal } : { kind: 'exit', status: r.status ?? -1 });
  else if (r.status !== 0 || r.signal) throw new Error(`${elf}: all ${count} instances ran, then QEMU ended with ${r.signal ?? r.status}`);
  return res;
}

// ---- isavirt's side ----

export interface SpecRun {
  outcome: SpecOutcome;
  gpr: bigint[];
  eip: bigint;
  eflags: bigint;
  sregs: number[];
  win: number[];
  nextPc: bigint;
  changed: string[];
  /** The form isavirt decoded at the instance's address (it must be the instance's own). */
  decoded: string;
}

export class SpecSide extends InstanceSide<Instance> {
  constructor(
    isa: Isa,
    readonly env: Env,
    items: Placed[],
  ) {
    super(isa, items, insAddr);
    // The environment's descriptor tables at their linear addresses (the spec's memory is 1 MiB).
    env.gdt.forEach((b, k) => this.m.writeMem('phys', env.gdtr.base + k, BigInt(b)));
    env.idt.forEach((b, k) => this.m.writeMem('phys', env.idtr.base + k, BigInt(b)));
  }

  override text(inst: Instance, slot?: number): string {
    if (slot !== undefined && BY_ENCODING.has(inst.mnemonic)) {
      // The form's own encoding with rel = target - next_pc, as fetch bytes (first fetched first).
      const ins = instruction(this.isa, inst.mnemonic);
      const len = ins.encoding.width / 8;
      const rel = BigInt.asUintN(32, BigInt(inst.ops.t! - (insAddr(slot) + len)));
      const bits = insertOperands(ins.encoding, new Map([['rel', rel]]));
      return `.word ${[...Array(len).keys()].map((k) => hex((bits >> BigInt(8 * (len - 1 - k))) & 0xffn, 2)).join(', ')}`;
    }
    // A near jump's PC-relative operand is written as its target (the spec's syntax, GNU's too).
    return specText(this.isa, inst.mnemonic, inst.ops.t === undefined ? inst.ops : { ...inst.ops, rel: String(inst.ops.t) });
  }

  /**
   * INT 3 where QEMU's kernel would be: QEMU's tables give vector 3 a DPL-3 gate but no kernel code
   * segment behind it (its kernel is emulated), so isavirt's copy gets one for this instance: the
   * gate points at a ring-0 handler (selector 0x08: a ring-0 code descriptor in GDT slot 1), and a
   * TSS gives the ring-0 stack (SS0 0x10, a ring-0 data descriptor in slot 2). Entering that
   * handler with the frame pushed is what the SIGTRAP QEMU delivers stands for (80386 PRM 9.6.1).
   * The bytes are put back after the step.
   */
  runInt3(inst: Instance, slot: number): SpecRun & { frame: bigint[] } {
    const { m, env } = this;
    const patch: [number, bigint, number][] = [
      [env.idtr.base + 3 * 8, (BigInt(INT3_HANDLER >>> 16) << 48n) | (0xeen << 40n) | (0x08n << 16n) | BigInt(INT3_HANDLER & 0xffff), 8],
      [env.gdtr.base + 8, 0x00cf9a000000ffffn, 8],
      [env.gdtr.base + 16, 0x00cf92000000ffffn, 8],
      [INT3_TSS + 4, BigInt(INT3_STACK), 4],
      [INT3_TSS + 8, 0x10n, 4],
    ];
    if (env.gdtr.limit < 23 || env.idtr.limit < 31) throw new Error("INT3 co-simulation: QEMU's GDT or IDT is too small to patch");
    const saved = patch.map(([a, , n]) => [...Array(n).keys()].map((k) => m.readMem('phys', a + k)));
    const write = (a: number, v: bigint, n: number) => {
      for (let k = 0; k < n; k++) m.writeMem('phys', a + k, (v >> BigInt(8 * k)) & 0xffn);
    };
    for (const [a, v, n] of patch) write(a, v, n);
    const trDesc = (BigInt(INT3_TSS >>> 24) << 56n) | (0x89n << 40n) | (BigInt(INT3_TSS & 0xffffff) << 16n) | 0x67n;
    const r = this.run(inst, slot, trDesc);
    const frame = [20, 16, 12, 8, 4].map((o) => [...Array(4).keys()].reduce((v, k) => v | (m.readMem('phys', INT3_STACK - o + k) << BigInt(8 * k)), 0n));
    patch.forEach(([a], i) => saved[i]!.forEach((v, k) => m.writeMem('phys', a + k, v)));
    return { ...r, frame };
  }

  run(inst: Instance, slot: number, trDesc?: bigint): SpecRun {
    const { m, env } = this;
    const set = (r: string, v: bigint | number) => m.writeReg(r, BigInt(v));
    set('GDTR', (BigInt(env.gdtr.base) << 16n) | BigInt(env.gdtr.limit));
    set('IDTR', (BigInt(env.idtr.base) << 16n) | BigInt(env.idtr.limit));
    set('LDTR', env.ldtr);
    set('LDTR_desc', gdtEntry(env, env.ldtr));
    set('TR', env.tr);
    set('TR_desc', trDesc ?? gdtEntry(env, env.tr));
    set('CR0', env.msw);
    SREGS.forEach((s, k) => {
      set(s, inst.sregs[k]!);
      set(`${s}_desc`, gdtEntry(env, inst.sregs[k]!));
    });
    set('EFLAGS', inst.eflags);
    for (let r = 0; r < 8; r++) m.writeFile('gpr', r, inst.gpr[r]!);
    const W = winAddr(slot);
    inst.win.forEach((v, k) => m.writeMem('phys', W + k, BigInt(v)));
    const A = BigInt(insAddr(slot));
    m.pc = A;
    const d = m.decodeAt(A);
    const nextPc = d.kind === 'instr' ? d.nextPc : A;
    const decoded = d.kind === 'instr' ? this.isa.instructions[d.index]!.mnemonic : d.kind;
    const keep = ['EIP', 'EFLAGS', ...SREGS, ...SREGS.map((s) => `${s}_desc`)];
    const before = otherRegisters(m, keep);
    const outcome = stepOnce(m, A);
    const after = otherRegisters(m, keep);
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    const gpr: bigint[] = [];
    for (let r = 0; r < 8; r++) gpr.push(m.readFile('gpr', r));
    const win: number[] = [];
    for (let k = 0; k < WIN; k++) win.push(Number(m.readMem('phys', W + k)));
    return { outcome, gpr, eip: m.pc, eflags: m.readReg('EFLAGS'), sregs: SREGS.map((s) => Number(m.readReg(s))), win, nextPc, changed, decoded };
  }
}

/** Where INT3's isavirt-side kernel lies: below the harness's code (TEXT), used by nothing else. */
const INT3_HANDLER = 0xf000,
  INT3_STACK = 0xe000,
  INT3_TSS = 0xd000;

/** INT 3: QEMU delivers SIGTRAP; isavirt enters the ring-0 handler through vector 3 with the
 *  inter-level frame (EIP = the next instruction, CS, EFLAGS, ESP, SS) on the TSS's ring-0 stack. */
export function compareInt3(inst: Instance, q: QemuOutcome, s: SpecRun & { frame: bigint[] }): string[] {
  const d: string[] = [];
  if (q.kind !== 'signal' || q.signal !== 'SIGTRAP') d.push(`QEMU: ${describeQ(q)}, expected SIGTRAP`);
  if (s.decoded !== inst.mnemonic) d.push(`isavirt decodes the instance as ${s.decoded}`);
  if (s.outcome.kind !== 'done') return [...d, `isavirt: ${s.outcome.kind}${'trap' in s.outcome ? ' ' + s.outcome.trap : ''}, not the handler`];
  if (s.eip !== BigInt(INT3_HANDLER) || s.sregs[1] !== 0x08)
    d.push(`isavirt at ${hex(s.sregs[1]!, 4)}:${hex(s.eip)}, not the handler 0x0008:${hex(INT3_HANDLER)}`);
  const want = [s.nextPc, BigInt(inst.sregs[1]!), null, inst.gpr[4]!, BigInt(inst.sregs[2]!)];
  want.forEach((w, k) => {
    if (w !== null && (s.frame[k]! & (k === 1 || k === 4 ? 0xffffn : 0xffffffffn)) !== w) d.push(`frame word ${k}: ${hex(s.frame[k]!)}, expected ${hex(w)}`);
  });
  return d;
}

/** How QEMU's i386 Linux user mode shows a fault (linux-user/i386/cpu_loop.c: #GP -> SIGSEGV,
 *  #NP and #SS -> SIGBUS, #DE -> SIGFPE, #UD -> SIGILL). */
const SIGNAL_OF: Record<string, string> = { GP: 'SIGSEGV', GP_SEG: 'SIGSEGV', NP: 'SIGBUS', SS_FAULT: 'SIGBUS', DE: 'SIGFPE', UD: 'SIGILL' };

const describeQ = (q: QemuOutcome): string =>
  q.kind === 'state' ? `completed at pad ${q.pad}` : q.kind === 'signal' ? `signal ${q.signal}` : `exit ${q.status}`;

export function compare(inst: Instance, slot: number, q: QemuOutcome, s: SpecRun): string[] {
  const d: string[] = [];
  if (s.decoded !== inst.mnemonic) d.push(`isavirt decodes the instance as ${s.decoded}`);
  if (s.changed.length) d.push(`isavirt changed ${s.changed.join(', ')}`);
  const o = s.outcome;
  if (o.kind !== 'done') {
    if (o.kind === 'trap' && q.kind === 'signal') {
      if (SIGNAL_OF[o.trap] !== q.signal) d.push(`isavirt traps ${o.trap}, QEMU: ${describeQ(q)}`);
      return d;
    }
    return [...d, `isavirt: ${o.kind}${'trap' in o ? ' ' + o.trap : ''}, QEMU: ${describeQ(q)}`];
  }
  if (q.kind !== 'state') return [...d, `isavirt completes, QEMU: ${describeQ(q)}`];
  for (let r = 0; r < 8; r++) {
    const mask = 0xffffffffn & ~(inst.undefinedGpr.get(r) ?? 0n);
    if ((q.gpr[r]! & mask) !== (s.gpr[r]! & mask)) d.push(`${GPR[r]}: QEMU ${hex(q.gpr[r]!)}, isavirt ${hex(s.gpr[r]!)}`);
  }
  const fm = EFLAGS_COMPARED & ~inst.undefinedFlags;
  if ((q.eflags & fm) !== (s.eflags & fm)) d.push(`EFLAGS (mask ${hex(fm, 4)}): QEMU ${hex(q.eflags)}, isavirt ${hex(s.eflags)}`);
  SREGS.forEach((n, k) => {
    if (q.sregs[k] !== s.sregs[k]) d.push(`${n}: QEMU ${hex(q.sregs[k]!, 4)}, isavirt ${hex(s.sregs[k]!, 4)}`);
  });
  const landed = q.pad === 0 ? s.nextPc : BigInt(padAddr(slot, q.pad));
  if (s.eip !== landed) d.push(`EIP: QEMU ${q.pad === 0 ? 'fell through' : `at pad ${q.pad} (${hex(landed)})`}, isavirt ${hex(s.eip)}`);
  for (let k = 0; k < WIN; k++) {
    if (q.win[k] !== s.win[k]) d.push(`memory ${hex(winAddr(slot) + k)}: QEMU 0x${q.win[k]!.toString(16)}, isavirt 0x${s.win[k]!.toString(16)}`);
  }
  return d;
}

export function describeInstance(inst: Instance, spec: string): string {
  const regs = inst.gpr.map((v, r) => `${GPR[r]}=${hex(v)}`).join(' ');
  return `"${inst.gnu}" (isavirt: "${spec}") with ${regs} EFLAGS=${hex(inst.eflags)}`;
}

// ---- the whole co-simulation ----

export interface CosimOptions {
  seed: number;
  perInstruction: number;
  /** Instances of each instruction that faults at CPL 3 (an ELF each). */
  perFaulting: number;
  only?: string[];
  dir: string;
  env?: Env;
  /** Run the harnesses on the host CPU instead of QEMU (only instructions that do not depend on the
   *  descriptor tables: see NATIVE). */
  native?: boolean;
}

export interface CosimResult extends Tally {
  env: Env;
  uncovered: string[];
}

/**
 * The instructions whose outcome does not depend on what Linux fixes differently on a real CPU: the
 * integer subset, flags, the stack, near transfers, and the selector reads. Not the descriptor-table
 * ones: on the host, Linux's UMIP emulation answers SGDT, SIDT, SMSW, SLDT and STR with fixed dummy
 * values (arch/x86/kernel/umip.c) and the tables themselves are not readable, so isavirt cannot be
 * seeded with them; nor the segment loads and far transfers, which read them.
 */
export const NATIVE = [
  'MOV_RI',
  'MOV_RR',
  'MOV_RM',
  'MOV_MR',
  'MOV_RMX',
  'MOV_MRX',
  'LEA',
  ...ALU_RR,
  ...ALU_RI,
  'INC',
  'DEC',
  'SHL',
  'SHR',
  'DIV',
  'NOP',
  'PUSH',
  'PUSH_I',
  'POP',
  'STOSD',
  'LODSD',
  'MOVSD',
  'CLD',
  'STD',
  'JMP',
  ...JCC,
  'CALL',
  'RET',
  'PUSHF',
  'POPF',
  'MOV_R_CS',
  'MOV_R_SS',
  'MOV_R_DS',
  'MOV_R_ES',
  'PUSH_CS',
  'PUSH_SS',
  'PUSH_DS',
  'PUSH_ES',
  'CLI',
  'STI',
  'IN',
  'OUT',
  'OUT_AL',
  'HLT',
];

/** The selectors and EFLAGS a CPL-3 program starts with on the host (32-bit compatibility mode). */
export function probeNative(dir: string, qemuEnv: Env): Env {
  const elf = linkHarness(
    TOOLCHAINS.i386,
    dir,
    'probe-native',
    [
      '        .intel_syntax noprefix',
      '        .text',
      '        .globl _start',
      '_start:',
      ...SREGS.map((s, k) => `        mov word ptr [env+${4 * k}], ${s.toLowerCase()}`),
      '        pushfd',
      '        pop dword ptr [env+24]',
      '        mov eax, 4',
      '        mov ebx, 1',
      '        mov ecx, offset env',
      '        mov edx, 28',
      '        int 0x80',
      '        mov eax, 1',
      '        xor ebx, ebx',
      '        int 0x80',
      '        .data',
      'env:    .space 28',
      '',
    ].join('\n'),
    {},
  );
  const out = run(elf, []).stdout;
  return { ...qemuEnv, sregs: [0, 1, 2, 3, 4, 5].map((k) => out.readUInt16LE(4 * k)), eflags: BigInt(out.readUInt32LE(24)) };
}

export function cosimulate(isa: Isa, o: CosimOptions): CosimResult {
  const env = o.env ?? (o.native ? probeNative(o.dir, probe(o.dir)) : probe(o.dir));
  const mnemonics = isa.instructions.map((i) => i.mnemonic).filter((m) => !o.only || o.only.includes(m));
  const uncovered = mnemonics.filter((m) => !GENS[m]);
  const rng = new Rng(o.seed);
  // Every instance runs in a batch: a fault ends the instance (the harness's signal handlers), not
  // the harness.
  const wants = mnemonics
    .filter((m) => GENS[m])
    .map((m) => ({ mnemonic: m, count: FAULTS_AT_CPL3[m] || m === 'INT' || m === 'INT3' ? o.perFaulting : o.perInstruction }));
  const placed = placeAll(wants, BATCH, (w, slot) => generate(rng, env, w.mnemonic, slot));
  const res: CosimResult = Object.assign(new Tally(), { env, uncovered });
  batches(placed, BATCH).forEach((items, bi) => {
    const side = new SpecSide(isa, env, items);
    runAll(items, `x86batch${bi}`, {
      build: (group, name) => buildElf(group, o.dir, name),
      runElf: (elf, count) => runElf(elf, count, o.native),
      check: (p, q) => {
        const int3 = p.inst.mnemonic === 'INT3' ? side.runInt3(p.inst, p.slot) : undefined;
        const s = int3 ?? side.run(p.inst, p.slot);
        const d = int3 ? compareInt3(p.inst, q, int3) : compare(p.inst, p.slot, q, s);
        res.add(p.inst.mnemonic, outcomeWord(s.outcome, s.eip === s.nextPc), d, () => `${p.inst.mnemonic} ${describeInstance(p.inst, side.text(p.inst))}`);
      },
    });
  });
  return res;
}
