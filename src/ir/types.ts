// The IR: a checked, resolved ISA specification as plain JSON-serialisable data.
//
// Every stage after the checker (analysis, exec, asm, vmm, report, grade) reads only these types.
// The JSON form of a spec (`.isa.json`) *is* this structure, validated by
// grammar/isa.schema.json. Keep it plain: no classes, no functions, no Maps, no bigint
// (bit-vector constants are hex strings so 64-bit values survive JSON).
//
// Conventions every consumer relies on:
// - Widths are in bits, 1..64. A 1-bit value is a boolean (1 = true).
// - Every Expr carries its width, computed by the checker; operands of a binary operator have equal
//   widths except the shift amount of shl/lshr/ashr, which may be any width (unsigned).
// - Division by zero follows SMT-LIB: udiv x 0 = all ones, urem x 0 = x, sdiv/srem likewise
//   (so the solver and the machine agree). A spec that wants a trap tests the divisor itself.
// - Statements run in order; a read sees earlier writes of the same instruction.
// - `trap T` aborts the instruction: every write it made is discarded (precise traps), then the
//   trap entry runs with `return_pc` = this instruction's pc (kind software/interrupt: next_pc).
// - While semantics run, the pc register holds the address of the current instruction; if the
//   semantics leave the pc unwritten, the machine sets it to `next_pc` afterwards.
// - Memory addresses wrap modulo the region's size (sizes are powers of two); reads and writes of
//   several words combine them in the region's byte order.
// - Instruction encodings are written in fetch order: an instruction of several words is read
//   with its first-fetched word as the most significant, whatever the data endian (so an x86
//   opcode byte comes first). A `little` group inside an encoding is the exception the real
//   machines need: its bits, written most significant first as the manuals draw them, are stored
//   least significant word first (a RISC-V instruction, an x86 imm32). mask and match are over
//   the fetch-order bits; src/ir/encoding.ts places every item there.

import type { Span } from '../syntax/index.js';

export type Role = 'mode' | 'control' | 'plain';

/** A place in a source file (defined in syntax/, which depends on nothing above it). */
export type { Span };

/** Hex string of a non-negative value, e.g. "0x1f". */
export type Hex = string;

export interface Isa {
  format: 'isavirt-ir';
  version: 1;
  name: string;
  doc?: string;
  /** The spec file this IR was built from (as given on the command line). */
  source: string;
  /** Files this spec extends, outermost last (informational; the IR is already merged). */
  extends: string[];
  endian: 'little' | 'big';
  registers: Register[];
  files: RegisterFile[];
  memories: Memory[];
  /** Address spaces seen through a translation (relocation-bounds, segmentation). */
  views: View[];
  translations: Translation[];
  functions: Func[];
  /** Ordered from most privileged to least privileged. */
  modes: Mode[];
  /** Name of the mode a monitor runs guests in (default: the least privileged). */
  guestMode: string;
  traps: Trap[];
  /** Statements run when any trap is taken (PSW swap, vectoring); may read trap_vector, return_pc. */
  trapEntry: Stmt[];
  /** Statements run once when the machine starts, after every element is zeroed/initialised. */
  reset: Stmt[];
  /** Where instructions come from: words of `space` (memory or view) at the address in `pc`. */
  fetch: { space: string; pc: string; span: Span };
  /** Invariants a monitor keeps while a guest runs; the analysis assumes them in guest states. */
  assumptions: Assumption[];
  /** Values a program may write by name, as the machine's assembler knows them (RISC-V CSR
   *  numbers: `csrrw a0, mstatus, a1`); absent: none. Names of the assembler only, not of semantics. */
  symbols?: AsmSymbol[];
  /** The console: the byte location of a memory or view whose stores are appended to a run's
   *  output (the store still writes the storage; absent: the machine has no console). */
  console?: Console;
  instructions: Instruction[];
  /** Pseudo-instructions: assembly forms that expand into instructions (the assembler's only; the
   *  analysis and the machine never see them). Absent: none. */
  pseudos?: Pseudo[];
}

/** `console S at A;`: stores to address `address` of space `space` (a memory: that word; a view:
 *  that address before its translation, the address the program writes) are the run's output. */
export interface Console {
  space: string;
  address: number;
  doc?: string;
  span: Span;
}

export interface Field {
  name: string;
  /** Bit positions, inclusive, hi >= lo. */
  hi: number;
  lo: number;
  role: Role;
  doc?: string;
  span: Span;
}

export interface Register {
  name: string;
  width: number;
  role: Role;
  readonly: boolean;
  /** A clock counts time; an instruction that reads one is timing dependent (Theorem 2). */
  clock: boolean;
  /** Value at reset (before the reset block runs). */
  init: Hex;
  fields: Field[];
  doc?: string;
  span: Span;
}

export interface RegisterFile {
  name: string;
  /** Number of registers; the index is taken modulo count (count is a power of two). */
  count: number;
  width: number;
  role: Role;
  readonly: boolean;
  /** Assembly names of the registers in index order (empty: written `r0`.. from the file's name). */
  names: string[];
  doc?: string;
  span: Span;
}

export interface Memory {
  name: string;
  /** Bits per word (8 for a byte-addressed machine, 36 for the PDP-10). */
  wordWidth: number;
  /** Number of words, a power of two; addresses wrap modulo size. */
  size: number;
  role: Role;
  doc?: string;
  span: Span;
}

/** A memory seen through a translation: view[a] = memory[translate(a)] (or the translation traps). */
export interface View {
  name: string;
  memory: string;
  translation: string;
  doc?: string;
  span: Span;
}

/** Maps an address to a physical address; may read state and trap; never writes state. */
export interface Translation {
  name: string;
  param: Param;
  resultWidth: number;
  body: Stmt[];
  /** The returned physical address. */
  result: Expr;
  doc?: string;
  span: Span;
}

export interface Param {
  name: string;
  width: number;
}

/** A pure helper: reads only its parameters. */
export interface Func {
  name: string;
  params: Param[];
  resultWidth: number;
  /** Only `let` statements. */
  body: Stmt[];
  result: Expr;
  doc?: string;
  span: Span;
}

export interface Mode {
  name: string;
  /** 1-bit predicate over mode-role state that holds exactly in this mode. */
  when: Expr;
  doc?: string;
  span: Span;
}

export type TrapKind = 'privilege' | 'memory' | 'arithmetic' | 'software' | 'illegal' | 'interrupt';

export interface Trap {
  name: string;
  kind: TrapKind;
  /** The number the entry sees as trap_vector. */
  vector: number;
  /** Timer interrupts: raised every `period` instructions when `when` holds (kind interrupt). */
  timer?: { period: number; when: Expr };
  doc?: string;
  span: Span;
}

export interface AsmSymbol {
  name: string;
  value: Hex;
  doc?: string;
  span: Span;
}

export interface Assumption {
  name: string;
  /** 1-bit predicate over state. */
  holds: Expr;
  doc?: string;
  span: Span;
}

export type OperandKind = 'reg' | 'imm' | 'simm' | 'addr';

export interface Operand {
  name: string;
  kind: OperandKind;
  /** Width of the value in semantics: the register index, the immediate, the address. */
  width: number;
  /** For kind reg: the register file indexed. */
  file?: string;
}

/** Fixed bits, or bits of an operand's value: the field's bits are the operand's bits
 *  `lo + width - 1 .. lo` (`off[10..5]` has lo 5, width 6). A field wider than the operand holds
 *  it zero- or (simm) sign-extended. Operand bits no field holds are zero (the implied low bit of
 *  a RISC-V branch offset). */
export type EncodingBits = { k: 'fixed'; width: number; value: Hex } | { k: 'field'; operand: string; width: number; /** absent: 0 */ lo?: number };

export type EncodingItem =
  | EncodingBits
  /** Bits stored least significant `word` first (`word` = the fetch word width), e.g. a
   *  little-endian immediate after an opcode byte; its items run from its most significant bit. */
  | { k: 'little'; width: number; word: number; items: EncodingBits[] };

export interface Encoding {
  /** Total bits; a multiple of the fetch space's word width. Items run from the most significant
   *  bit of the fetch-order value (the first fetched word's top bit). */
  width: number;
  items: EncodingItem[];
  /** Derived: which bits are fixed, and their values (same width). */
  mask: Hex;
  match: Hex;
  /** Decode conditions (`when rb != 4`): the encoding does not match where an operand has the
   *  value, because the manual reserves it or gives it another meaning. mask/match (derived) are
   *  the operand's bits with that value, over the fetch-order bits. Absent: none. */
  exclude?: { operand: string; value: Hex; mask: Hex; match: Hex }[];
}

export type Claim =
  'privileged' | 'sensitive' | 'control-sensitive' | 'mode-sensitive' | 'location-sensitive' | 'user-sensitive' | 'innocuous' | 'timing-dependent';

export interface ClaimAt {
  claim: Claim;
  /** `not privileged` has negated = true. */
  negated: boolean;
  span: Span;
}

/** A PC-relative operand: the program writes the target address, the encoding holds
 *  `target - (base + addend)`, base being this instruction's address (`pc`) or the next one's
 *  (`next_pc`), as the machine defines its branches ({off:pc} on RISC-V, {rel:next_pc} on x86,
 *  {off:pc+8} on ARM). */
export interface Relative {
  base: 'pc' | 'next_pc';
  addend: number;
}

/** Assembly syntax, split into literal text and operand holes, e.g. "LOAD {rd}, [{a}]". */
export type SyntaxPart = { k: 'text'; text: string } | { k: 'operand'; name: string; relative?: Relative };

export interface Instruction {
  mnemonic: string;
  operands: Operand[];
  syntax: SyntaxPart[];
  encoding: Encoding;
  claims: ClaimAt[];
  semantics: Stmt[];
  doc?: string;
  span: Span;
}

/** A pseudo-instruction (RISC-V `li`): operands and syntax like an instruction, and expansions
 *  into real instructions; the assembler uses the first whose condition holds. */
export interface Pseudo {
  mnemonic: string;
  operands: Operand[];
  /** PC-relative holes are relative to the pseudo-instruction's own address (`pc`). */
  syntax: SyntaxPart[];
  expansions: Expansion[];
  /** Declared before the instructions it expands to: the disassembler prints an instruction that
   *  is exactly its one-instruction expansion as it, as GNU objdump prints the first entry of its
   *  opcode table that matches (`li a0, 5` for `addi a0, zero, 5`). Absent: never. */
  alias?: true;
  doc?: string;
  span: Span;
}

export interface Expansion {
  /** 1-bit condition over the pseudo-instruction's operands; absent: always. */
  when?: Expr;
  /** The instructions, in order; each operand value an expression over the pseudo's operands (a
   *  PC-relative operand of the pseudo is its distance from the pseudo's address). */
  instructions: ExpandedInstruction[];
  span: Span;
}

export interface ExpandedInstruction {
  mnemonic: string;
  /** One value per operand of the instruction, in its operand order, each of the operand's width. */
  operands: Expr[];
  span: Span;
}

// ---- Semantics ----

export type LValue =
  | { k: 'reg'; reg: string; width: number }
  | { k: 'field'; reg: string; field: string; hi: number; lo: number; width: number }
  | { k: 'file'; file: string; index: Expr; width: number }
  | { k: 'mem'; space: string; addr: Expr; words: number; width: number };

export type Stmt =
  | { k: 'let'; name: string; value: Expr; span: Span }
  | { k: 'assign'; target: LValue; value: Expr; span: Span }
  | { k: 'if'; cond: Expr; then: Stmt[]; else: Stmt[]; span: Span }
  | { k: 'trap'; trap: string; span: Span }
  | { k: 'halt'; span: Span };

export type UnOp = 'not' | 'neg';

export type BinOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'udiv'
  | 'urem'
  | 'sdiv'
  | 'srem'
  | 'and'
  | 'or'
  | 'xor'
  | 'shl'
  | 'lshr'
  | 'ashr'
  | 'eq'
  | 'ne'
  | 'ult'
  | 'ule'
  | 'ugt'
  | 'uge'
  | 'slt'
  | 'sle'
  | 'sgt'
  | 'sge';

export type Builtin = 'next_pc' | 'trap_vector' | 'return_pc';

export type Expr =
  | { k: 'const'; width: number; value: Hex }
  | { k: 'reg'; width: number; reg: string }
  | { k: 'field'; width: number; reg: string; field: string; hi: number; lo: number }
  | { k: 'file'; width: number; file: string; index: Expr }
  | { k: 'mem'; width: number; space: string; addr: Expr; words: number }
  | { k: 'operand'; width: number; name: string }
  | { k: 'local'; width: number; name: string }
  | { k: 'param'; width: number; name: string }
  | { k: 'builtin'; width: number; name: Builtin }
  | { k: 'unop'; width: number; op: UnOp; a: Expr }
  | { k: 'binop'; width: number; op: BinOp; a: Expr; b: Expr }
  | { k: 'concat'; width: number; parts: Expr[] }
  | { k: 'slice'; width: number; a: Expr; hi: number; lo: number }
  | { k: 'zext'; width: number; a: Expr }
  | { k: 'sext'; width: number; a: Expr }
  | { k: 'ite'; width: number; cond: Expr; then: Expr; else: Expr }
  | { k: 'call'; width: number; fn: string; args: Expr[] };

/** The largest width any value may have. */
export const MAX_WIDTH = 64;
