// Real kernels under the monitor: a RISC-V and a 386 guest kernel written in GNU syntax, assembled
// and linked with GNU binutils (kernels/riscv.s, kernels/i386.s), each run three ways — by
// `isavirt run` on the bare machine, by `isavirt run --monitor trap` (one `--compare` run gives
// both), and by QEMU's system emulator — and the three console outputs must be the same bytes.
// isavirt loads the ELF by its program headers (src/asm/elf.ts) and starts at its entry, in the
// state the real boot path guarantees: RISC-V -bios none starts the hart at 0x80000000 in M-mode
// (QEMU hw/riscv/virt.c, riscv_setup_rom_reset_vec jumps to the DRAM base); the multiboot loader
// enters a 386 kernel in protected mode, ring 0, flat segments, IF clear, paging off, with EAX =
// 0x2BADB002 (Multiboot specification 0.6.96, 3.2 "Machine state"), which x86-386.isa's reset
// state is, but for EAX: seeded with --set.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root } from './lib/spec.js';
import { needTools, run, scratchDir } from './lib/tools.js';
import { QEMU_ARGS as RISCV_VIRT } from './lib/riscv-smode.js';

interface Kernel {
  name: string;
  spec: string;
  build: (dir: string) => string;
  /** The QEMU command line, the console's output file appended by `qemu`. */
  qemu: (elf: string, out: string) => { cmd: string; args: string[]; exit: number };
  /** `isavirt run` options beyond --compare. */
  isavirt: string[];
  /** What the output must say (so that an empty or truncated run cannot pass). */
  says: string[];
}

const K = join(root, 'test/conformance/kernels');

const kernels: Kernel[] = [
  {
    name: 'riscv',
    spec: 'isas/riscv.isa',
    build: (dir) => {
      run('riscv64-unknown-elf-as', ['-march=rv32i_zicsr', '-mabi=ilp32', '-mno-relax', '-o', join(dir, 'riscv.o'), join(K, 'riscv.s')]);
      run('riscv64-unknown-elf-ld', ['-m', 'elf32lriscv', '--no-relax', '-T', join(K, 'riscv.ld'), '-o', join(dir, 'riscv.elf'), join(dir, 'riscv.o')]);
      return join(dir, 'riscv.elf');
    },
    // The console is the 16550 UART (-serial); the test finisher's PASS ends QEMU with status 0.
    qemu: (elf, out) => ({ cmd: 'qemu-system-riscv32', args: [...RISCV_VIRT, '-serial', `file:${out}`, '-kernel', elf], exit: 0 }),
    isavirt: [],
    says: ['riscv kernel: M-mode, mtvec set\n', 'hello from U-mode via ecall\n', 'sum 1..20 = 210\n', 'exit 0\n'],
  },
  {
    name: 'i386',
    spec: 'isas/x86-386.isa',
    build: (dir) => {
      run('as', ['--32', '-o', join(dir, 'i386.o'), join(K, 'i386.s')]);
      run('ld', ['-m', 'elf_i386', '--no-warn-rwx-segments', '-T', join(K, 'i386.ld'), '-o', join(dir, 'i386.elf'), join(dir, 'i386.o')]);
      return join(dir, 'i386.elf');
    },
    // Console: debugcon on port 0xE9; isa-debug-exit on 0xF4 ends QEMU with (0 << 1) | 1.
    qemu: (elf, out) => ({
      cmd: 'qemu-system-i386',
      args: [
        '-kernel',
        elf,
        '-display',
        'none',
        '-monitor',
        'none',
        '-serial',
        'none',
        '-no-reboot',
        '-debugcon',
        `file:${out}`,
        '-device',
        'isa-debug-exit,iobase=0xf4,iosize=4',
      ],
      exit: 1,
    }),
    // The monitor keeps an empty GDT of its own (64 zero bytes at 0x90000, which the kernel does
    // not use): every segment load and far transfer of the guest then traps and is emulated. With
    // the reset state's GDT as its own, whose ring-3 descriptors are the guest's, the kernel's IRET
    // to ring 3 would run directly as a same-level return (see the last test).
    isavirt: ['--set', 'eax=0x2badb002', '--monitor-control', 'GDTR=0x900000002f'],
    says: ['386 kernel: multiboot ok\n', 'GDT, IDT, TSS loaded; to ring 3\n', 'hello from ring 3 via int 0x80\n', 'sum 1..20 = 210\n', 'exit 0\n'],
  },
];

const missing = needTools('kernels under QEMU', [
  { bin: 'qemu-system-riscv32', pkg: 'qemu-system-misc' },
  { bin: 'riscv64-unknown-elf-as', pkg: 'binutils-riscv64-unknown-elf' },
  { bin: 'riscv64-unknown-elf-ld', pkg: 'binutils-riscv64-unknown-elf' },
  { bin: 'qemu-system-i386', pkg: 'qemu-system-x86' },
  { bin: 'as', pkg: 'binutils' },
  { bin: 'ld', pkg: 'binutils' },
]);

interface RunJson {
  runs: { monitor: string; outcome: string; stats: { emulated: number }; console: { bytes: number; text: string } }[];
  differences: unknown[];
}

function isavirt(spec: string, elf: string, extra: string[]): RunJson {
  const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'run', spec, elf, '--compare', '--format', 'json', ...extra], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`isavirt run ${spec}: exit ${r.status}\n${r.stderr}`);
  return JSON.parse(r.stdout) as RunJson;
}

describe.skipIf(missing !== undefined)('GNU-built kernels: isavirt natively, under the trap monitor, and QEMU', () => {
  const scratch = scratchDir('kernels');
  afterAll(() => scratch.remove());
  const built = new Map<string, string>();
  const elfOf = (k: Kernel) => built.get(k.name) ?? built.set(k.name, k.build(scratch.dir)).get(k.name)!;

  for (const k of kernels) {
    it(`${k.name}: the console output is byte-identical on the bare machine, under the trap monitor and in QEMU`, () => {
      const t0 = Date.now();
      const elf = elfOf(k);
      const out = join(scratch.dir, `${k.name}.console`);
      const q = k.qemu(elf, out);
      const qr = run(q.cmd, q.args, { allowFail: true, timeout: 60_000 });
      expect(qr.error, `${q.cmd} did not finish`).toBeUndefined();
      expect(qr.status, `${q.cmd} exit status`).toBe(q.exit);
      const qemu = readFileSync(out);
      const j = isavirt(k.spec, elf, k.isavirt);
      const [bare, trap] = j.runs.map((r) => Buffer.from(r.console.text, 'latin1'));
      console.log(
        `${k.name} kernel: ${qemu.length} console bytes compared three ways (isavirt bare machine, isavirt --monitor trap with ` +
          `${j.runs[1]!.stats.emulated} instructions emulated, ${q.cmd}), ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      expect(j.runs.map((r) => [r.monitor, r.outcome])).toEqual([
        ['none', 'halted'],
        ['trap', 'halted'],
      ]);
      expect(qemu.toString('latin1')).toBe(k.says.join(''));
      expect(bare!.equals(qemu)).toBe(true);
      expect(trap!.equals(qemu)).toBe(true);
      // Not only the same output: the guest ends in the same state under the monitor.
      expect(j.differences).toEqual([]);
      expect(j.runs[1]!.stats.emulated).toBeGreaterThan(0);
    }, 180_000);
  }

  it("i386: with the reset GDT as the monitor's own, the kernel's IRET to ring 3 runs directly and the run diverges (IRET breaks the monitor)", () => {
    const k = kernels.find((x) => x.name === 'i386')!;
    const j = isavirt(k.spec, elfOf(k), ['--set', 'eax=0x2badb002']);
    const [bare, trap] = j.runs.map((r) => r.console.text);
    expect(bare).toBe(k.says.join(''));
    // The banner and the tables' line are printed in ring 0 before the IRET; after it the monitor
    // never saw the guest enter ring 3.
    expect(trap!.startsWith(k.says[0]! + k.says[1]!)).toBe(true);
    expect(trap).not.toBe(bare);
  }, 180_000);
});
