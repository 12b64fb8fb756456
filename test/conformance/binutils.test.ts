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
import { assemble, disassemble } from '../../src/asm/index.js';
import { getTables, type AsmForm, type AsmInstr, type OperandInfo } from '../../src/asm/tables.js';
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
  /** The instance's line as GNU writes it, where GNU's syntax differs from the spec's. */
  gnuLine?: (text: string) => string;
  /** Operand values GNU assembles to another, shorter form than isavirt does (drawn again). */
  gnuPrefersOther?: (a: AsmInstr, values: Map<string, bigint>) => boolean;
}

/** Each instance sits in its own slot, so that one wrong length cannot shift the rest. */
const SLOT = 16;

/** x86: 16-bit register names for the instructions GNU writes with them (`verr bx`). */
const REG16: Record<string, string> = { eax: 'ax', ecx: 'cx', edx: 'dx', ebx: 'bx', esp: 'sp', ebp: 'bp', esi: 'si', edi: 'di' };

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
  {
    spec: 'isas/armv7.isa',
    pkg: 'binutils-arm-none-eabi',
    as: ['arm-none-eabi-as', '-march=armv7-a'],
    ld: ['arm-none-eabi-ld'],
    objcopy: 'arm-none-eabi-objcopy',
    base: 0x8000,
    perInstruction: 40,
    gnuPrelude: ['.syntax unified', '.arm', '.text'],
    named: [],
    // GNU has no CPSID/CPSIE without a flag and no MSR with an empty field mask.
    gnuPrefersOther: (a, values) =>
      (/^CPSI[DE]$/.test(a.instr.mnemonic) && values.get('a') === 0n && values.get('i') === 0n && values.get('f') === 0n) ||
      (/^MSR_/.test(a.instr.mnemonic) && values.get('mask') === 0n),
    gnuLine: (text) =>
      text
        .replace(/\((.*)\)/, '{$1}')
        .replace(
          /^(cpsi[de]) (\d), (\d), (\d)$/,
          (_, m: string, a: string, i: string, f: string) => `${m} ${a === '1' ? 'a' : ''}${i === '1' ? 'i' : ''}${f === '1' ? 'f' : ''}`,
        )
        .replace(/_(0x[0-9a-f]+|\d+),/, (_, m: string) => {
          const v = Number(m);
          return `_${v & 8 ? 'f' : ''}${v & 4 ? 's' : ''}${v & 2 ? 'x' : ''}${v & 1 ? 'c' : ''},`;
        }),
  },
  {
    spec: 'isas/m68000.isa',
    pkg: 'binutils-m68k-linux-gnu',
    as: ['m68k-linux-gnu-as', '-m68000', '--register-prefix-optional'],
    ld: ['m68k-linux-gnu-ld', '-m', 'm68kelf'],
    objcopy: 'm68k-linux-gnu-objcopy',
    base: 0x8000,
    perInstruction: 40,
    gnuPrelude: ['.text'],
    named: [],
    // GNU as turns MOVE.L #k, Dn into MOVEQ when k fits in 8 signed bits; the spec's MOVE.L #k, Dn
    // is always the 6-byte form (a program writes MOVEQ for the short one).
    gnuPrefersOther: (a, values) => {
      const k = values.get('k') ?? 0n;
      return a.instr.mnemonic === 'MOVE_ID' && (k <= 0x7fn || k >= 0xffffff80n);
    },
    gnuLine: (text) =>
      text
        // A quick count of 8 is the field value 0 in the spec; GNU writes the count.
        .replace(/^(ADDQ\.L|SUBQ\.L|LSL\.L|LSR\.L) #0,/, '$1 #8,')
        // GNU has no LINEA/LINEF mnemonic: the word itself.
        .replace(/^LINE([AF]) (\d+)$/, (_, l: string, n: string) => `.short 0x${l === 'A' ? 'a' : 'f'}000 + ${n}`),
  },
  {
    spec: 'isas/x86-386.isa',
    pkg: 'binutils',
    as: ['as', '--32'],
    ld: ['ld', '-m', 'elf_i386'],
    objcopy: 'objcopy',
    base: 0x8000,
    perInstruction: 20,
    gnuPrelude: ['.intel_syntax noprefix', '.text'],
    named: [],
    // GNU as reads an imm32 of 0xffffff80..0xffffffff as a negative number and picks the 83 /n ib
    // or 6A ib form; isavirt's assembler reads it unsigned, which those forms cannot hold, so it
    // keeps the imm32 form (both are right: the same operation, GNU's two bytes shorter).
    gnuPrefersOther: (a, values) =>
      [...a.operands.values()].some((o) => o.op.kind === 'imm' && o.op.width === 32 && (values.get(o.op.name) ?? 0n) >= 0xffffff80n),
    gnuLine: (text) => {
      let t = text.replace(/^(JMP|CALL) FAR /, '$1 ');
      // The spec's [base+disp32] forms always carry a 32-bit displacement; GNU is told so.
      if (/\[\w+\+/.test(t)) t = `{disp32} ${t}`;
      if (/^(VERR|VERW|LLDT|LTR|LMSW) /.test(t)) t = t.replace(/\be(ax|cx|dx|bx|sp|bp|si|di)\b/, (r) => REG16[r]!);
      return t;
    },
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

interface Instance<F extends AsmForm = AsmInstr> {
  a: F;
  address: number;
  values: Map<string, bigint>;
  text: string;
  /** Operands written by name. */
  named: number;
}

/** An instance at `address`, written in the spec's syntax (which is GNU's): registers by name, a
 *  PC-relative operand as a target `base±n` so that both assemblers resolve it the same way. */
function instance<F extends AsmForm>(t: Target, isa: Isa, a: F, address: number, base: number, r: () => number, draw = randomIn): Instance<F> {
  const values = new Map<string, bigint>();
  const byName = new Map<string, string>();
  for (const o of a.operands.values()) {
    const names = t.named.includes(o.op.name) ? (isa.symbols ?? []) : [];
    // Half the named operands are one of the names, written as the name.
    const named = names.length > 0 && r() < 0.5 ? names[Math.floor(r() * names.length)] : undefined;
    values.set(o.op.name, named ? BigInt(named.value) : draw(r, o.min, o.max) & ~o.implied);
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
    } else text += v.toString(); // decimal: GNU reads `c13` in `mcr p15, 0, r0, c13, c0, 0`, not `c0xd`
  }
  return { a, address, values, text, named: byName.size };
}

/** The instruction isavirt's assembler makes of an instance's text, alone at its address. */
function claimedBy(isa: Isa, x: Instance, base: number): string | undefined {
  const src = `.org 0x${x.address.toString(16)}\n${x.address === base ? '' : `.equ base, 0x${base.toString(16)}\n`}${x.address === base ? 'base: ' : ''}${x.text}\n`;
  const r = assemble(isa, src, 'one.s');
  if (!r.ok) return undefined;
  const words = r.program.segments.flatMap((s) => s.words);
  return disassemble(isa, words, x.address)[0]?.instruction;
}

function loadSpec(path: string): Isa {
  const r = loadIsaFile(path);
  if (!r.ok)
    throw new Error(
      `${path}: ${r.diagnostics
        .slice(0, 3)
        .map((d) => d.message)
        .join('; ')}`,
    );
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
    if (m)
      out.set(
        parseInt(m[1]!, 16),
        m[2]!
          .trim()
          .split(' ')
          .map((b) => parseInt(b, 16)),
      );
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
    if (!r.ok) {
      const errors = r.err.split('\n').filter((l) => /error/i.test(l));
      throw new Error(`${cmd[0]} failed:\n${(errors.length ? errors.join('\n') : r.err).slice(0, 3000)}`);
    }
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
      let rerolled = 0;
      for (const a of tr.tables.instrs) {
        for (let i = 0, tries = 0; i < t.perInstruction && tries < 50 * t.perInstruction; tries++) {
          const x = instance(t, isa, a, at, t.base, r);
          // Where the machine has a shorter form for these values (x86 `ADD ebx, 5` is 83 /0 ib,
          // as GNU as assembles it), or a decode condition excludes them, the text is another
          // instruction's: draw again.
          if (claimedBy(isa, x, t.base) !== a.instr.mnemonic || t.gnuPrefersOther?.(a, x.values)) {
            rerolled++;
            continue;
          }
          instances.push(x);
          at += SLOT;
          i++;
        }
      }
      const at0 = (x: Instance) => x.address - t.base;
      const body = instances.flatMap((x, i) => [`.org 0x${x.address.toString(16)}`, ...(i === 0 ? ['base:'] : []), `  ${x.text}`]);
      const ours = isavirtBytes(t.spec, [...body, ''].join('\n'));
      // GNU's .org is an offset in the section, which is linked at base.
      const gnuBody = instances.flatMap((x, i) => [
        `.org 0x${at0(x).toString(16)}`,
        ...(i === 0 ? ['base:'] : []),
        `  ${t.gnuLine ? t.gnuLine(x.text) : x.text}`,
      ]);
      const gnu = gnuBytes(t, [...t.gnuPrelude, ...gnuBody, ''].join('\n'));

      const mismatches: string[] = [];
      for (const x of instances) {
        const mine = ours.get(x.address) ?? [];
        const theirs = [...gnu.slice(x.address - t.base, x.address - t.base + x.a.words)];
        if (hexBytes(mine) !== hexBytes(theirs)) mismatches.push(`${x.text}: isavirt ${hexBytes(mine)}, GNU as ${hexBytes(theirs)}`);
      }
      // GNU's bytes, read back by isavirt's disassembler, slot by slot.
      for (const x of instances) {
        const l = disassemble(isa, [...gnu.slice(at0(x), at0(x) + SLOT)].map(BigInt), x.address)[0];
        const want = { instruction: x.a.instr.mnemonic, operands: Object.fromEntries(x.values) };
        const got = { instruction: l?.instruction, operands: l?.operands };
        if (
          JSON.stringify(got, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) !==
          JSON.stringify(want, (_, v) => (typeof v === 'bigint' ? v.toString() : v))
        ) {
          mismatches.push(`${x.text}: GNU's bytes disassemble to ${l?.text ?? 'nothing'}`);
        }
      }
      const kinds = new Set(instances.map((x) => x.a.instr.mnemonic)).size;
      const named = instances.reduce((n, x) => n + x.named, 0);
      console.log(
        `binutils ${t.spec}: ${instances.length} instances of ${kinds} instructions (${named} operands written by name; ${rerolled} draws redrawn: values another form claims or GNU cannot write) compared with ${t.as.join(' ')} (seed ${seed}): ${mismatches.length} mismatches`,
      );
      expect(mismatches.slice(0, 20)).toEqual([]);
    });

    it.runIf(t.spec === 'isas/riscv.isa')('every pseudo-instruction: the same bytes as GNU as expands it to', () => {
      const why = ensureTools(t);
      if (why) throw new Error(why);
      const isa = loadSpec(t.spec);
      const tr = getTables(isa);
      if (!tr.ok) throw new Error(tr.message);
      const r = rng(0x5e0d0);
      const clamp = (v: bigint, lo: bigint, hi: bigint) => (v < lo ? lo : v > hi ? hi : v);
      // Targets within a MiB, where GNU's PC-relative relocations reach.
      const near = (rr: () => number, min: bigint, max: bigint) => randomIn(rr, clamp(min, -(1n << 20n), 0n), clamp(max, 0n, 1n << 20n));
      // Values that reach each expansion: li's 12 signed bits, a multiple of 4096, anything.
      const spread = (rr: () => number, min: bigint, max: bigint): bigint => {
        const p = rr();
        if (p < 0.3) return randomIn(rr, clamp(-2048n, min, max), clamp(2047n, min, max));
        if (p < 0.45) return randomIn(rr, min, max) & ~0xfffn;
        return randomIn(rr, min, max);
      };
      const instances: Instance<AsmForm>[] = [];
      let at = t.base;
      for (const a of tr.tables.pseudos) {
        const relative = [...a.operands.values()].some((o) => o.relative);
        for (let i = 0, tries = 0; i < t.perInstruction && tries < 50 * t.perInstruction; tries++) {
          const x = instance(t, isa, a, at, t.base, r, relative ? near : spread);
          const one = assemble(isa, `.org 0x${at.toString(16)}\n.equ base, 0x${t.base.toString(16)}\n${x.text}\n`, 'one.s');
          if (!one.ok) continue; // a value the expansion cannot hold (an odd branch target): GNU rejects it too
          instances.push(x);
          at += SLOT;
          i++;
        }
      }
      const body = instances.flatMap((x, i) => [`.org 0x${x.address.toString(16)}`, ...(i === 0 ? ['base:'] : []), `  ${x.text}`]);
      const ours = isavirtBytes(t.spec, [...body, ''].join('\n'));
      const gnuBody = instances.flatMap((x, i) => [`.org 0x${(x.address - t.base).toString(16)}`, ...(i === 0 ? ['base:'] : []), `  ${x.text}`]);
      const gnu = gnuBytes(t, [...t.gnuPrelude, ...gnuBody, ''].join('\n'));
      const mismatches: string[] = [];
      for (const x of instances) {
        // isavirt prints each instruction of the expansion on its own line.
        const mine: number[] = [];
        for (let a = x.address; a < x.address + SLOT; a++) mine.push(...(ours.get(a) ?? []));
        const off = x.address - t.base;
        const theirs = [...gnu.slice(off, off + SLOT)];
        if (mine.length === 0 || hexBytes(mine) !== hexBytes(theirs.slice(0, mine.length)) || theirs.slice(mine.length).some((b) => b !== 0)) {
          mismatches.push(`${x.text}: isavirt ${hexBytes(mine)}, GNU as ${hexBytes(theirs)}`);
        }
      }
      const kinds = new Set(instances.map((x) => x.a.keyText)).size;
      console.log(
        `binutils ${t.spec}: ${instances.length} instances of ${kinds} pseudo-instructions compared with ${t.as.join(' ')}: ${mismatches.length} mismatches`,
      );
      expect(kinds).toBe(tr.tables.pseudos.length);
      expect(mismatches.slice(0, 20)).toEqual([]);
    });
  });
}
