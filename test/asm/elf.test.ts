// ELF32 loading (src/asm/elf.ts): program headers only, each segment placed where the spec's fetch
// space names its physical address at reset, zeros after the file bytes, the entry as the pc; and
// every malformed or unsuitable file refused with one diagnostic (the CLI: exit 2, no stack).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isElf, loadElf, programImage } from '../../src/asm/index.js';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { root } from '../exec/helpers.js';

function spec(name: string): Isa {
  const r = loadIsaFile(`${root}isas/${name}.isa`);
  if (!r.ok) throw new Error(`${name}.isa does not load`);
  return r.isa;
}

interface Seg {
  paddr: number;
  bytes: number[];
  memsz?: number;
  type?: number;
}

/** An ELF32 executable with these segments (the fields the loader reads; the rest zero). */
function elf(segs: Seg[], o: { entry?: number; cls?: number; data?: number; type?: number } = {}): Uint8Array {
  const little = (o.data ?? 1) === 1;
  const phoff = 52,
    ph = 32;
  let off = phoff + ph * segs.length;
  const buf = new Uint8Array(off + segs.reduce((n, s) => n + s.bytes.length, 0));
  const dv = new DataView(buf.buffer);
  buf.set([0x7f, 0x45, 0x4c, 0x46, o.cls ?? 1, o.data ?? 1, 1]);
  dv.setUint16(16, o.type ?? 2, little);
  dv.setUint32(24, o.entry ?? 0, little);
  dv.setUint32(28, phoff, little);
  dv.setUint16(42, ph, little);
  dv.setUint16(44, segs.length, little);
  segs.forEach((s, k) => {
    const h = phoff + k * ph;
    dv.setUint32(h, s.type ?? 1, little);
    dv.setUint32(h + 4, off, little);
    dv.setUint32(h + 8, s.paddr, little);
    dv.setUint32(h + 12, s.paddr, little);
    dv.setUint32(h + 16, s.bytes.length, little);
    dv.setUint32(h + 20, s.memsz ?? s.bytes.length, little);
    buf.set(s.bytes, off);
    off += s.bytes.length;
  });
  return buf;
}

describe('loadElf', () => {
  const riscv = spec('riscv');

  it('places each segment through the reset translation, fills to p_memsz with zeros, and takes e_entry as the pc', () => {
    const file = elf(
      [
        { paddr: 0x80000000, bytes: [0x13, 0, 0, 0] },
        { paddr: 0x80001000, bytes: [1, 2], memsz: 4 },
      ],
      { entry: 0x80000000 },
    );
    expect(isElf(file)).toBe(true);
    const r = loadElf(riscv, file, 'k.elf');
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    expect(r.program.entry).toBe(0x80000000);
    // riscv.isa takes physical addresses modulo its 1 MiB: 0x80000000 is ram word 0.
    const words = programImage(riscv, r.program).words;
    expect([...words.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 0x13n],
      [1, 0n],
      [2, 0n],
      [3, 0n],
      [0x1000, 1n],
      [0x1001, 2n],
      [0x1002, 0n],
      [0x1003, 0n],
    ]);
    expect(r.program.segments.map((s) => [s.address, s.words.length])).toEqual([
      [0, 4],
      [0x1000, 4],
    ]);
  });

  it('goes through the x86 code segment at reset (flat, linear addresses wrap at 1 MiB)', () => {
    const r = loadElf(spec('x86-386'), elf([{ paddr: 0x100000, bytes: [0xf4] }], { entry: 0x100000 }), 'k.elf');
    if (!r.ok) throw new Error(r.diagnostics[0]!.message);
    expect(r.program.segments).toEqual([{ address: 0, words: [0xf4n], section: 'kernel' }]);
  });

  const refused: [string, Uint8Array, Isa, RegExp][] = [
    ['not ELF', new TextEncoder().encode('addi a0, a0, 1\n'), riscv, /ELF magic/],
    ['64-bit', elf([{ paddr: 0, bytes: [0] }], { cls: 2 }), riscv, /64-bit ELF file/],
    ['big-endian for a little-endian spec', elf([{ paddr: 0, bytes: [0] }], { data: 2 }), riscv, /big-endian and riscv is little-endian/],
    ['an object file', elf([{ paddr: 0, bytes: [0] }], { type: 1 }), riscv, /not an executable/],
    ['no PT_LOAD', elf([{ paddr: 0, bytes: [0], type: 4 }]), riscv, /no loadable segment/],
    ['more bytes than the memory', elf([{ paddr: 0, bytes: [0], memsz: 2 ** 21 }]), riscv, /hold 2097152 bytes, more than 1048576/],
    ['more file than memory bytes', elf([{ paddr: 0, bytes: [0, 0], memsz: 1 }]), riscv, /more file bytes/],
    ['truncated', elf([{ paddr: 0, bytes: [1, 2, 3] }]).slice(0, 60), riscv, /program headers lie outside the file/],
  ];
  for (const [what, bytes, isa, message] of refused) {
    it(`refuses ${what} with one ISA6020`, () => {
      const r = loadElf(isa, bytes, 'k.elf');
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.diagnostics.map((d) => d.code)).toEqual(['ISA6020']);
      expect(r.diagnostics[0]!.message).toMatch(message);
      expect(r.diagnostics[0]!.file).toBe('k.elf');
    });
  }
});

describe('isavirt run with an ELF file', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'isavirt-elf-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const run = (args: string[]) =>
    spawnSync(process.execPath, [path.join(root, 'dist/cli/main.js'), 'run', ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('runs a linked program and prints its console output (text and JSON)', () => {
    // li a1, 0x68 ('h'); lui a2, 0x10000; sb a1, 0(a2); wfi: hand-assembled RV32I words.
    const code = [0x06800593, 0x10000637, 0x00b60023, 0x10500073].flatMap((w) => [w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, w >>> 24]);
    const file = path.join(tmp, 'h.elf');
    writeFileSync(file, elf([{ paddr: 0x80000000, bytes: code }], { entry: 0x80000000 }));
    const t = run(['isas/riscv.isa', file, '--monitor', 'trap']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toContain('console (1 byte):\n    | h\n');
    const j = run(['isas/riscv.isa', file, '--format', 'json', '--compare']);
    const out = JSON.parse(j.stdout) as { runs: { console: { bytes: number; text: string } }[] };
    expect(out.runs.map((r) => r.console)).toEqual([
      { bytes: 1, text: 'h' },
      { bytes: 1, text: 'h' },
    ]);
  });

  it('--set seeds a register; a bad one is exit 2', () => {
    const file = path.join(tmp, 'w.elf');
    writeFileSync(file, elf([{ paddr: 0x80000000, bytes: [0x73, 0x00, 0x50, 0x10] }], { entry: 0x80000000 }));
    const j = run(['isas/riscv.isa', file, '--format', 'json', '--set', 'a0=0x2a', '--set', 'x[11]=7', '--set', 'mstatus.MPP=1']);
    expect(j.status, j.stderr).toBe(0);
    const final = (JSON.parse(j.stdout) as { runs: { final: { files: Record<string, string[]>; fields: Record<string, string> } }[] }).runs[0]!.final;
    expect([final.files.x![10], final.files.x![11], final.fields['mstatus.MPP']]).toEqual(['0x2a', '0x7', '0x1']);
    const bad = run(['isas/riscv.isa', file, '--set', 'q9=1']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(['error: --set q9=1: q9 is not a register of riscv']);
  });

  it('a file it cannot load is one diagnostic and exit 2', () => {
    const file = path.join(tmp, 'bad.elf');
    writeFileSync(file, elf([{ paddr: 0, bytes: [0] }], { cls: 2 }));
    const r = run(['isas/riscv.isa', file]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      `${file}: error ISA6020: cannot load this ELF file: it is a 64-bit ELF file (ELFCLASS64)`,
      'hint: link it as ELF32, e.g. ld -m elf32lriscv or ld -m elf_i386',
    ]);
  });
});
