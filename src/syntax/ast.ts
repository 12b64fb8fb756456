// The AST: the spec as written, before names are resolved and widths checked. The parser's CST
// visitor (build.ts) makes it; the checker (src/ir/check.ts) turns it into the IR; the formatter
// (src/ir/format.ts) prints it back in canonical form. Every node keeps its span; doc comments are
// kept on the nodes they document. Plain comments are not in the AST: the formatter re-reads them
// from the token stream (comment tokens sit in a chevrotain token group) by position.

import type { Span } from './span.js';

export interface Name {
  text: string;
  span: Span;
}

export interface NumberLit {
  /** Value as written, parsed. */
  value: bigint;
  /** The literal's text, e.g. "0x1F" (the formatter keeps the author's base). */
  text: string;
  span: Span;
}

export interface SpecFile {
  file: string;
  name: Name;
  doc?: string;
  extends: { path: string; span: Span }[];
  decls: Decl[];
  span: Span;
}

export type RoleWord = 'mode' | 'control';

export type Decl =
  | { k: 'endian'; order: 'little' | 'big'; replace: boolean; doc?: string; span: Span }
  | { k: 'memory'; name: Name; wordWidth: NumberLit; size: NumberLit; role?: RoleWord; replace: boolean; doc?: string; span: Span }
  | {
      k: 'register';
      name: Name;
      width: NumberLit;
      role?: RoleWord;
      readonly: boolean;
      clock: boolean;
      init?: NumberLit;
      fields: FieldDecl[];
      replace: boolean;
      doc?: string;
      span: Span;
    }
  | {
      k: 'registers';
      name: Name;
      count: NumberLit;
      width: NumberLit;
      role?: RoleWord;
      readonly: boolean;
      names: Name[];
      /** `zero N`: register N reads as zero and ignores writes. */
      zero?: NumberLit;
      replace: boolean;
      doc?: string;
      span: Span;
    }
  | { k: 'modes'; modes: ModeDecl[]; replace: boolean; doc?: string; span: Span }
  | { k: 'names'; names: NameValueDecl[]; replace: boolean; doc?: string; span: Span }
  | { k: 'guest'; mode: Name; replace: boolean; doc?: string; span: Span }
  | { k: 'translate'; name: Name; param: ParamDecl; resultWidth: NumberLit; body: AstStmt[]; result: AstExpr; replace: boolean; doc?: string; span: Span }
  | { k: 'view'; name: Name; memory: Name; translation: Name; replace: boolean; doc?: string; span: Span }
  | { k: 'fetch'; space: Name; pc: Name; replace: boolean; doc?: string; span: Span }
  | { k: 'console'; space: Name; address: NumberLit; replace: boolean; doc?: string; span: Span }
  | {
      k: 'trap';
      name: Name;
      kind: { text: string; span: Span };
      vector: NumberLit;
      timer?: { period: NumberLit; when: AstExpr };
      replace: boolean;
      doc?: string;
      span: Span;
    }
  | { k: 'trapEntry'; body: AstStmt[]; replace: boolean; doc?: string; span: Span }
  /** `trap entry vector N { ... }`: runs instead of the trap entry when trap_vector == N. */
  | { k: 'trapVector'; vector: NumberLit; body: AstStmt[]; replace: boolean; doc?: string; span: Span }
  /** `replace trap entry clause NAME { ... }`: a new body for one clause of the trap entry. */
  | { k: 'trapClause'; name: Name; body: AstStmt[]; replace: boolean; doc?: string; span: Span }
  | { k: 'reset'; body: AstStmt[]; replace: boolean; doc?: string; span: Span }
  | { k: 'function'; name: Name; params: ParamDecl[]; resultWidth: NumberLit; body: AstStmt[]; result: AstExpr; replace: boolean; doc?: string; span: Span }
  | { k: 'assume'; name: Name; holds: AstExpr; replace: boolean; doc?: string; span: Span }
  | { k: 'instruction'; name: Name; operands: OperandDecl[]; clauses: Clause[]; replace: boolean; doc?: string; span: Span }
  | { k: 'pseudo'; name: Name; operands: OperandDecl[]; clauses: PseudoClause[]; replace: boolean; doc?: string; span: Span }
  | { k: 'remove'; what: RemovableKind; name: Name; doc?: string; span: Span };

export type RemovableKind = 'register' | 'registers' | 'memory' | 'view' | 'translate' | 'function' | 'trap' | 'instruction' | 'pseudo' | 'assume';

export interface FieldDecl {
  name: Name;
  hi: NumberLit;
  lo?: NumberLit;
  role?: RoleWord;
  doc?: string;
  span: Span;
}

/** `mstatus = 0x300;` in a `names` block. */
export interface NameValueDecl {
  name: Name;
  value: NumberLit;
  doc?: string;
  span: Span;
}

export interface ModeDecl {
  name: Name;
  when: AstExpr;
  doc?: string;
  span: Span;
}

export interface ParamDecl {
  name: Name;
  width: NumberLit;
  span: Span;
}

export interface OperandDecl {
  name: Name;
  kind: 'reg' | 'imm' | 'simm' | 'addr';
  /** For reg: the file's name. */
  file?: Name;
  /** For imm/simm/addr: the width. */
  width?: NumberLit;
  span: Span;
}

export type Clause =
  | { k: 'syntax'; text: string; span: Span }
  | { k: 'encoding'; items: EncItem[]; when: { operand: Name; value: NumberLit; span: Span }[]; span: Span }
  | { k: 'claims'; claims: { claim: string; negated: boolean; span: Span }[]; span: Span }
  | { k: 'semantics'; body: AstStmt[]; span: Span };

/** A pseudo-instruction's clauses: its assembly syntax and its expansions, tried in order. */
export type PseudoClause = { k: 'syntax'; text: string; span: Span } | { k: 'expand'; when?: AstExpr; items: ExpandItem[]; span: Span };

/** `ADDI(rd, 0, v[11..0])`: one real instruction of an expansion, with operand expressions. */
export interface ExpandItem {
  instruction: Name;
  args: AstExpr[];
  span: Span;
}

export type EncBits =
  | { k: 'fixed'; value: NumberLit; width: NumberLit; span: Span }
  /** `rd` (no width, no slice: the whole operand), `rd:5`, `off[10..5]` or `off[11]` (hi only). */
  | { k: 'field'; operand: Name; width?: NumberLit; hi?: NumberLit; lo?: NumberLit; span: Span };

export type EncItem = EncBits | { k: 'little'; items: EncBits[]; span: Span };

export type AstLValue = AstExpr; // checked to be a name, field, index or memory access

export type AstStmt =
  | { k: 'let'; name: Name; width?: NumberLit; value: AstExpr; span: Span }
  | { k: 'assign'; target: AstLValue; value: AstExpr; span: Span }
  | { k: 'if'; cond: AstExpr; then: AstStmt[]; else?: AstStmt[]; span: Span }
  | { k: 'trap'; trap: Name; span: Span }
  | { k: 'halt'; span: Span }
  | { k: 'for'; index: Name; from: NumberLit; to: NumberLit; body: AstStmt[]; span: Span }
  /** `clause NAME { ... }` in the trap entry: statements an extending spec may replace by name.
   *  No scope of its own: its statements stand in its place. */
  | { k: 'clause'; name: Name; body: AstStmt[]; span: Span };

export type AstBinOp = '||' | '&&' | '|' | '^' | '&' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '++' | '<<' | '>>' | '>>>' | '+' | '-' | '*' | '/' | '%';

export type AstExpr =
  | { k: 'num'; lit: NumberLit; span: Span }
  | { k: 'char'; value: number; text: string; span: Span }
  | { k: 'name'; name: Name; span: Span }
  | { k: 'member'; base: AstExpr; field: Name; span: Span }
  /** `x[i]`, `x[i..lo]` (i is the high bit) or `E[i, words]`: the checker decides file, memory,
   *  bit or slice. */
  | { k: 'index'; base: AstExpr; index: AstExpr; lo?: AstExpr; words?: NumberLit; span: Span }
  | { k: 'call'; callee: Name; args: AstExpr[]; span: Span }
  | { k: 'unary'; op: '-' | '~' | '!'; a: AstExpr; span: Span }
  | { k: 'binary'; op: AstBinOp; a: AstExpr; b: AstExpr; span: Span }
  | { k: 'cond'; cond: AstExpr; then: AstExpr; else: AstExpr; span: Span }
  | { k: 'paren'; a: AstExpr; span: Span };
