// What the assembler and disassembler need from a spec, indexed once per Isa: the fetch memory, each
// instruction's syntax as tokens, operand ranges and field layout, register names.

import {
  coveredBits,
  extractOperands,
  fieldRuns,
  insertOperands,
  type Encoding,
  type Expansion,
  type Expr,
  type Instruction,
  type Isa,
  type Operand,
  type Pseudo,
  type RegisterFile,
  type Relative,
  type SyntaxPart,
  derived,
  derivedKey,
} from '../ir/index.js';
import { evalExpr, zeroState } from '../exec/index.js';
import { lexLine, type Tok } from './lex.js';
import { isaIndex } from '../ir/index.js';

export interface FetchMemory {
  /** The memory instructions live in (the fetch space, or the memory under the fetch view). */
  name: string;
  wordWidth: number;
  size: number;
}

export interface OperandInfo {
  op: Operand;
  /** Bits the encoding gives the operand (sum of its fields); 0 if not encoded. */
  fieldBits: number;
  /** Width of the values that fit: the operand's width, or less when its top bits are in no field. */
  bits: number;
  /** Bits below `bits` that no field holds: a value must have them zero (a branch offset's bit 0). */
  implied: bigint;
  /** PC-relative (from the syntax hole): the program writes the target address. */
  relative?: Relative;
  /** Inclusive value range (reg: register indices). */
  min: bigint;
  max: bigint;
  file?: RegisterFile;
}

export type SyntaxItem = { k: 'lit'; tok: Tok } | { k: 'hole'; operand: OperandInfo };

/** What instructions and pseudo-instructions share: how a program writes them. */
interface AsmSyntax {
  /** Syntax parts actually used (the spec's, or `MNEMONIC {a}, {b}` when it gives none). */
  parts: SyntaxPart[];
  items: SyntaxItem[];
  /** Lower-cased first word of the syntax: the mnemonic programs write. */
  key: string;
  /** The mnemonic as the syntax writes it. */
  keyText: string;
  operands: Map<string, OperandInfo>;
  /** Words of the fetch memory it occupies (a pseudo-instruction: its first expansion's, the room
   *  it keeps when its operands are wrong). */
  words: number;
}

export interface AsmInstr extends AsmSyntax {
  instr: Instruction;
  mask: bigint;
  match: bigint;
}

/** A pseudo-instruction as the assembler reads it: syntax and operands like an instruction's (its
 *  operands have no fields: every value of the operand's width fits), and its expansions. */
export interface AsmPseudo extends AsmSyntax {
  pseudo: Pseudo;
}

/** What a statement's mnemonic may name. */
export type AsmForm = AsmInstr | AsmPseudo;

export function isPseudo(a: AsmForm): a is AsmPseudo {
  return 'pseudo' in a;
}

export interface RegName {
  file: string;
  index: number;
}

export interface AsmTables {
  isa: Isa;
  mem: FetchMemory;
  instrs: AsmInstr[];
  /** The spec's pseudo-instructions (never decoded: the disassembler shows real instructions). */
  pseudos: AsmPseudo[];
  /** By lower-cased mnemonic: instructions first, then pseudo-instructions, each in spec order. */
  byKey: Map<string, AsmForm[]>;
  /** Instructions by their name in the spec (what an expansion names). */
  byName: Map<string, AsmInstr>;
  /** Lower-cased register name -> registers it names (a name may be declared by several files). */
  regs: Map<string, RegName[]>;
  hashIsPunct: boolean;
  /** Width of the pc: PC-relative targets are computed modulo 2^pcWidth, as the machine does. */
  pcWidth: number;
  /** The spec's `names`: values a program may write by name (a program's own symbols win). */
  names: Map<string, bigint>;
}

export type TablesResult = { ok: true; tables: AsmTables } | { ok: false; message: string };

const TABLES = derivedKey<TablesResult>('assembler tables');

export function mask(width: number): bigint {
  return (1n << BigInt(width)) - 1n;
}

export function fetchMemory(isa: Isa): FetchMemory | undefined {
  const space = isa.fetch?.space;
  const view = isaIndex(isa).views.get(space);
  const m = isaIndex(isa).memories.get(view ? view.memory : space);
  return m ? { name: m.name, wordWidth: m.wordWidth, size: m.size } : undefined;
}

/** `MNEMONIC {a}, {b}`: the syntax of an instruction whose spec gives none. */
export function defaultSyntax(instr: Pick<Instruction, 'mnemonic' | 'operands'>): SyntaxPart[] {
  const parts: SyntaxPart[] = [{ k: 'text', text: instr.operands.length ? `${instr.mnemonic} ` : instr.mnemonic }];
  instr.operands.forEach((o, i) => {
    if (i > 0) parts.push({ k: 'text', text: ', ' });
    parts.push({ k: 'operand', name: o.name });
  });
  return parts;
}

/** The name a register is written with: the file's `names`, else file name and index. */
export function registerName(file: RegisterFile, index: number): string {
  return file.names[index] ?? `${file.name}${index}`;
}

export function getTables(isa: Isa): TablesResult {
  return derived(isa, TABLES, () => buildTables(isa));
}

function buildTables(isa: Isa): TablesResult {
  const mem = fetchMemory(isa);
  if (!mem) return { ok: false, message: `the spec's fetch space '${isa.fetch?.space}' is not a memory or a view of one` };
  if (!(mem.wordWidth >= 1 && mem.wordWidth <= 64)) return { ok: false, message: `memory ${mem.name} has word width ${mem.wordWidth}` };
  const hashIsPunct = isa.instructions.some((i) => i.syntax.some((p) => p.k === 'text' && p.text.includes('#')));
  const files = new Map(isa.files.map((f) => [f.name, f]));
  const regs = new Map<string, RegName[]>();
  const addReg = (name: string, file: string, index: number) => {
    const key = name.toLowerCase();
    const list = regs.get(key) ?? [];
    if (!list.some((x) => x.file === file && x.index === index)) list.push({ file, index });
    regs.set(key, list);
  };
  for (const f of isa.files) {
    f.names.forEach((n, i) => addReg(n, f.name, i));
    // `<file><index>` is accepted too (it is the only form when the file declares no names).
    for (let i = 0; i < f.count && i < 4096; i++) addReg(`${f.name}${i}`, f.name, i);
  }
  const instrs: AsmInstr[] = [];
  for (const instr of isa.instructions) {
    const parts = instr.syntax.length ? instr.syntax : defaultSyntax(instr);
    const { items, operands, keyText } = syntaxForm(parts, instr.mnemonic, instr.operands, files, instr.encoding);
    const words = Math.max(1, Math.ceil(instr.encoding.width / mem.wordWidth));
    let m: bigint;
    let mt: bigint;
    try {
      m = BigInt(instr.encoding.mask);
      mt = BigInt(instr.encoding.match);
    } catch {
      return { ok: false, message: `instruction ${instr.mnemonic} has a malformed encoding mask` };
    }
    instrs.push({ instr, parts, items, key: keyText.toLowerCase(), keyText, operands, words, mask: m, match: mt });
  }
  const byName = new Map(instrs.map((a) => [a.instr.mnemonic, a]));
  const pseudos: AsmPseudo[] = (isa.pseudos ?? []).map((pseudo) => {
    const parts = pseudo.syntax.length ? pseudo.syntax : defaultSyntax(pseudo);
    const { items, operands, keyText } = syntaxForm(parts, pseudo.mnemonic, pseudo.operands, files);
    const words = (pseudo.expansions[0]?.instructions ?? []).reduce((n, e) => n + (byName.get(e.mnemonic)?.words ?? 0), 0);
    return { pseudo, parts, items, key: keyText.toLowerCase(), keyText, operands, words };
  });
  const byKey = new Map<string, AsmForm[]>();
  for (const a of [...instrs, ...pseudos]) {
    const list = byKey.get(a.key) ?? [];
    list.push(a);
    byKey.set(a.key, list);
  }
  const pcWidth = isaIndex(isa).registers.get(isa.fetch?.pc)?.width ?? 64;
  const names = new Map<string, bigint>();
  for (const s of isa.symbols ?? []) {
    try {
      names.set(s.name, BigInt(s.value));
    } catch {
      return { ok: false, message: `name ${s.name} has a malformed value` };
    }
  }
  return { ok: true, tables: { isa, mem, instrs, pseudos, byKey, byName, regs, hashIsPunct, pcWidth, names } };
}

/** Machine state the expansions' expressions are evaluated against: they read only operands. */
const blankStates = new WeakMap<AsmTables, ReturnType<typeof zeroState>>();

/** Evaluates a pseudo-instruction's expressions for operand values (each taken as a bit pattern of
 *  its operand's width, as the expressions see it). */
export function pseudoEvaluator(t: AsmTables, p: AsmPseudo, values: Map<string, bigint>): (e: Expr) => bigint {
  let state = blankStates.get(t);
  if (!state) {
    state = zeroState(t.isa);
    blankStates.set(t, state);
  }
  const operands: Record<string, bigint> = {};
  for (const op of p.pseudo.operands) operands[op.name] = BigInt.asUintN(op.width, values.get(op.name) ?? 0n);
  const s = state;
  return (e) => evalExpr(t.isa, s, e, { operands });
}

/** The expansion the assembler uses: the first whose condition holds. */
export function chosenExpansion(p: AsmPseudo, ev: (e: Expr) => bigint): Expansion | undefined {
  return p.pseudo.expansions.find((x) => x.when === undefined || ev(x.when) === 1n);
}

/**
 * The pseudo-instruction a decoded instruction is written as, the way GNU objdump prints aliases:
 * the first whose one-instruction expansion gives back exactly this instruction and these
 * operand values (`addi a0, zero, 5` is `li a0, 5`). Operand values are read off the expansion's
 * arguments that are an operand or its low bits, then checked by expanding again.
 */
export function aliasOf(t: AsmTables, a: AsmInstr, values: Map<string, bigint>): { p: AsmPseudo; values: Map<string, bigint> } | undefined {
  for (const p of t.pseudos) {
    if (!p.pseudo.alias) continue;
    for (const e of p.pseudo.expansions) {
      const only = e.instructions.length === 1 ? e.instructions[0]! : undefined;
      if (only?.mnemonic !== a.instr.mnemonic) continue;
      const got = new Map<string, bigint>();
      only.operands.forEach((x, i) => {
        const op = a.instr.operands[i]!;
        const bits = BigInt.asUintN(op.width, values.get(op.name) ?? 0n);
        const src =
          x.k === 'operand'
            ? { name: x.name, width: x.width }
            : x.k === 'slice' && x.lo === 0 && x.a.k === 'operand'
              ? { name: x.a.name, width: x.width }
              : undefined;
        const po = src ? p.pseudo.operands.find((o) => o.name === src.name) : undefined;
        if (!src || !po || got.has(po.name)) return;
        got.set(po.name, po.kind === 'simm' ? BigInt.asIntN(src.width, bits) : bits);
      });
      if (got.size !== p.pseudo.operands.length) continue;
      const ev = pseudoEvaluator(t, p, got);
      if (chosenExpansion(p, ev) !== e) continue;
      const same = only.operands.every((x, i) => {
        const op = a.instr.operands[i]!;
        return (ev(x) & mask(op.width)) === BigInt.asUintN(op.width, values.get(op.name) ?? 0n);
      });
      if (same) return { p, values: got };
    }
  }
  return undefined;
}

/** Operand ranges and syntax tokens of an instruction (with its encoding: the values its fields
 *  hold) or a pseudo-instruction (without: every value of the operand's width). */
function syntaxForm(
  parts: SyntaxPart[],
  mnemonic: string,
  ops: Operand[],
  files: Map<string, RegisterFile>,
  encoding?: Encoding,
): { items: SyntaxItem[]; operands: Map<string, OperandInfo>; keyText: string } {
  const fieldBits = new Map<string, number>();
  if (encoding) for (const r of fieldRuns(encoding)) fieldBits.set(r.operand, (fieldBits.get(r.operand) ?? 0) + r.width);
  const covered = encoding ? coveredBits(encoding, new Map(ops.map((o) => [o.name, o.width]))) : new Map<string, bigint>();
  const relative = new Map<string, Relative>();
  for (const p of parts) if (p.k === 'operand' && p.relative) relative.set(p.name, p.relative);
  const operands = new Map<string, OperandInfo>();
  for (const op of ops) {
    const fb = fieldBits.get(op.name) ?? 0;
    const cov = covered.get(op.name) ?? 0n;
    // Values reach up to the highest bit a field holds; below it, unheld bits are implied zero.
    const bits = fb > 0 ? cov.toString(2).length : op.width;
    const implied = fb > 0 ? mask(bits) & ~cov : 0n;
    const file = op.file !== undefined ? files.get(op.file) : undefined;
    let min = 0n;
    let max = mask(bits);
    if (op.kind === 'simm') {
      min = -(1n << BigInt(bits - 1));
      max = (1n << BigInt(bits - 1)) - 1n;
    } else if (op.kind === 'reg') {
      const count = BigInt(file?.count ?? 0);
      max = count - 1n < max ? count - 1n : max;
    }
    const info: OperandInfo = { op, fieldBits: fb, bits, implied, min, max };
    if (file) info.file = file;
    const rel = relative.get(op.name);
    if (rel) info.relative = rel;
    operands.set(op.name, info);
  }
  const items: SyntaxItem[] = [];
  for (const p of parts) {
    if (p.k === 'operand') {
      const o = operands.get(p.name);
      if (o) items.push({ k: 'hole', operand: o });
      continue;
    }
    for (const tok of lexLine(p.text, 1, '<syntax>', { hash: 'punct' }).toks) items.push({ k: 'lit', tok });
  }
  const lits: Tok[] = [];
  for (const it of items) {
    if (it.k !== 'lit') break;
    lits.push(it.tok);
  }
  return { items, operands, keyText: lits.length ? mnemonicText(lits) : mnemonic };
}

/**
 * The mnemonic at the start of a token list: the first token and any `.suffix` written against it
 * (`MOVE.L`), so that did-you-mean and messages speak of the whole mnemonic.
 */
export function mnemonicText(toks: readonly Tok[]): string {
  let text = toks[0]?.text ?? '';
  let i = 1;
  while (toks[i]?.text === '.' && toks[i]!.col === toks[i - 1]!.endCol && toks[i + 1]?.k === 'ident' && toks[i + 1]!.col === toks[i]!.endCol) {
    text += '.' + toks[i + 1]!.text;
    i += 2;
  }
  return text;
}

/** The register of `file` that `name` denotes, if any. */
export function lookupRegister(t: AsmTables, name: string, file: string): number | undefined {
  return t.regs.get(name.toLowerCase())?.find((r) => r.file === file)?.index;
}

/** Encode operand values (already range-checked) into the instruction's bits, left-aligned in its
 *  words, and split into words, the first word the most significant. */
export function encodeInstr(t: AsmTables, a: AsmInstr, values: Map<string, bigint>): bigint[] {
  const enc = a.instr.encoding;
  let bits = insertOperands(enc, values);
  const total = a.words * t.mem.wordWidth;
  bits <<= BigInt(total - enc.width);
  return splitInstrWords(bits, a.words, t.mem.wordWidth);
}

/** Instruction bits -> words, first word most significant. */
export function splitInstrWords(bits: bigint, words: number, wordWidth: number): bigint[] {
  const out: bigint[] = [];
  for (let i = words - 1; i >= 0; i--) out.push((bits >> BigInt(i * wordWidth)) & mask(wordWidth));
  return out;
}

/** Words -> instruction bits, first word most significant. */
export function combineInstrWords(words: bigint[], wordWidth: number): bigint {
  let v = 0n;
  for (const w of words) v = (v << BigInt(wordWidth)) | (w & mask(wordWidth));
  return v;
}

/** Operand values from an instruction's bits (simm sign-extended from its highest encoded bit). */
export function decodeFields(a: AsmInstr, bits: bigint): Map<string, bigint> {
  const widths = new Map([...a.operands].map(([name, info]) => [name, info.bits]));
  const out = extractOperands(a.instr.encoding, bits, widths);
  for (const [name, info] of a.operands) {
    const v = out.get(name) ?? 0n;
    if (info.op.kind === 'simm' && info.bits > 0 && v >> BigInt(info.bits - 1)) out.set(name, v - (1n << BigInt(info.bits)));
  }
  return out;
}
