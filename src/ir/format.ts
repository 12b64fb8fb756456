// The formatter: a spec's AST printed back in canonical form (the layout of isas/pg.isa).
//
// Canonical: 2-space indent, one item per line, `a + b` spacing, `x[15..0]`, `f(a, b)`; numbers,
// explicit parentheses and doc comments as the author wrote them. Comments are not in the AST, so
// they are re-read from the lexer's `comments` group and emitted by position: a comment before an
// item stays before it, a comment at the end of a line stays at the end of that line, a comment in
// the middle of an item moves to the line before it. Blank lines: the author's (at most one in a row),
// and always one around a declaration that has a block. Printing never changes what the spec means:
// the tests compare the IR of a spec and of its formatted text.

import type { IToken } from 'chevrotain';
import {
  type AstExpr,
  type AstStmt,
  type Clause,
  type Decl,
  type EncBits,
  type FieldDecl,
  type ModeDecl,
  type NumberLit,
  type OperandDecl,
  type PseudoClause,
  type SpecFile,
  IsaLexer,
  type Diagnostic,
  parseText,
} from '../syntax/index.js';
import { BINARY_PRECEDENCE, CONDITIONAL_PRECEDENCE, POSTFIX_PRECEDENCE, UNARY_PRECEDENCE } from '../syntax/index.js';
import type { Span } from './types.js';
import { assertNever } from './walk.js';

export type FormatResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

/** Format a spec's text; a spec that does not parse gives its diagnostics instead. */
export function formatSpec(text: string, file: string): FormatResult {
  const parsed = parseText(text, file);
  if (!parsed.ast) return { ok: false, diagnostics: parsed.diagnostics };
  // The parser hands back comments but not the code tokens, which the printer needs for the places
  // of braces and keywords that have no AST node; lexing again is cheap.
  const lexed = IsaLexer.tokenize(text);
  return { ok: true, text: printSpec(parsed.ast, lexed.tokens, parsed.comments) };
}

// ---- positions ----

/** A source position as one comparable number (line-major). */
type Pos = number;
const LINE = 1_000_000;
const pos = (line: number, col: number): Pos => line * LINE + col;
const startOf = (s: Span): Pos => pos(s.line, s.col);
const endOf = (s: Span): Pos => pos(s.endLine, s.endCol);
const lineOf = (p: Pos): number => Math.floor(p / LINE);

interface Tok {
  image: string;
  start: Pos;
  end: Pos;
}

function tok(t: IToken): Tok {
  // chevrotain columns are 1-based and endColumn is inclusive; spans' endCol is exclusive.
  return { image: t.image, start: pos(t.startLine ?? 0, t.startColumn ?? 0), end: pos(t.endLine ?? 0, (t.endColumn ?? 0) + 1) };
}

// ---- expressions ----

const COND = CONDITIONAL_PRECEDENCE;
const UNARY = UNARY_PRECEDENCE;
const POSTFIX = POSTFIX_PRECEDENCE;

function precOf(e: AstExpr): number {
  switch (e.k) {
    case 'cond':
      return COND;
    case 'binary':
      return BINARY_PRECEDENCE[e.op]!;
    case 'unary':
      return UNARY;
    case 'num':
    case 'char':
    case 'name':
    case 'member':
    case 'index':
    case 'call':
    case 'paren':
      return POSTFIX;
    default:
      return assertNever(e, 'expression');
  }
}

function num(n: NumberLit): string {
  // The author's base and digit grouping; only the prefix letter is made lower case.
  return n.text.replace(/^0([XB])/, (_m, c: string) => '0' + c.toLowerCase());
}

/** Print `e`, adding parentheses only if its precedence is below `min` (never for the parser's trees). */
export function printExpr(e: AstExpr, min = 0): string {
  const s = printExprBare(e);
  return precOf(e) < min ? `(${s})` : s;
}

function printExprBare(e: AstExpr): string {
  switch (e.k) {
    case 'num':
      return num(e.lit);
    case 'char':
      return e.text;
    case 'name':
      return e.name.text;
    case 'paren':
      return `(${printExpr(e.a)})`;
    case 'member':
      return `${printExpr(e.base, POSTFIX)}.${e.field.text}`;
    case 'index': {
      const base = printExpr(e.base, POSTFIX);
      if (e.lo) return `${base}[${printExpr(e.index)}..${printExpr(e.lo)}]`;
      if (e.words) return `${base}[${printExpr(e.index)}, ${num(e.words)}]`;
      return `${base}[${printExpr(e.index)}]`;
    }
    case 'call':
      return `${e.callee.text}(${e.args.map((a) => printExpr(a)).join(', ')})`;
    case 'unary': {
      const a = printExpr(e.a, UNARY);
      // `- -x`, not `--x`; `!` before `=`-led text cannot happen (operands never start with `=`).
      return a.startsWith('-') || a.startsWith('~') || a.startsWith('!') ? `${e.op} ${a}` : `${e.op}${a}`;
    }
    case 'binary': {
      const p = BINARY_PRECEDENCE[e.op]!;
      // Left-associative: the right operand needs parentheses at equal precedence.
      return `${printExpr(e.a, p)} ${e.op} ${printExpr(e.b, p + 1)}`;
    }
    case 'cond':
      // Right-associative: `a ? b : c ? d : e`.
      return `${printExpr(e.cond, COND + 1)} ? ${printExpr(e.then)} : ${printExpr(e.else, COND)}`;
    default:
      return assertNever(e, 'expression');
  }
}

function quote(s: string): string {
  return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t') + '"';
}

// ---- layout ----

class Printer {
  private readonly out: string[] = [];
  private depth = 0;
  /** Index of the next comment not yet printed. */
  private next = 0;
  /** Source line of the last code or comment printed (for blank-line decisions). */
  private lastLine = 0;
  /** True right after an opening brace (or at the top of the file): no blank line here. */
  private atOpen = true;
  private readonly code: Tok[];

  constructor(
    tokens: IToken[],
    private readonly comments: Tok[],
  ) {
    this.code = tokens.map(tok);
  }

  text(): string {
    while (this.out.length > 0 && this.out[this.out.length - 1] === '') this.out.pop();
    return this.out.join('\n') + '\n';
  }

  /** Index of the first code token that starts at or after `p` (binary search). */
  indexAt(p: Pos): number {
    let lo = 0;
    let hi = this.code.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.code[mid]!.start < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The start of the first code token at or after the span's start (skips a doc comment a span may include). */
  codeStart(span: Span): Pos {
    return this.code[this.indexAt(startOf(span))]?.start ?? startOf(span);
  }

  /** The first code token with this image at or after `p`. */
  find(image: string, p: Pos): Tok | undefined {
    for (let i = this.indexAt(p); i < this.code.length; i++) if (this.code[i]!.image === image) return this.code[i];
    return undefined;
  }

  /** The `}` matching the first `{` at or after `p`. */
  matchingBrace(p: Pos): { open: Tok; close: Tok } | undefined {
    let i = this.indexAt(p);
    while (i < this.code.length && this.code[i]!.image !== '{') i++;
    if (i >= this.code.length) return undefined;
    const open = this.code[i]!;
    let depth = 0;
    for (; i < this.code.length; i++) {
      const t = this.code[i]!;
      if (t.image === '{') depth++;
      else if (t.image === '}' && --depth === 0) return { open, close: t };
    }
    return undefined;
  }

  private emit(line: string): void {
    this.out.push(line === '' ? '' : '  '.repeat(this.depth) + line);
    this.atOpen = false;
  }

  private blankIfGap(line: number, force = false): void {
    if (this.atOpen) return;
    if ((force || line > this.lastLine + 1) && this.out[this.out.length - 1] !== '') this.out.push('');
  }

  /** Print, each on its own line, every comment that starts before `p`. */
  leading(p: Pos, forceBlank = false): void {
    let first = true;
    while (this.next < this.comments.length && this.comments[this.next]!.start < p) {
      const c = this.comments[this.next++]!;
      this.blankIfGap(lineOf(c.start), first && forceBlank);
      first = false;
      const lines = c.image.split(/\r?\n/);
      this.emit(lines[0]!.trimEnd());
      // Continuation lines of a block comment keep their own indentation.
      for (const l of lines.slice(1)) this.out.push(l.trimEnd());
      this.lastLine = lineOf(c.end);
    }
    if (first && forceBlank) this.blankIfGap(0, true);
  }

  /** Append to the last printed line the comments that follow `p` on the same source line. */
  trailing(p: Pos): void {
    while (this.next < this.comments.length) {
      const c = this.comments[this.next]!;
      if (c.start < p || lineOf(c.start) !== lineOf(p) || lineOf(c.end) !== lineOf(c.start)) break;
      // Only if no code sits between `p` and the comment, nor after it on that line (otherwise it
      // belongs to a later item and is printed before that).
      const after = this.code[this.indexAt(p)];
      if (after && after.start < c.start) break;
      const next = this.code[this.indexAt(c.start + 1)];
      if (next && lineOf(next.start) === lineOf(c.start)) break;
      this.out[this.out.length - 1] += ' ' + c.image.trimEnd();
      this.next++;
      this.lastLine = lineOf(c.end);
    }
  }

  /** One item that fits on a line: comments inside it move before it. */
  leaf(span: Span, line: string, forceBlank = false): void {
    const start = this.codeStart(span);
    this.leading(start, forceBlank);
    this.blankIfGap(lineOf(start));
    this.leading(endOf(span));
    this.emit(line);
    this.lastLine = span.endLine;
    this.trailing(endOf(span));
  }

  /**
   * An item with a header line ending in `{`, a body, and `}`. The body's comments stay inside it.
   */
  block(span: Span | Pos, header: string, body: () => void, forceBlank = false, close = true): Tok | undefined {
    const start = typeof span === 'number' ? span : this.codeStart(span);
    const braces = this.matchingBrace(start);
    const open = braces?.open.start ?? start;
    this.leading(start, forceBlank);
    this.blankIfGap(lineOf(start));
    this.leading(open);
    this.emit(`${header} {`);
    this.lastLine = lineOf(open);
    this.trailing(braces?.open.end ?? open);
    this.depth++;
    this.atOpen = true;
    body();
    if (braces) this.leading(braces.close.start);
    this.depth--;
    this.atOpen = false;
    if (braces) this.lastLine = lineOf(braces.close.start);
    // Without `close` the caller prints the `}` itself, as the start of `} else {`.
    if (!close) return braces?.close;
    this.emit('}');
    if (braces) this.trailing(braces.close.end);
    return braces?.close;
  }

  /** Comments left at the end of the file. */
  rest(): void {
    this.leading(Number.MAX_SAFE_INTEGER);
  }

  // ---- the language ----

  spec(s: SpecFile): void {
    const header = this.code.find((t) => t.image === 'isa');
    const semi = this.find(';', endOf(s.name.span));
    this.leaf(header && semi ? spanOf(s.file, header.start, semi.end) : s.name.span, `isa ${s.name.text};`);
    for (const e of s.extends) {
      // The AST's span is the path string's; the item starts at `extends` and ends at `;`.
      const kw = this.code[this.indexAt(startOf(e.span)) - 1];
      const semi = this.find(';', endOf(e.span));
      this.leaf(kw && semi ? spanOf(s.file, kw.start, semi.end) : e.span, `extends ${quote(e.path)};`);
    }
    let prevMultiline = true; // the header is followed by a blank line
    for (const d of s.decls) {
      const multiline = hasBlock(d);
      this.decl(d, prevMultiline || multiline);
      prevMultiline = multiline;
    }
    this.rest();
  }

  decl(d: Decl, forceBlank: boolean): void {
    const r = 'replace' in d && d.replace ? 'replace ' : '';
    switch (d.k) {
      case 'endian':
        return this.leaf(d.span, `${r}endian ${d.order};`, forceBlank);
      case 'memory':
        return this.leaf(d.span, `${r}memory ${d.name.text} : ${num(d.wordWidth)} [${num(d.size)}]${role(d.role)};`, forceBlank);
      case 'register': {
        const head =
          `${r}${d.readonly ? 'readonly ' : ''}register ${d.name.text} : ${num(d.width)}${role(d.role)}` +
          `${d.clock ? ' clock' : ''}${d.init ? ` = ${num(d.init)}` : ''}`;
        if (d.fields.length === 0) return this.leaf(d.span, head + ';', forceBlank);
        this.block(d.span, head, () => d.fields.forEach((f) => this.field(f)), forceBlank);
        return;
      }
      case 'registers': {
        const names = d.names.length > 0 ? ` names ${d.names.map((n) => n.text).join(', ')}` : '';
        return this.leaf(
          d.span,
          `${r}${d.readonly ? 'readonly ' : ''}registers ${d.name.text}[${num(d.count)}] : ${num(d.width)}${role(d.role)}${d.zero ? ` zero ${num(d.zero)}` : ''}${names};`,
          forceBlank,
        );
      }
      case 'modes':
        this.block(d.span, `${r}modes`, () => d.modes.forEach((m) => this.mode(m)), forceBlank);
        return;
      case 'names':
        this.block(d.span, `${r}names`, () => d.names.forEach((n) => this.leaf(n.span, `${n.name.text} = ${num(n.value)};`)), forceBlank);
        return;
      case 'guest':
        return this.leaf(d.span, `${r}guest mode ${d.mode.text};`, forceBlank);
      case 'translate':
        this.block(
          d.span,
          `${r}translate ${d.name.text}(${d.param.name.text} : ${num(d.param.width)}) : ${num(d.resultWidth)}`,
          () => this.bodyWithReturn(startOf(d.span), d.body, d.result),
          forceBlank,
        );
        return;
      case 'view':
        return this.leaf(d.span, `${r}view ${d.name.text} = ${d.memory.text} via ${d.translation.text};`, forceBlank);
      case 'fetch':
        return this.leaf(d.span, `${r}fetch ${d.space.text} at ${d.pc.text};`, forceBlank);
      case 'console':
        return this.leaf(d.span, `${r}console ${d.space.text} at ${num(d.address)};`, forceBlank);
      case 'trap': {
        const timer = d.timer ? ` every ${num(d.timer.period)} when ${printExpr(d.timer.when)}` : '';
        return this.leaf(d.span, `${r}trap ${d.name.text} kind ${d.kind.text} vector ${num(d.vector)}${timer};`, forceBlank);
      }
      case 'trapEntry':
        this.block(d.span, `${r}trap entry`, () => this.stmts(d.body), forceBlank);
        return;
      case 'trapVector':
        this.block(d.span, `${r}trap entry vector ${num(d.vector)}`, () => this.stmts(d.body), forceBlank);
        return;
      case 'trapClause':
        this.block(d.span, `${r}trap entry clause ${d.name.text}`, () => this.stmts(d.body), forceBlank);
        return;
      case 'reset':
        this.block(d.span, `${r}reset`, () => this.stmts(d.body), forceBlank);
        return;
      case 'function': {
        const params = d.params.map((p) => `${p.name.text} : ${num(p.width)}`).join(', ');
        this.block(
          d.span,
          `${r}function ${d.name.text}(${params}) : ${num(d.resultWidth)}`,
          () => this.bodyWithReturn(startOf(d.span), d.body, d.result),
          forceBlank,
        );
        return;
      }
      case 'assume':
        return this.leaf(d.span, `${r}assume ${d.name.text} : ${printExpr(d.holds)};`, forceBlank);
      case 'instruction':
        this.block(d.span, `${r}instruction ${d.name.text}(${d.operands.map(operand).join(', ')})`, () => d.clauses.forEach((c) => this.clause(c)), forceBlank);
        return;
      case 'pseudo':
        this.block(
          d.span,
          `${r}pseudo ${d.name.text}(${d.operands.map(operand).join(', ')})`,
          () => d.clauses.forEach((c) => this.pseudoClause(c)),
          forceBlank,
        );
        return;
      case 'remove':
        return this.leaf(d.span, `remove ${d.what} ${d.name.text};`, forceBlank);
      default:
        return assertNever(d, 'declaration');
    }
  }

  field(f: FieldDecl): void {
    this.leaf(f.span, `${f.name.text} = ${num(f.hi)}${f.lo ? `..${num(f.lo)}` : ''}${role(f.role)};`);
  }

  mode(m: ModeDecl): void {
    this.leaf(m.span, `${m.name.text} when ${printExpr(m.when)};`);
  }

  clause(c: Clause): void {
    switch (c.k) {
      case 'syntax':
        return this.leaf(c.span, `syntax ${quote(c.text)};`);
      case 'encoding':
        return this.leaf(
          c.span,
          `encoding ${c.items.map((i) => (i.k === 'little' ? `little(${i.items.map(encBitsText).join(' ')})` : encBitsText(i))).join(' ')}${
            c.when.length ? ` when ${c.when.map((w) => `${w.operand.text} != ${num(w.value)}`).join(' && ')}` : ''
          };`,
        );
      case 'claims':
        return this.leaf(c.span, `claims ${c.claims.map((x) => `${x.negated ? 'not ' : ''}${x.claim}`).join(', ')};`);
      case 'semantics':
        this.block(c.span, 'semantics', () => this.stmts(c.body));
        return;
      default:
        return assertNever(c, 'clause');
    }
  }

  pseudoClause(c: PseudoClause): void {
    switch (c.k) {
      case 'syntax':
        return this.leaf(c.span, `syntax ${quote(c.text)};`);
      case 'expand':
        this.block(c.span, `expand${c.when ? ` when ${printExpr(c.when)}` : ''}`, () =>
          c.items.forEach((it) => this.leaf(it.span, `${it.instruction.text}(${it.args.map((a) => printExpr(a)).join(', ')});`)),
        );
        return;
      default:
        return assertNever(c, 'clause');
    }
  }

  bodyWithReturn(declStart: Pos, body: AstStmt[], result: AstExpr): void {
    this.stmts(body);
    // `return e;` has no node of its own: its span runs from the `return` keyword to the `;`.
    const after = body.length > 0 ? endOf(body[body.length - 1]!.span) : declStart;
    const ret = this.find('return', after);
    const semi = this.find(';', endOf(result.span));
    this.leaf(ret && semi ? spanOf(result.span.file, ret.start, semi.end) : result.span, `return ${printExpr(result)};`);
  }

  stmts(ss: AstStmt[]): void {
    for (const s of ss) this.stmt(s);
  }

  stmt(s: AstStmt): void {
    switch (s.k) {
      case 'let':
        return this.leaf(s.span, `let ${s.name.text}${s.width ? ` : ${num(s.width)}` : ''} = ${printExpr(s.value)};`);
      case 'assign':
        return this.leaf(s.span, `${printExpr(s.target)} = ${printExpr(s.value)};`);
      case 'trap':
        return this.leaf(s.span, `trap ${s.trap.text};`);
      case 'halt':
        return this.leaf(s.span, 'halt;');
      case 'for':
        this.block(s.span, `for ${s.index.text} in ${num(s.from)}..${num(s.to)}`, () => this.stmts(s.body));
        return;
      case 'if':
        this.ifStmt(s, this.codeStart(s.span), 'if');
        return;
      case 'clause':
        this.block(s.span, `clause ${s.name.text}`, () => this.stmts(s.body));
        return;
      default:
        return assertNever(s, 'statement');
    }
  }

  /** `if c { } else if d { } else { }`: an else holding exactly one `if` prints as `else if`. */
  private ifStmt(s: Extract<AstStmt, { k: 'if' }>, start: Pos, keyword: string): void {
    // The then-block's braces are the first `{` after the `if` (a condition has no braces).
    const thenClose = this.block(start, `${keyword} ${printExpr(s.cond)}`, () => this.stmts(s.then), false, s.else === undefined);
    if (s.else === undefined) return;
    const elseTok = thenClose ? this.find('else', thenClose.end) : undefined;
    const afterElse = elseTok ? this.code[this.indexAt(elseTok.start + 1)] : undefined;
    const only = s.else.length === 1 ? s.else[0]! : undefined;
    // `} else {` continues the `if`: no blank line before it.
    this.atOpen = true;
    if (only?.k === 'if' && afterElse?.image === 'if' && !this.commentBetween(thenClose!.start, afterElse.start)) {
      this.ifStmt(only, afterElse.start, '} else if');
      return;
    }
    this.block(elseTok?.start ?? start, '} else', () => this.stmts(s.else!));
  }

  private commentBetween(a: Pos, b: Pos): boolean {
    return this.comments.some((c, i) => i >= this.next && c.start > a && c.start < b);
  }
}

function spanOf(file: string, start: Pos, end: Pos): Span {
  return { file, line: lineOf(start), col: start % LINE, endLine: lineOf(end), endCol: end % LINE };
}

function role(r: string | undefined): string {
  return r ? ` ${r}` : '';
}

function operand(o: OperandDecl): string {
  const what = o.kind === 'reg' ? `reg ${o.file?.text ?? ''}` : `${o.kind} ${o.width ? num(o.width) : ''}`;
  return `${o.name.text} : ${what.trimEnd()}`;
}

/** Declarations printed over several lines get a blank line before and after them. */
function hasBlock(d: Decl): boolean {
  switch (d.k) {
    case 'register':
      return d.fields.length > 0;
    case 'modes':
    case 'translate':
    case 'trapEntry':
    case 'trapVector':
    case 'trapClause':
    case 'reset':
    case 'function':
    case 'instruction':
    case 'pseudo':
    case 'names':
      return true;
    case 'endian':
    case 'memory':
    case 'registers':
    case 'guest':
    case 'view':
    case 'fetch':
    case 'console':
    case 'trap':
    case 'assume':
    case 'remove':
      return false;
    default:
      return assertNever(d, 'declaration');
  }
}

/** Print a parsed spec; `tokens` and `comments` are the lexer's output for the same text. */
export function printSpec(ast: SpecFile, tokens: IToken[], comments: IToken[]): string {
  const p = new Printer(
    tokens,
    comments.map(tok).sort((a, b) => a.start - b.start),
  );
  p.spec(ast);
  return p.text();
}

/** One encoding item as written: `0b0110011:7`, `rd`, `rd:5`, `off[10..5]`, `off[11]`. */
function encBitsText(i: EncBits): string {
  if (i.k === 'fixed') return `${num(i.value)}:${num(i.width)}`;
  if (i.hi) return `${i.operand.text}[${num(i.hi)}${i.lo ? `..${num(i.lo)}` : ''}]`;
  return i.width ? `${i.operand.text}:${num(i.width)}` : i.operand.text;
}
