// The disassembler generated from a spec: mask/match picks the instruction (the shortest encoding
// that matches, then declaration order, as the machine's decoder does), the syntax prints it.

import { excluded, type Isa } from '../ir/index.js';
import type { Program } from './assemble.js';
import { aliasOf, combineInstrWords, decodeFields, getTables, registerName, type AsmForm, type AsmInstr, type AsmTables, type OperandInfo } from './tables.js';

export interface DisasmLine {
  address: number;
  /** Words the line covers (1 for an unknown word). */
  length: number;
  /** The instruction's name in the spec, or undefined for a word that decodes to none. */
  instruction?: string;
  /** Operand values by name: register indices, immediates, addresses; simm negative if so. */
  operands: Record<string, bigint>;
  /** The line in assembly syntax, e.g. `LOAD r1, [0x20]`, or `.word 0x...`. */
  text: string;
  words: bigint[];
}

export interface DisasmOptions {
  /** Print an instruction as the spec's pseudo-instruction that stands for exactly it, as GNU
   *  objdump does by default (`li a0, 5` for `addi a0, zero, 5`); `instruction` and `operands`
   *  stay the real instruction's. */
  aliases?: boolean;
}

/**
 * Disassemble consecutive words starting at `address`. Words that decode to no instruction (or an
 * instruction that runs past the end of `words`) are shown as `.word 0x...`. `symbols`, if given,
 * names addresses in addr operands (`JMP loop`).
 */
export function disassemble(isa: Isa, words: readonly bigint[], address = 0, symbols?: Record<string, number>, opts: DisasmOptions = {}): DisasmLine[] {
  const tr = getTables(isa);
  const out: DisasmLine[] = [];
  const ww = tr.ok ? tr.tables.mem.wordWidth : 64;
  const byAddr = new Map<number, string>();
  if (symbols) for (const [k, v] of Object.entries(symbols)) if (!byAddr.has(v)) byAddr.set(v, k);
  let i = 0;
  while (i < words.length) {
    const at = address + i;
    const d = tr.ok ? decodeAt(tr.tables, words, i) : undefined;
    if (!d) {
      const w = words[i]!;
      out.push({ address: at, length: 1, operands: {}, text: `.word 0x${w.toString(16).padStart(Math.ceil(ww / 4), '0')}`, words: [w] });
      i++;
      continue;
    }
    const operands: Record<string, bigint> = {};
    for (const [k, v] of d.values) operands[k] = v;
    const alias = opts.aliases && tr.ok ? aliasOf(tr.tables, d.a, d.values) : undefined;
    out.push({
      address: at,
      length: d.a.words,
      instruction: d.a.instr.mnemonic,
      operands,
      text: alias
        ? formatInstr(alias.p, alias.values, byAddr, at, tr.ok ? tr.tables.pcWidth : undefined)
        : formatInstr(d.a, d.values, byAddr, at, tr.ok ? tr.tables.pcWidth : undefined),
      words: words.slice(i, i + d.a.words),
    });
    i += d.a.words;
  }
  return out;
}

/** Disassemble every segment of an assembled program, naming labels. */
export function disassembleProgram(isa: Isa, program: Program, opts: DisasmOptions = {}): DisasmLine[] {
  return program.segments.flatMap((s) => disassemble(isa, s.words, s.address, program.labels, opts));
}

/** The instruction at words[i], if one matches. */
export function decodeAt(t: AsmTables, words: readonly bigint[], i: number): { a: AsmInstr; values: Map<string, bigint> } | undefined {
  const ww = t.mem.wordWidth;
  let best: AsmInstr | undefined;
  for (const a of t.instrs) {
    if (i + a.words > words.length) continue;
    if (best && a.words >= best.words) continue;
    const bits = combineInstrWords(words.slice(i, i + a.words), ww) >> BigInt(a.words * ww - a.instr.encoding.width);
    if ((bits & a.mask) === a.match && !excluded(a.instr.encoding, bits)) best = a;
  }
  if (!best) return undefined;
  const bits = combineInstrWords(words.slice(i, i + best.words), ww) >> BigInt(best.words * ww - best.instr.encoding.width);
  return { a: best, values: decodeFields(best, bits) };
}

/** The address a PC-relative operand reaches from an instruction at `address`. */
export function relativeTarget(a: AsmForm, o: OperandInfo, value: bigint, address: number, pcWidth?: number): bigint {
  const r = o.relative!;
  const t = BigInt(address + (r.base === 'next_pc' ? a.words : 0) + r.addend) + value;
  return pcWidth ? BigInt.asUintN(pcWidth, t) : t;
}

/** Print an instruction with its syntax: registers by name, simm signed, imm/addr above 9 in hex;
 *  a PC-relative operand as its target address (or label), as GNU objdump does. */
export function formatInstr(a: AsmForm, values: Map<string, bigint>, labels?: Map<number, string>, address = 0, pcWidth?: number): string {
  let s = '';
  for (const p of a.parts) {
    if (p.k === 'text') {
      s += p.text;
      continue;
    }
    const o = a.operands.get(p.name);
    const v = values.get(p.name) ?? 0n;
    if (!o) continue;
    if (o.relative) {
      const t = relativeTarget(a, o, v, address, pcWidth);
      s += labels?.get(Number(t)) ?? '0x' + t.toString(16);
    } else if (o.op.kind === 'reg' && o.file) s += registerName(o.file, Number(v));
    else if (o.op.kind === 'simm') s += v.toString();
    else if (o.op.kind === 'addr' && labels?.has(Number(v))) s += labels.get(Number(v));
    else s += v > 9n ? '0x' + v.toString(16) : v.toString();
  }
  return s;
}
