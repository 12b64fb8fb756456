// Guest instructions per second of the compiled machine on pg.isa, against a hand-written
// JavaScript interpreter of the same program (a switch on the opcode byte, plain numbers) run in the
// same process; then the monitor's cost (its own sections); then one loop per library spec beside
// QEMU user mode on the same loop. Prints figures only; asserts nothing. Run after `npm run build`.
import { loadIsaFile } from '../dist/ir/index.js';
import { createMachine } from '../dist/exec/machine.js';

const ITER = 1 << 22; // loop iterations (9 instructions each)
// The machines run under the time limit `isavirt run` sets by default (its check is part of the
// cost measured); ISAVIRT_BENCH_NO_TIME_LIMIT=1 runs them without one, for comparison.
const LIMIT = process.env.ISAVIRT_BENCH_NO_TIME_LIMIT ? {} : { timeLimitMs: 3_600_000 };

// pg.isa encodings (big endian, one 32-bit word per instruction).
const op8 = (o, a = 0, b = 0, low = 0) => ((o << 24) | (a << 20) | (b << 16) | low) >>> 0;
const LOADI = (rd, imm) => op8(0x03, rd, 0, imm);
const LOADX = (rd, rx, off) => op8(0x04, rd, rx, off);
const STOREX = (rs, rx, off) => op8(0x05, rs, rx, off);
const ADD = (rd, rs) => op8(0x10, rd, rs);
const SUB = (rd, rs) => op8(0x11, rd, rs);
const AND = (rd, rs) => op8(0x12, rd, rs);
const OR = (rd, rs) => op8(0x13, rd, rs);
const XOR = (rd, rs) => op8(0x14, rd, rs);
const SHL = (rd, n) => op8(0x16, rd, 0, n);
const JNZ = (rs, a) => op8(0x22, rs, 0, a);
const HALT = () => op8(0x43);

const LOOP = 0x15;
const program = [
  LOADI(1, 0), // 0x10 sum
  LOADI(2, ITER >>> 8), // 0x11
  SHL(2, 8), // 0x12 r2 = ITER
  LOADI(4, 1), // 0x13
  LOADI(5, 0x3ff), // 0x14 index mask
  XOR(6, 6), // 0x15 loop: r6 = r2 & 0x3ff
  OR(6, 2),
  AND(6, 5),
  LOADX(3, 6, 0x1000), // r3 = V[r6 + 0x1000]
  ADD(1, 3),
  ADD(3, 2),
  STOREX(3, 6, 0x1000), // V[r6 + 0x1000] = r3
  SUB(2, 4),
  JNZ(2, LOOP),
  HALT(),
];
if (ITER >>> 8 > 0xffff || ITER % 256 !== 0) throw new Error('ITER must be a multiple of 256 below 2^24');
const INSTRUCTIONS = 5 + ITER * 9 + 1;

/** The baseline: pg.isa by hand, relocation-bounds checks included. */
function baseline() {
  const E = new Uint32Array(65536);
  E.set(program, 0x10);
  const r = new Uint32Array(16);
  let P = 0x10,
    M = 1,
    R = 0xffff;
  let n = 0;
  for (;;) {
    n++;
    const bound = R & 0xffff,
      base = R >>> 16;
    if (P >= bound) throw new Error('bounds');
    const w = E[(P + base) & 0xffff];
    const a = (w >>> 20) & 15,
      b = (w >>> 16) & 15,
      low = w & 0xffff;
    let next = (P + 1) & 0xffff;
    switch (w >>> 24) {
      case 0x03:
        r[a] = low;
        break;
      case 0x04: {
        const va = (r[b] + low) & 0xffff;
        if (va >= bound) throw new Error('bounds');
        r[a] = E[(va + base) & 0xffff];
        break;
      }
      case 0x05: {
        const va = (r[b] + low) & 0xffff;
        if (va >= bound) throw new Error('bounds');
        E[(va + base) & 0xffff] = r[a];
        break;
      }
      case 0x10:
        r[a] = r[a] + r[b];
        break;
      case 0x11:
        r[a] = r[a] - r[b];
        break;
      case 0x12:
        r[a] = r[a] & r[b];
        break;
      case 0x13:
        r[a] = r[a] | r[b];
        break;
      case 0x14:
        r[a] = r[a] ^ r[b];
        break;
      case 0x16:
        r[a] = (w & 31) >= 32 ? 0 : r[a] << (w & 31);
        break;
      case 0x22:
        if (r[a] !== 0) next = low;
        break;
      case 0x43:
        if (M === 0) throw new Error('privileged');
        return { n, sum: r[1] };
      default:
        throw new Error('unexpected opcode ' + (w >>> 24));
    }
    P = next;
  }
}

const loaded = loadIsaFile(new URL('../isas/pg.isa', import.meta.url).pathname);
if (!loaded.ok) {
  console.error('bench: cannot load isas/pg.isa');
  process.exit(1);
}
const machine = createMachine(loaded.isa, LIMIT);

function compiled() {
  machine.reset();
  machine.loadImage('E', 0x10, program);
  const out = machine.run({ maxSteps: INSTRUCTIONS + 10 });
  if (out.kind !== 'halted') throw new Error('compiled run did not halt: ' + out.message);
  return { n: out.steps, sum: Number(machine.readFile('r', 1)) };
}

// Runs alternate between the two so background load hits both alike; the best of 7 counts.
function measure(entries, rounds = 7) {
  const best = entries.map(() => Infinity);
  const results = [];
  for (let i = 0; i < rounds; i++) {
    entries.forEach(([, f], k) => {
      const t0 = process.hrtime.bigint();
      results[k] = f();
      best[k] = Math.min(best[k], Number(process.hrtime.bigint() - t0) / 1e6);
    });
  }
  return entries.map(([name], k) => {
    const mips = results[k].n / best[k] / 1000;
    console.log(`${name.padEnd(28)} ${mips.toFixed(1).padStart(8)} M instr/s  (${results[k].n} instructions, best of ${rounds}: ${best[k].toFixed(1)} ms)`);
    return { mips, result: results[k] };
  });
}

const [b, c] = measure([
  ['baseline (hand-written JS)', baseline],
  ['compiled machine', compiled],
]);
if (b.result.sum !== c.result.sum || b.result.n !== c.result.n) {
  console.error(`bench: the two runs disagree (sum ${b.result.sum} vs ${c.result.sum}, steps ${b.result.n} vs ${c.result.n})`);
  process.exit(1);
}
console.log(`compiled/baseline: ${(c.mips / b.mips).toFixed(2)}x (goal, with block compilation: >= 2x the hand-written interpreter)`);

// ---- vmm: the trap-and-emulate monitor against the bare machine (section owned by src/vmm/) ----
// A guest whose kernel part is a handful of instructions (set the trap PSW, LPSW to user mode, the
// SVC handler, HALT) around the user-mode loop above: well under 1% of the instructions run in the
// kernel, so the monitor should cost little (goal: within 10% of native).
{
  const { assemble } = await import('../dist/asm/index.js');
  const { runGuest } = await import('../dist/vmm/index.js');
  const hexw = (w) => '0x' + w.toString(16);
  const body = program
    .slice(0, -1)
    .map((w) => `.word ${hexw(w)}`)
    .join('\n');
  const text = `
        .kernel
        .org 4
        .word 0x00010000 + handler, 0x0000ffff
        .org 0x8
        LPSW [upsw]
handler: HALT
upsw:   .word 0x10, 0x0000ffff
        .user
        .org 0x10
${body}
        SVC 0
        .entry 0x8
`;
  const asm = assemble(loaded.isa, text, 'bench-guest.s');
  if (!asm.ok) {
    console.error('bench: the vmm guest does not assemble: ' + asm.diagnostics.map((d) => d.message).join('; '));
    process.exit(1);
  }
  const guest = (kind) => () => {
    const r = runGuest(loaded.isa, kind, { program: asm.program }, { maxSteps: INSTRUCTIONS + 100, ...LIMIT });
    if (r.outcome.kind !== 'halted') throw new Error(`${kind}: did not halt: ${r.outcome.message}`);
    return { n: r.outcome.steps, sum: Number(r.guestState.files.r[1]), stats: r.stats };
  };
  const [native, trapped] = measure([
    ['guest, bare machine', guest('none')],
    ['guest, trap-and-emulate', guest('trap')],
  ]);
  if (native.result.sum !== trapped.result.sum || native.result.n !== trapped.result.n) {
    console.error(`bench: bare machine and monitor disagree (sum ${native.result.sum} vs ${trapped.result.sum})`);
    process.exit(1);
  }
  const s = trapped.result.stats;
  console.log(
    `monitor: ${s.emulated} emulated, ${s.reflected} reflected, ${s.direct} direct; kernel share ${((100 * (s.emulated + s.reflected)) / s.steps).toFixed(5)}%`,
  );
  console.log(`monitor/native time: ${(native.mips / trapped.mips).toFixed(3)}x (goal: <= 1.10x)`);
}

// ---- A guest that enters its kernel about every 500 instructions ----
// The measure: the `trap` monitor within 10% of native on a program whose kernel part is
// under 1% of its instructions. Here a user loop makes a supervisor call every ~500 instructions;
// the guest kernel's handler (JZ, LPSW back to user) runs each time: the SVC is reflected into the
// guest's trap entry and the LPSW is emulated, so the monitor does real work ~20 000 times.
{
  const { assemble } = await import('../dist/asm/index.js');
  const { runGuest } = await import('../dist/vmm/index.js');
  const OUTER = 20000;
  const text = `
        .kernel
        .org 4
        .word 0x00010000 + handler, 0x0000ffff  ; new PSW: supervisor, pc = handler, R = whole store
        .org 0x8
start:  LPSW [upsw]
handler: JZ r1, stop                    ; the user program's count ran out: stop
        LPSW [0]                         ; back to the caller: the old PSW the trap stored at E[0]
stop:   HALT
upsw:   .word 0x00000040, 0x0000ffff     ; user mode, pc = ustart
        .user
        .org 0x40
ustart: LOADI r1, ${OUTER}
outer:  LOADI r2, 100
inner:  LOADX r3, [r2+0x800]
        ADD r4, r3
        STOREX r4, [r2+0x800]
        ADDI r2, -1
        JNZ r2, inner
        ADDI r1, -1
        SVC 0
        JMP outer
        .entry start
`;
  const asm = assemble(loaded.isa, text, 'bench-syscalls.s');
  if (!asm.ok) {
    console.error('bench: the system-call guest does not assemble: ' + asm.diagnostics.map((d) => d.message).join('; '));
    process.exit(1);
  }
  const guest = (kind) => () => {
    const r = runGuest(loaded.isa, kind, { program: asm.program }, { maxSteps: 20_000_000, ...LIMIT });
    if (r.outcome.kind !== 'halted') throw new Error(`${kind}: did not halt: ${r.outcome.message}`);
    return { n: r.outcome.steps, sum: Number(r.guestState.files.r[4]), stats: r.stats };
  };
  const [native, trapped] = measure([
    ['syscalls, bare machine', guest('none')],
    ['syscalls, trap-and-emulate', guest('trap')],
  ]);
  if (native.result.sum !== trapped.result.sum || native.result.n !== trapped.result.n) {
    console.error(`bench: bare machine and monitor disagree (sum ${native.result.sum} vs ${trapped.result.sum})`);
    process.exit(1);
  }
  const s = trapped.result.stats;
  const kernel = 3 * OUTER; // JZ + LPSW per call, the trap entry itself
  console.log(`monitor: ${s.emulated} emulated, ${s.reflected} reflected, ${s.traps} traps; kernel share ~${((100 * kernel) / s.steps).toFixed(2)}%`);
  console.log(`monitor/native time with system calls: ${(native.mips / trapped.mips).toFixed(3)}x (goal: <= 1.10x)`);
}

// ---- The library's real ISAs: one small loop per spec, and QEMU user mode on the same loop ----
// Each guest is the same three-operation loop (add, xor, decrement, branch back) in the spec's own
// assembly syntax, run on the compiled machine from reset; beside it, where QEMU is installed, the
// identical loop in the real instruction set (assembled with GNU as, a static Linux executable
// ending in the exit system call) under qemu-<arch> user mode. QEMU's figure is (instructions of
// the long run - instructions of a one-iteration run) / (time of the long run - time of the short
// one), so its start-up is left out; best of 3 each; its long run is 200 M instructions. A
// missing QEMU or assembler is installed with apt-get when running as root
// (ISAVIRT_BENCH_NO_APT=1 to skip), else reported.
// ISAVIRT_BENCH_SCALE=0.1 runs a tenth of the iterations (a quick look, or an old build).
{
  const scale = Number(process.env.ISAVIRT_BENCH_SCALE ?? 1);
  const { spawnSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { assemble, programImage } = await import('../dist/asm/index.js');
  const lo12 = (n) => ((n & 0xfff) ^ 0x800) - 0x800;
  const log2 = (n) => Math.log2(n);
  const specs = [
    {
      spec: 'riscv',
      iter: 50_000_000,
      per: 4,
      guest: (n) => `
        .org 0x1000
start:  lui t0, ${((n + 0x800) >>> 12) & 0xfffff}
        addi t0, t0, ${lo12(n)}
        addi a0, zero, 3
loop:   addi t0, t0, -1
        add a1, a1, a0
        xor a2, a2, a1
        bne t0, zero, loop
        wfi`,
      qemu: 'qemu-riscv32',
      as: ['riscv64-unknown-elf-as', '-march=rv32i', '-mabi=ilp32'],
      ld: ['riscv64-unknown-elf-ld', '-m', 'elf32lriscv'],
      pkgs: ['qemu-user', 'binutils-riscv64-unknown-elf'],
      real: (n) => `
        .globl _start
_start: li t0, ${n}
        li a0, 3
loop:   addi t0, t0, -1
        add a1, a1, a0
        xor a2, a2, a1
        bne t0, zero, loop
        li a7, 93
        li a0, 0
        ecall`,
    },
    {
      spec: 'x86-386',
      iter: 10_000_000,
      per: 4,
      guest: (n) => `
        .org 0x1000
start:  MOV ecx, ${n}
        MOV ebx, 3
loop:   ADD eax, ebx
        XOR edx, eax
        DEC ecx
        JNE loop
        HLT`,
      qemu: 'qemu-i386',
      as: ['x86_64-linux-gnu-as', '--32'],
      ld: ['ld', '-m', 'elf_i386'],
      pkgs: ['qemu-user', 'binutils-x86-64-linux-gnu'],
      real: (n) => `
        .globl _start
_start: mov $${n}, %ecx
        mov $3, %ebx
loop:   add %ebx, %eax
        xor %eax, %edx
        dec %ecx
        jne loop
        mov $1, %eax
        xor %ebx, %ebx
        int $0x80`,
    },
    {
      // The count is an ARM immediate: 1 rotated right by rot (an even amount: a power of four),
      // written as GNU's explicit-rotation form `#k, rot`.
      spec: 'armv7',
      iter: 1 << 24,
      per: 5,
      guest: (n) => `
        .org 0x8000
start:  mov r0, #1, ${32 - log2(n)}
        mov r2, #3, 0
loop:   sub r0, r0, #1, 0
        add r1, r1, r2
        eor r3, r3, r1
        cmp r0, #0, 0
        bne loop
        wfi`,
      qemu: 'qemu-arm',
      as: ['arm-none-eabi-as'],
      ld: ['arm-none-eabi-ld'],
      pkgs: ['qemu-user', 'binutils-arm-none-eabi'],
      real: (n) => `
        .globl _start
_start: ldr r0, =${n}
        mov r2, #3
loop:   sub r0, r0, #1
        add r1, r1, r2
        eor r3, r3, r1
        cmp r0, #0
        bne loop
        mov r7, #1
        mov r0, #0
        svc #0`,
    },
    {
      spec: 'm68000',
      iter: 10_000_000,
      per: 4,
      guest: (n) => `
        .org 0x400
start:  MOVE.L #${n}, d0
        MOVEQ #3, d2
loop:   ADD.L d2, d1
        EOR.L d1, d3
        SUBQ.L #1, d0
        BNE.W loop
        STOP #0x2700`,
      qemu: 'qemu-m68k',
      as: ['m68k-linux-gnu-as'],
      ld: ['m68k-linux-gnu-ld'],
      pkgs: ['qemu-user', 'binutils-m68k-linux-gnu'],
      real: (n) => `
        .globl _start
_start: move.l #${n}, %d0
        moveq #3, %d2
loop:   add.l %d2, %d1
        eor.l %d1, %d3
        subq.l #1, %d0
        bne loop
        moveq #1, %d0
        clr.l %d1
        trap #0`,
    },
  ];

  const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
  let aptUpdated = false;
  const ensure = (s) => {
    const missing = [s.qemu, s.as[0], s.ld[0]].filter((c) => !has(c));
    if (missing.length === 0) return true;
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    if (root && !process.env.ISAVIRT_BENCH_NO_APT && has('apt-get')) {
      console.log(`${s.spec}: ${missing.join(', ')} missing; installing ${s.pkgs.join(' ')} with apt-get`);
      if (!aptUpdated) {
        spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
        aptUpdated = true;
      }
      spawnSync('apt-get', ['install', '-y', '-qq', ...s.pkgs], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
    const still = [s.qemu, s.as[0], s.ld[0]].filter((c) => !has(c));
    if (still.length > 0) console.log(`${s.spec}: QEMU comparison skipped: ${still.join(', ')} not installed (Debian: apt-get install ${s.pkgs.join(' ')})`);
    return still.length === 0;
  };

  const dir = mkdtempSync(join(tmpdir(), 'isavirt-bench-'));
  /** Seconds of the best of `rounds` runs of an executable under QEMU. */
  const qemuTime = (s, n, rounds = 3) => {
    const src = join(dir, `${s.spec}-${n}.s`),
      obj = join(dir, `${s.spec}-${n}.o`),
      exe = join(dir, `${s.spec}-${n}`);
    writeFileSync(src, s.real(n) + '\n');
    for (const [cmd, ...args] of [
      [...s.as, '-o', obj, src],
      [...s.ld, '-o', exe, obj],
    ]) {
      const r = spawnSync(cmd, args, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    }
    let best = Infinity;
    for (let i = 0; i < rounds; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(s.qemu, [exe]);
      const t = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.status !== 0) throw new Error(`${s.qemu} exited with ${r.status ?? r.signal}`);
      best = Math.min(best, t);
    }
    return best;
  };

  console.log('\nlibrary specs: the same loop (add, xor, count down, branch) on the compiled machine and under QEMU user mode');
  for (const s of specs) {
    const l = loadIsaFile(new URL(`../isas/${s.spec}.isa`, import.meta.url).pathname);
    if (!l.ok) {
      console.log(`${s.spec}: does not load; skipped`);
      continue;
    }
    // (ARM's count is a power of four; the others' any integer.)
    s.iter = s.spec === 'armv7' ? 4 ** Math.max(1, Math.round(Math.log(s.iter * scale) / Math.log(4))) : Math.max(1, Math.round(s.iter * scale));
    const asm = assemble(l.isa, s.guest(s.iter), `${s.spec}-loop.s`);
    if (!asm.ok) {
      console.log(`${s.spec}: the guest loop does not assemble (${asm.diagnostics.map((d) => d.message).join('; ')}); skipped`);
      continue;
    }
    const img = programImage(l.isa, asm.program);
    const total = s.per * s.iter;
    const m = createMachine(l.isa, LIMIT);
    const once = () => {
      m.reset();
      for (const [a, w] of img.words) m.writeMem(img.memory, a, w);
      m.pc = BigInt(asm.program.entry);
      const out = m.run({ maxSteps: total + 100 });
      if (out.kind !== 'halted' || out.steps < total) throw new Error(`${s.spec}: the loop did not run to its end: ${out.message}`);
      return out.steps;
    };
    let best = Infinity,
      steps = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      steps = once();
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
    }
    const mips = steps / best / 1e6;
    // The one-instruction loop (blocks off: what code runs at before it is hot), on a shorter run
    // of the same loop stopped by the budget.
    const one = createMachine(l.isa, { blocks: false, ...LIMIT });
    const oneSteps = Math.min(total, 2_000_000);
    let oneBest = Infinity;
    for (let i = 0; i < 3; i++) {
      one.reset();
      for (const [a, w] of img.words) one.writeMem(img.memory, a, w);
      one.pc = BigInt(asm.program.entry);
      const t1 = process.hrtime.bigint();
      one.run({ maxSteps: oneSteps });
      oneBest = Math.min(oneBest, Number(process.hrtime.bigint() - t1) / 1e9);
    }
    const oneMips = oneSteps / oneBest / 1e6;
    let line = `${s.spec.padEnd(9)} compiled machine ${mips.toFixed(1).padStart(7)} M instr/s (${steps} instructions, best of 3: ${(best * 1000).toFixed(0)} ms; without blocks ${oneMips.toFixed(1)})`;
    if (ensure(s)) {
      try {
        // QEMU is fast enough that the machine's count would be over in a few ms: 200 M
        // instructions for it (a rate is a rate), so start-up noise stays small.
        const qIter = Math.max(s.iter, Math.round((200_000_000 * Math.min(1, scale)) / s.per));
        const tLong = qemuTime(s, qIter),
          tShort = qemuTime(s, 1);
        const qmips = (s.per * (qIter - 1)) / Math.max(1e-6, tLong - tShort) / 1e6;
        line += `; ${s.qemu} ${qmips.toFixed(0)} M instr/s (${(tLong * 1000).toFixed(0)} ms wall, ${(tShort * 1000).toFixed(0)} ms of it start-up); QEMU/machine ${(qmips / mips).toFixed(1)}x`;
      } catch (e) {
        line += `; QEMU run failed: ${e.message}`;
      }
    }
    console.log(line);
  }
  rmSync(dir, { recursive: true, force: true });
}
