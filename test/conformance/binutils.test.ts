// The specs' encodings against GNU binutils, the oracle: random instances of every instruction of
// a spec are assembled by `isavirt asm` and by GNU `as` (then linked at the same address, so
// PC-relative targets are resolved the same way), and the bytes must be identical; GNU's bytes are
// then disassembled by isavirt and must give back each instance's instruction and operands.
//
// The GNU tools come from Debian packages; a missing one is installed (apt-get update, then
// install), and if that fails the test fails with one line naming the package, never passing
// silently.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { disassemble } from '../../src/asm/index.js';
import { getTables, type AsmInstr, type OperandInfo } from '../../src/asm/tables.js';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';

const CLI = 'dist/cli/main.js';
const work = mkdtempSync(join(tmpdir(), 'isavirt-binutils-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Target {
  spec: string;
  /** Debian package with the tools. */
  pkg: string;
  as: string[];
  ld: string[];
  objcopy: string;
  /** Where the program is linked (and `.org`ed for isavirt). */
  base: number;
  /** Instances per instruction. */
  perInstruction: number;
  /** GNU-only lines before the program (isavirt's syntax has no section directives). */
  gnuPrelude: string[];
  /** Operands that may be written by one of the spec's `names` (RISC-V CSRs), as GNU knows them. */
  named: string[];
}

const TARGETS: Target[] = [
  {
    spec: 'isas/riscv.isa',
    pkg: 'binutils-riscv64-unknown-elf',
    // No C extension (so nothing is compressed) and no linker relaxation (so nothing moves).
    as: ['riscv64-unknown-elf-as', '-march=rv32i_zicsr', '-mabi=ilp32', '-mno-relax'],
    ld: ['riscv64-unknown-elf-ld', '-m', 'elf32lriscv', '--no-relax'],
    objcopy: 'riscv64-unknown-elf-objcopy',
    base: 0x80000,
    perInstruction: 40,
    gnuPrelude: ['.text'],
    named: ['csr'],
  },
];

function run(cmd: string[], input?: string): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', input, maxBuffer: 64 << 20, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: !r.error && r.status === 0, out: r.stdout ?? '', err: r.error ? r.error.message : (r.stderr ?? '') };
}

const have = (tool: string) => run(['sh', '-c', `command -v ${tool}`]).ok;

/** undefined when the tools are there (installing them if need be), else the one-line reason. */
function ensureTools(t: Target): string | undefined {
  const tools = [t.as[0]!, t.ld[0]!, t.objcopy];
  if (tools.every(have)) return undefined;
  if (run(['apt-get', 'update']).ok) run(['apt-get', 'install', '-y', '--no-install-recommends', t.pkg]);
  const missing = tools.filter((x) => !have(x));
  return missing.length ? `Debian package ${t.pkg} is not installed (${missing.join(', ')} not found; apt-get install ${t.pkg})` : undefined;
}

/** A small seeded generator (mulberry32), so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

function randomIn(r: () => number, min: bigint, max: bigint): bigint {
  // The ends and zero are where encodings go wrong; otherwise uniform.
  const p = r();
  if (p < 0.08) return min;
  if (p < 0.16) return max;
  if (p < 0.2 && min <= 0n && max >= 0n) return 0n;
  const span = max - min + 1n;
  let v = 0n;
  for (let i = 0; i < 4; i++) v = (v << 16n) | BigInt(Math.floor(r() * 65536));
  return min + (v % span);
}

interface Instance {
  a: AsmInstr;
  address: number;
  values: Map<string, bigint>;
  text: string;
  /** Operands written by name. */
  named: number;
}

/** An instance at `address`, written in the spec's syntax (which is GNU's): registers by name, a
 *  PC-relative operand as a target `base±n` so that both assemblers resolve it the same way. */
function instance(t: Target, isa: Isa, a: AsmInstr, address: number, base: number, r: () => number): Instance {
  const values = new Map<string, bigint>();
  const byName = new Map<string, string>();
  for (const o of a.operands.values()) {
    const names = t.named.includes(o.op.name) ? (isa.symbols ?? []) : [];
    // Half the named operands are one of the names, written as the name.
    const named = names.length > 0 && r() < 0.5 ? names[Math.floor(r() * names.length)] : undefined;
    values.set(o.op.name, named ? BigInt(named.value) : randomIn(r, o.min, o.max) & ~o.implied);
    if (named) byName.set(o.op.name, named.name);
  }
  let text = '';
  for (const p of a.parts) {
    if (p.k === 'text') {
      text += p.text;
      continue;
    }
    const o: OperandInfo = a.operands.get(p.name)!;
    const v = values.get(p.name)!;
    if (o.op.kind === 'reg') text += o.file!.names[Number(v)] ?? `${o.file!.name}${v}`;
    else if (byName.has(p.name)) text += byName.get(p.name);
    else if (o.relative) {
      const n = BigInt(address - base + (o.relative.base === 'next_pc' ? a.words : 0) + o.relative.addend) + v;
      text += n < 0n ? `base-${-n}` : `base+${n}`;
    } else text += v < 0n ? `-${-v}` : v > 9n ? `0x${v.toString(16)}` : v.toString();
  }
  return { a, address, values, text, named: byName.size };
}

function loadSpec(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok) throw new Error(`${path}: ${r.diagnostics.slice(0, 3).map((d) => d.message).join('; ')}`);
  return r.isa;
}

/** `isavirt asm` prints `address: b0 b1 ... text` per line; the bytes by address. */
function isavirtBytes(spec: string, program: string): Map<number, number[]> {
  const file = join(work, `isavirt-${Math.random().toString(36).slice(2)}.s`);
  writeFileSync(file, program);
  const r = run(['node', CLI, 'asm', spec, file]);
  if (!r.ok) throw new Error(`isavirt asm failed:\n${r.err.slice(0, 2000)}`);
  const out = new Map<number, number[]>();
  for (const line of r.out.split('\n')) {
    const m = /^([0-9a-f]+): ((?:[0-9a-f]{2} )+)/.exec(line);
    if (m) out.set(parseInt(m[1]!, 16), m[2]!.trim().split(' ').map((b) => parseInt(b, 16)));
  }
  return out;
}

function gnuBytes(t: Target, program: string): Uint8Array {
  const s = join(work, 'gnu.s');
  const o = join(work, 'gnu.o');
  const elf = join(work, 'gnu.elf');
  const bin = join(work, 'gnu.bin');
  writeFileSync(s, program);
  for (const cmd of [
    [...t.as, '-o', o, s],
    [...t.ld, `-Ttext=0x${t.base.toString(16)}`, '-e', 'base', '-o', elf, o],
    [t.objcopy, '-O', 'binary', '-j', '.text', elf, bin],
  ]) {
    const r = run(cmd);
    if (!r.ok) throw new Error(`${cmd[0]} failed:\n${r.err.slice(0, 3000)}`);
  }
  return new Uint8Array(readFileSync(bin));
}

const hexBytes = (b: readonly number[]) => b.map((x) => x.toString(16).padStart(2, '0')).join(' ');

for (const t of TARGETS) {
  describe(`${t.spec} against GNU binutils (${t.pkg})`, () => {
    it('every instruction: the same bytes as GNU as, and GNU bytes disassemble to the same instance', () => {
      const why = ensureTools(t);
      if (why) throw new Error(why);
      const isa = loadSpec(t.spec);
      const tr = getTables(isa);
      if (!tr.ok) throw new Error(tr.message);
      const seed = 0x15a;
      const r = rng(seed);
      const instances: Instance[] = [];
      let at = t.base;
      for (const a of tr.tables.instrs) {
        for (let i = 0; i < t.perInstruction; i++) {
          instances.push(instance(t, isa, a, at, t.base, r));
          at += a.words;
        }
      }
      const body = ['base:', ...instances.map((x) => `  ${x.text}`)];
      const ours = isavirtBytes(t.spec, [`.org 0x${t.base.toString(16)}`, ...body, ''].join('\n'));
      const gnu = gnuBytes(t, [...t.gnuPrelude, ...body, ''].join('\n'));

      const mismatches: string[] = [];
      for (const x of instances) {
        const mine = ours.get(x.address) ?? [];
        const theirs = [...gnu.slice(x.address - t.base, x.address - t.base + x.a.words)];
        if (hexBytes(mine) !== hexBytes(theirs)) mismatches.push(`${x.text}: isavirt ${hexBytes(mine)}, GNU as ${hexBytes(theirs)}`);
      }
      // GNU's bytes, read back by isavirt's disassembler.
      const lines = disassemble(isa, [...gnu].map(BigInt), t.base);
      const byAddr = new Map(lines.map((l) => [l.address, l]));
      for (const x of instances) {
        const l = byAddr.get(x.address);
        const want = { instruction: x.a.instr.mnemonic, operands: Object.fromEntries(x.values) };
        const got = { instruction: l?.instruction, operands: l?.operands };
        if (JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(want, (_, v) => (typeof v === 'bigint' ? v.toString() : v))) {
          mismatches.push(`${x.text}: GNU's bytes disassemble to ${l?.text ?? 'nothing'}`);
        }
      }
      const kinds = new Set(instances.map((x) => x.a.instr.mnemonic)).size;
      const named = instances.reduce((n, x) => n + x.named, 0);
      console.log(
        `binutils ${t.spec}: ${instances.length} instances of ${kinds} instructions (${named} operands written by name) compared with ${t.as[0]} (seed ${seed}): ${mismatches.length} mismatches`,
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
    });
  });
}
