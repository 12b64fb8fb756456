// Guest patching (what binary translation and paravirtualization do): before the run, every
// instruction of the guest kernel that the analysis found sensitive but not privileged is replaced
// by a word that traps, and a side table remembers the original. When the patched word traps, the
// monitor emulates the original instruction against the virtual state.

import type { IsaAnalysis } from '../analysis/index.js';
import { insertOperands, type Isa } from '../ir/index.js';
import { type DisasmLine, type Program, disassemble, fetchMemory } from '../asm/index.js';
import { decodeOperands } from '../exec/index.js';
import { isaIndex } from '../ir/index.js';

export interface PatchSite {
  /** Address of the instruction (in the fetch space, as assembled). */
  address: number;
  mnemonic: string;
  operands: Record<string, bigint>;
  /** Words the instruction takes. */
  length: number;
  /** The original words and the words written in their place. */
  original: bigint[];
  patched: bigint[];
}

export interface PatchResult {
  program: Program;
  sites: PatchSite[];
  /** How the patches trap: an undefined opcode (the spec's illegal trap) or a privileged instruction. */
  via: 'illegal' | 'privileged' | 'none';
  /** Offending instructions that could not be patched, in words. */
  problems: string[];
}

const maskB = (w: number): bigint => (1n << BigInt(w)) - 1n;

/** A first word that no instruction's fixed bits accept: any instruction starting with it is
 *  undefined (an encoding that does not match in its first word matches at no length). */
export function undefinedWord(isa: Isa): bigint | undefined {
  const ww = fetchMemory(isa)?.wordWidth;
  if (!ww) return undefined;
  const wm = maskB(ww);
  const firsts = isa.instructions.map((i) => {
    const shift = BigInt(Math.max(0, i.encoding.width - ww));
    return { m: (BigInt(i.encoding.mask) >> shift) & wm, v: (BigInt(i.encoding.match) >> shift) & wm };
  });
  const fits = (w: bigint) => firsts.every((f) => (w & f.m) !== f.v);
  // All ones and all zeros first (the usual undefined patterns), then counting up.
  const tries: bigint[] = [wm, 0n];
  const limit = ww >= 16 ? 1n << 16n : 1n << BigInt(ww);
  for (let w = 1n; w < limit; w++) tries.push(w);
  return tries.find(fits);
}

/** The words of an instruction from its bits (first-fetched word most significant). */
function splitWords(bits: bigint, words: number, ww: number): bigint[] {
  const out: bigint[] = [];
  for (let i = words - 1; i >= 0; i--) out.push((bits >> BigInt(i * ww)) & maskB(ww));
  return out;
}

type Segment = Program['segments'][number];

/**
 * The instructions of a segment. With the assembler's listing, only statements that decode to an
 * instruction of exactly their own length: a data statement (an IDT image, a descriptor) is never
 * patched, though some of its bytes may look like an offending opcode. Without a listing, a linear
 * sweep decodes every word (and may patch data that looks like code, as any static patcher may).
 */
function codeLines(isa: Isa, program: Program, seg: Segment): DisasmLine[] {
  const end = seg.address + seg.words.length;
  const starts = program.lines.filter((l) => l.address >= seg.address && l.address + l.length <= end);
  if (starts.length === 0) return disassemble(isa, seg.words, seg.address);
  const out: DisasmLine[] = [];
  for (const l of starts) {
    const at = l.address - seg.address;
    const d = disassemble(isa, seg.words.slice(at, at + l.length), l.address)[0];
    if (d?.instruction && d.length === l.length) out.push(d);
  }
  return out;
}

/**
 * Patch the kernel sections of `program`: each instruction named in `offenders` (sensitive, not
 * privileged) becomes a trapping word. `privileged` names instructions that always trap in the
 * guest mode, used when the spec has no illegal-instruction trap.
 */
/** A privileged instance to patch with: an instruction, and the operand values of an instance of
 *  it that traps in the guest mode (an opcode whose instances split is privileged only for some). */
export interface PrivilegedInstance {
  mnemonic: string;
  operands: Record<string, bigint>;
}

export function patchProgram(
  isa: Isa,
  program: Program,
  offenders: readonly string[],
  privilegedIn: readonly (string | PrivilegedInstance)[] = [],
): PatchResult {
  const privileged = privilegedIn.map((p) => (typeof p === 'string' ? { mnemonic: p, operands: {} } : p));
  const mem = fetchMemory(isa);
  const ww = mem?.wordWidth ?? 32;
  const hasIllegal = isa.traps.some((t) => t.kind === 'illegal');
  const undef = hasIllegal ? undefinedWord(isa) : undefined;
  const off = new Set(offenders);
  const sites: PatchSite[] = [];
  const problems: string[] = [];
  let via: PatchResult['via'] = 'none';
  const segments = program.segments.map((seg) => {
    if (seg.section !== 'kernel') return seg;
    const words = seg.words.slice();
    for (const line of codeLines(isa, program, seg)) {
      if (!line.instruction || !off.has(line.instruction)) continue;
      const instr = isaIndex(isa).instructions.get(line.instruction)!;
      const bitsAll = line.words.reduce((v, w) => (v << BigInt(ww)) | w, 0n);
      const bits = bitsAll >> BigInt(line.length * ww - instr.encoding.width);
      const operands = decodeOperands(instr, bits);
      let patched: bigint[] | undefined;
      if (undef !== undefined) {
        patched = [undef, ...line.words.slice(1)];
        via = 'illegal';
      } else {
        // A privileged instance of the same length (operand fields zero unless the instance names them).
        const pi = privileged.find((x) => {
          const i = isaIndex(isa).instructions.get(x.mnemonic);
          return i !== undefined && Math.ceil(i.encoding.width / ww) === line.length;
        });
        const p = pi && isaIndex(isa).instructions.get(pi.mnemonic);
        if (p && pi) {
          const word = insertOperands(p.encoding, new Map(Object.entries(pi.operands)));
          patched = splitWords(word << BigInt(line.length * ww - p.encoding.width), line.length, ww);
          via = 'privileged';
        }
      }
      if (!patched) {
        problems.push(
          `${instr.mnemonic} at 0x${line.address.toString(16)}: the spec has no undefined opcode pattern and no privileged instruction of ${line.length} word(s) to patch it with`,
        );
        continue;
      }
      const at = line.address - seg.address;
      patched.forEach((w, i) => (words[at + i] = w));
      sites.push({ address: line.address, mnemonic: instr.mnemonic, operands, length: line.length, original: line.words.slice(), patched });
    }
    return { ...seg, words };
  });
  return { program: { ...program, segments }, sites, via, problems };
}

/** The instances an analysis proves privileged, for patching: whole privileged instructions, and
 *  one instance of each privileged class of an instruction whose instances split. */
export function privilegedInstances(a: IsaAnalysis): (string | PrivilegedInstance)[] {
  return a.instructions.flatMap((c): (string | PrivilegedInstance)[] => {
    if (c.privileged.value === 'yes') return [c.mnemonic];
    if (c.privileged.value !== 'conditional') return [];
    return c.instances
      .filter((i) => i.privileged === 'yes' && i.sample)
      .map((i) => ({ mnemonic: c.mnemonic, operands: Object.fromEntries(Object.entries(i.sample!).map(([k, v]) => [k, BigInt(v)])) }));
  });
}
