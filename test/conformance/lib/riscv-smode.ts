// RISC-V supervisor-mode (and user-mode trap) co-simulation on qemu-system-riscv32 -machine virt
// -bios none (-cpu rv32 with pmp off: riscv.isa has no PMP): the instructions whose outcome at S
// depends on privilege —
// every CSR instruction (.s: allowed, with satp under TVM; .m: illegal), SRET (TSR), SFENCE.VMA
// (TVM), WFI with TW = 1, MRET (illegal at S), ECALL and EBREAK — with the trap going to M, or to S
// where medeleg delegates it; and the same instructions entered in U-mode (MPP = U), where they trap
// to M or, delegated, to S. A U-mode instance's landing (`uland`) leaves through EBREAK (ECALL for an
// EBREAK instance), whose medeleg bit is kept clear.
//
// The snippet (instance i, at TEXT + i*SNIP) starts in M-mode: it writes the CSRs (INIT, with
// mtvec = the snippet's M trap pad and stvec = its S trap pad), sets mepc = ins and MPP = S, reads
// the CSRs back (BEFORE, isavirt's seed), loads the x registers and executes MRET, which enters the
// instance in S-mode (isavirt runs the same MRET from the seeded M-mode state, then the instance).
// Completing, or trapping to S through stvec, lands in S on `sland`, which stores the x registers
// and the S-level CSRs (SAFTER), marks the block and ECALLs to M; trapping to M lands on `mland`
// directly. mland reads every CSR (AFTER) and copies the block to the UART.
//
// Compared: the privilege level reached (S or M), the x registers, the pc (the landing pad or trap
// vector), the S-level CSRs and, for a trap to M, every CSR, on the bits riscv.isa implements. After
// sland's own ECALL, mepc, mcause, mtval and mstatus.MPP/MPIE/MIE are the ECALL's, not the
// instance's: they are not compared then (from S the instance cannot change them without a trap).
// mtval and stval after an illegal-instruction exception are not compared (P 3.1.17, 4.1.9: zero or
// the instruction bits; riscv.isa writes zero, QEMU the bits). Not generated: satp with MODE = 1
// (riscv.isa's Sv32 would translate the harness's own fetches), WFI with TW = 0 (it waits for an
// interrupt; riscv.isa stops). SRET to U returns to a U-mode pad, whose landing ECALLs to M; the CSRs
// are then read in M, with the same exceptions as after sland's ECALL.

import type { Isa } from '../../../src/ir/types.js';
import { Rng } from '../../exec/helpers.js';
import { R, u32 } from './riscv.js';
import { hex, InstanceSide } from './spec.js';
import { CSRS, csrOperands, legal, VIEW_MASK, TOOLS as SYS_TOOLS, runVirt, uartDump, virtRuntime, type Instance as SysInstance } from './riscv-sys.js';
import { batches, blocks, linkHarness, placeAll, Tally, TOOLCHAINS, type Placed as P } from './cosim.js';

export const TOOLS = SYS_TOOLS;
export const TEXT = 0x80000000;
export const SNIP = 2048;
export const BLK = 512;
export const BATCH = 0x60000 / SNIP - 2;
const PADS = 4;
const NC = CSRS.length;
/** The S-level CSRs sland reads: the views sstatus, sie, sip and the supervisor CSRs but satp (with
 *  TVM set, reading it at S traps; mland reads it, and sland's ECALL leaves it alone). */
const SCSR = [0x100, 0x104, 0x105, 0x140, 0x141, 0x142, 0x143, 0x144];
const OFF = {
  x: 0,
  init: 128,
  before: 128 + 4 * NC,
  after: 128 + 8 * NC,
  safter: 128 + 12 * NC,
  flag: 128 + 12 * NC + 4 * SCSR.length,
  xs: 128 + 12 * NC + 4 * SCSR.length + 4,
};
export const BLKSZ = OFF.xs + 128;
export const QEMU_ARGS = [
  '-machine',
  'virt',
  '-cpu',
  'rv32,m=false,a=false,c=false,f=false,d=false,h=false,pmp=false',
  '-bios',
  'none',
  '-nographic',
  '-monitor',
  'none',
];

const idx = (reg: string): number => CSRS.findIndex((k) => k.reg === reg);

/** Offsets in a snippet, fixed: the instance, the pads, the trap pads. */
const PRO = 2 + 2 * (NC - 1) + 9 + 2 * NC + 31 + 1; // prologue instructions before ins (see snippet)
const insAddr = (slot: number) => TEXT + slot * SNIP + 4 * PRO;
const padAddr = (slot: number, k: number) => insAddr(slot) + 4 + 4 * k;
const stpAddr = (slot: number) => insAddr(slot) + 4 * (1 + PADS);
const mtpAddr = (slot: number) => stpAddr(slot) + 4;
/** The U-mode landing pad: where an SRET to U returns (sepc). */
const upAddr = (slot: number) => mtpAddr(slot) + 4;

export interface Instance extends SysInstance {
  /** The mode the instance runs in: S, or U (where every instruction here but ECALL and EBREAK
   *  is illegal, and the traps go to M or, delegated, to S). */
  mode: 'S' | 'U';
}

const SMODE = ['SRET', 'SFENCE_VMA', 'WFI', 'MRET', 'ECALL', 'EBREAK'];
export const covers = (m: string): boolean => /^CSRR[WSC]I?$/.test(m) || SMODE.includes(m);

export function generate(rng: Rng, mnemonic: string, slot: number, mode: 'S' | 'U' = 'S'): Instance {
  const x: bigint[] = [0n];
  for (let i = 1; i < 32; i++) x.push(u32(rng.big(32)));
  const init = CSRS.map((k) => (k.num === 0x304 ? 0n : legal(k.num, u32(rng.big(32)))));
  init[idx('mtvec')] = BigInt(mtpAddr(slot));
  init[idx('stvec')] = BigInt(stpAddr(slot));
  init[idx('satp')] = init[idx('satp')]! & 0x7fffffffn; // bare: riscv.isa's Sv32 would translate the harness
  init[idx('medeleg')] = init[idx('medeleg')]! & ~(1n << 9n); // sland's own ECALL must reach M
  // No interrupt pending: with sie written by an instance and SIE set, a pending S-level interrupt
  // would be taken on every instruction of the harness (riscv.isa models no interrupts).
  init[idx('mip')] = 0n;
  // TVM, TW, TSR (mstatus 20, 21, 22) each set half the time: the traps they cause at S are the point.
  let ms = init[idx('mstatus')]! & ~(7n << 20n);
  for (const bit of [20n, 21n, 22n]) if (rng.int(2)) ms |= 1n << bit;
  const ops: Record<string, number> = {};
  const used: number[] = [];
  let gnu: string;
  if (/^CSRR/.test(mnemonic)) {
    // satp stays bare (riscv.isa's Sv32 would translate the harness), stvec in direct mode.
    const fix = (num: number, v: bigint) => (num === 0x180 ? v & 0x7fffffffn : num === 0x105 ? v & ~3n : legal(num, v));
    const csr = csrOperands(rng, mnemonic, ops, x, fix);
    used.push(...csr.used);
    gnu = csr.gnu;
  } else if (mnemonic === 'SFENCE_VMA') {
    ops.rs1 = rng.int(32);
    ops.rs2 = rng.int(32);
    used.push(ops.rs1, ops.rs2);
    gnu = `sfence.vma ${R(ops.rs1)}, ${R(ops.rs2)}`;
  } else {
    if (mnemonic === 'WFI') ms |= 1n << 21n; // TW = 1: illegal at S (TW = 0 would wait)
    if (mnemonic === 'SRET') {
      if (rng.int(2)) {
        // SPP = S: the return stays in S, at a forward pad.
        ms |= 1n << 8n;
        init[idx('sepc')] = BigInt(padAddr(slot, 1 + rng.int(PADS - 1)));
      } else {
        // SPP = U: the return enters U at the U pad, whose landing ECALLs to M (not delegated).
        ms &= ~(1n << 8n);
        init[idx('sepc')] = BigInt(upAddr(slot));
        init[idx('medeleg')] = init[idx('medeleg')]! & ~(1n << 8n);
      }
    }
    gnu = mnemonic.toLowerCase();
  }
  init[idx('mstatus')] = ms;
  // In U, uland leaves through EBREAK (ECALL for an EBREAK instance): that cause must reach M.
  if (mode === 'U') init[idx('medeleg')] = init[idx('medeleg')]! & ~(1n << (mnemonic === 'EBREAK' ? 8n : 3n));
  const free = [...Array(31).keys()].map((k) => k + 1).filter((k) => !used.includes(k));
  const b = rng.pick(free);
  const c = rng.pick(free.filter((k) => k !== b));
  return { mnemonic, ops, gnu, x, init, b, c, mode };
}

function snippet(inst: Instance, slot: number, next: number | undefined): string {
  const { b, c } = inst;
  const blk = `blk${slot}`;
  const la = (r: number, sym: string) => [`        lui ${R(r)}, %hi(${sym})`, `        addi ${R(r)}, ${R(r)}, %lo(${sym})`];
  const L = [`        .org ${slot * SNIP}`, `s${slot}:`, ...la(b, blk)];
  CSRS.forEach((k, i) => {
    if (k.reg !== 'MISA') L.push(`        lw ${R(c)}, ${OFF.init + 4 * i}(${R(b)})`, `        csrw ${hex(k.num, 3)}, ${R(c)}`);
  });
  // mepc = ins, MPP = S (6 instructions)
  L.push(
    ...la(c, `ins${slot}`),
    `        csrw mepc, ${R(c)}`,
    `        lui ${R(c)}, 2`,
    `        addi ${R(c)}, ${R(c)}, -2048`,
    `        csrc mstatus, ${R(c)}`,
    ...(inst.mode === 'S' ? [`        lui ${R(c)}, 1`, `        addi ${R(c)}, ${R(c)}, -2048`] : [`        li ${R(c)}, 0`, `        li ${R(c)}, 0`]),
    `        csrs mstatus, ${R(c)}`,
  );
  CSRS.forEach((k, i) => L.push(`        csrr ${R(c)}, ${hex(k.num, 3)}`, `        sw ${R(c)}, ${OFF.before + 4 * i}(${R(b)})`));
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        lw ${R(j)}, ${4 * j}(${R(b)})`);
  L.push(`        lw ${R(b)}, ${4 * b}(${R(b)})`, `mr${slot}:   mret`);
  L.push(`ins${slot}:`, `        ${inst.gnu}`);
  for (let k = 0; k < PADS; k++) L.push(`        jal ${R(c)}, ${inst.mode === 'S' ? 'sland' : 'uland'}${slot}`);
  L.push(`stp${slot}:   jal ${R(c)}, sland${slot}`, `mtp${slot}:   jal ${R(c)}, mland${slot}`, `up${slot}:    jal ${R(c)}, uland${slot}`);
  // uland (U-mode): the x registers, the mark 2, ECALL to M (the CSRs are read in M).
  L.push(`uland${slot}:`, ...la(b, blk));
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        sw ${R(j)}, ${OFF.xs + 4 * j}(${R(b)})`);
  L.push(
    `        li ${R(c)}, 2`,
    `        sw ${R(c)}, ${OFF.flag}(${R(b)})`,
    inst.mode === 'U' && inst.mnemonic !== 'EBREAK' ? '        ebreak' : '        ecall',
  );
  // sland (S-mode): x registers, the S-level CSRs, the mark, ECALL to M.
  L.push(`sland${slot}:`, ...la(b, blk));
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        sw ${R(j)}, ${OFF.xs + 4 * j}(${R(b)})`);
  SCSR.forEach((n, i) => L.push(`        csrr ${R(c)}, ${hex(n, 3)}`, `        sw ${R(c)}, ${OFF.safter + 4 * i}(${R(b)})`));
  L.push(`        li ${R(c)}, 1`, `        sw ${R(c)}, ${OFF.flag}(${R(b)})`, '        ecall');
  // mland (M-mode): the x registers unless sland stored them, every CSR, the UART.
  L.push(`mland${slot}:`, ...la(b, blk));
  for (let j = 1; j < 32; j++) if (j !== b) L.push(`        sw ${R(j)}, ${4 * j}(${R(b)})`);
  CSRS.forEach((k, i) => L.push(`        csrr ${R(c)}, ${hex(k.num, 3)}`, `        sw ${R(c)}, ${OFF.after + 4 * i}(${R(b)})`));
  L.push(...uartDump(R(b), R(c), BLKSZ));
  L.push(next === undefined ? '        j finish' : `        j s${next}`);
  return L.join('\n');
}

export type Placed = P<Instance>;

export function harnessSource(items: Placed[]): string {
  const text = items.map(({ inst, slot }, i) => snippet(inst, slot, items[i + 1]?.slot));
  const data = items.map(({ inst, slot }) =>
    [
      `        .org ${slot * BLK}`,
      `blk${slot}:`,
      `        .word ${inst.x.map((v) => hex(v)).join(', ')}`,
      `        .word ${inst.init.map((v) => hex(v)).join(', ')}`,
      `        .space ${8 * NC + 4 * SCSR.length}`,
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

interface QemuState {
  x: bigint[];
  before: bigint[];
  after: bigint[];
  safter: bigint[];
  viaS: boolean;
  viaU: boolean;
}

export function runElf(elf: string, count: number): { states: QemuState[]; stopped?: string } {
  const { buf, status, timedOut } = runVirt(elf, QEMU_ARGS, Number(process.env.ISAVIRT_COSIM_QEMU_TIMEOUT ?? 120_000));
  const states = blocks<QemuState>(buf, BLKSZ, count, (i) => {
    const w = (off: number, k: number) => BigInt(buf.readUInt32LE(i + off + 4 * k));
    const viaS = w(OFF.flag, 0) === 1n,
      viaU = w(OFF.flag, 0) === 2n;
    return {
      x: [...Array(32).keys()].map((k) => w(viaS || viaU ? OFF.xs : OFF.x, k)),
      before: CSRS.map((_, k) => w(OFF.before, k)),
      after: CSRS.map((_, k) => w(OFF.after, k)),
      safter: SCSR.map((_, k) => w(OFF.safter, k)),
      viaS,
      viaU,
    };
  });
  const why = timedOut ? 'QEMU did not finish in time' : `exit ${status}: an unexpected trap in M-mode, mcause as the code`;
  return states.length < count ? { states, stopped: `QEMU stopped after ${states.length} of ${count} (${why})` } : { states };
}

export class SpecSide extends InstanceSide<Instance> {
  constructor(isa: Isa, items: Placed[]) {
    // The snippet's MRET into S just before the instance, as in the harness.
    super(
      isa,
      items,
      (slot) => insAddr(slot) & 0xfffff,
      (slot) => [{ address: (insAddr(slot) - 4) & 0xfffff, text: 'mret' }],
    );
  }

  /** From the seeded M-mode state at the snippet's MRET: MRET into S, then the instance. */
  run(inst: Instance, slot: number, before: bigint[]) {
    const m = this.m;
    m.writeReg('priv', 3n);
    CSRS.forEach((k, i) => {
      if (k.reg !== 'MISA') m.writeReg(k.reg, before[i]! & k.mask);
    });
    for (let j = 0; j < 32; j++) m.writeFile('x', j, inst.x[j]!);
    m.pc = BigInt(insAddr(slot) - 4);
    const entry = m.step();
    const entered = entry.kind === 'stepped' && !entry.trap && m.readReg('priv') === (inst.mode === 'S' ? 1n : 0n) && m.pc === BigInt(insAddr(slot));
    const st = m.step();
    return {
      entered,
      kind: st.kind,
      trap: st.kind === 'stepped' ? st.trap : undefined,
      x: [...Array(32).keys()].map((j) => m.readFile('x', j)),
      pc: m.pc,
      priv: m.readReg('priv'),
      csrs: CSRS.map((k) => m.readReg(k.reg)),
    };
  }
}

/** The value of S-level CSR `num` in isavirt's state (the views computed as riscv.isa reads them). */
function sView(csrs: bigint[], num: number): bigint {
  const get = (reg: string) => csrs[idx(reg)]!;
  switch (num) {
    case 0x100:
      return get('mstatus') & 0x000c0122n;
    case 0x104:
      return get('mie') & get('mideleg');
    case 0x144:
      return get('mip') & get('mideleg');
    default:
      return get(CSRS.find((k) => k.num === num)!.reg);
  }
}

export function compare(inst: Instance, q: QemuState, s: ReturnType<SpecSide['run']>): string[] {
  const d: string[] = [];
  if (!s.entered) return [`isavirt: the MRET into ${inst.mode}-mode did not enter ${inst.mode} at the instance`];
  if (s.kind !== 'stepped') return [`isavirt: ${s.kind}`];
  const qPriv = q.viaU ? 0n : q.viaS ? 1n : 3n;
  if (s.priv !== qPriv) d.push(`privilege after: QEMU ${qPriv}, isavirt ${s.priv}`);
  const illegal = s.trap === 'illegal_instruction' || s.trap === 'undefined_instruction';
  const num = /^CSRR/.test(inst.mnemonic) ? inst.ops.csr! : undefined;
  const rdMask = num === undefined ? 0xffffffffn : (CSRS.find((k) => k.num === num)?.mask ?? VIEW_MASK[num]!);
  for (let j = 1; j < 32; j++) {
    if (j === inst.b || j === inst.c) continue;
    const mask = j === inst.ops.rd ? rdMask : 0xffffffffn;
    if ((q.x[j]! & mask) !== (s.x[j]! & mask)) d.push(`${R(j)}: QEMU ${hex(q.x[j]!)}, isavirt ${hex(s.x[j]!)}`);
  }
  const landed = u32(q.x[inst.c]! - 4n);
  if (landed !== s.pc) d.push(`pc: QEMU ${hex(landed)}, isavirt ${hex(s.pc)}${s.trap ? ` (isavirt trap ${s.trap})` : ''}`);
  if (q.viaS) {
    // The S-level CSRs as sland read them; M-only CSRs but those sland's ECALL rewrote.
    SCSR.forEach((n, i) => {
      const mask = n === 0x143 && illegal ? 0n : (CSRS.find((k) => k.num === n)?.mask ?? VIEW_MASK[n]!);
      const sv = sView(s.csrs, n);
      if ((q.safter[i]! & mask) !== (sv & mask)) d.push(`${hex(n, 3)}: QEMU ${hex(q.safter[i]!)}, isavirt ${hex(sv)}`);
    });
    CSRS.forEach((k, i) => {
      if (['mepc', 'mcause', 'mtval', 'mtvec'].includes(k.reg) || (k.num < 0x300 && k.reg !== 'satp')) return;
      const mask = k.reg === 'mstatus' ? k.mask & ~0x1888n : k.mask;
      if ((q.after[i]! & mask) !== (s.csrs[i]! & mask)) d.push(`${k.reg}: QEMU ${hex(q.after[i]!)}, isavirt ${hex(s.csrs[i]!)}`);
    });
  } else if (q.viaU) {
    // Every CSR as mland read it, but those uland's ECALL rewrote (mepc, mcause, mtval, MPP, MPIE, MIE).
    CSRS.forEach((k, i) => {
      if (['mepc', 'mcause', 'mtval', 'mtvec'].includes(k.reg)) return;
      const mask = k.reg === 'mstatus' ? k.mask & ~0x1888n : k.mask;
      if ((q.after[i]! & mask) !== (s.csrs[i]! & mask)) d.push(`${k.reg}: QEMU ${hex(q.after[i]!)}, isavirt ${hex(s.csrs[i]!)}`);
    });
  } else {
    CSRS.forEach((k, i) => {
      if (k.reg === 'mtvec' || (k.reg === 'mtval' && illegal)) return;
      if ((q.after[i]! & k.mask) !== (s.csrs[i]! & k.mask)) d.push(`${k.reg}: QEMU ${hex(q.after[i]!)}, isavirt ${hex(s.csrs[i]!)}`);
    });
  }
  return d;
}

export function cosimulate(isa: Isa, o: { seed: number; perInstruction: number; dir: string; only?: string[]; perInstructionU?: number }) {
  const rng = new Rng(o.seed);
  const mnemonics = isa.instructions.map((i) => i.mnemonic).filter((m) => covers(m) && (!o.only || o.only.includes(m)));
  const wants = mnemonics.flatMap((m) => [
    { mnemonic: m, mode: 'S' as const, count: o.perInstruction },
    { mnemonic: m, mode: 'U' as const, count: o.perInstructionU ?? 0 },
  ]);
  const placed = placeAll(wants, BATCH, (w, slot) => generate(rng, w.mnemonic, slot, w.mode));
  const res = Object.assign(new Tally(), { stopped: [] as string[] });
  batches(placed, BATCH).forEach((group, bi) => {
    const side = new SpecSide(isa, group);
    const { states, stopped } = runElf(buildElf(group, o.dir, `rvs${bi}`), group.length);
    if (stopped) res.stopped.push(`${stopped}; next: "${group[states.length]?.inst.gnu}"`);
    states.forEach((q, k) => {
      const p = group[k]!;
      const s = side.run(p.inst, p.slot, q.before);
      const how = `${p.inst.mode}: ` + (s.trap ? `trap:${s.trap}->${s.priv === 3n ? 'M' : 'S'}` : s.priv === 0n ? 'in U' : 'completed');
      res.add(
        p.inst.mnemonic,
        how,
        compare(p.inst, q, s),
        () =>
          `${p.inst.mnemonic} (${p.inst.mode}) "${p.inst.gnu}" (isavirt: "${side.text(p.inst)}") before: ${CSRS.map((c, j) => `${c.reg}=${hex(q.before[j]!)}`).join(' ')}`,
      );
    });
  });
  return res;
}
