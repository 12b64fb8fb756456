// CST -> AST. Only called on a CST without syntax errors (recovered trees can miss children).
// Spans are 1-based, end exclusive. Doc comments (`///`) directly above a declaration, field,
// mode, trap or instruction attach to it; consecutive lines join with "\n".

import type { CstNode, IToken, CstElement } from 'chevrotain';
import type { Span } from './span.js';
import type * as A from './ast.js';
import { parseCharLit, parseNumber, parseStringLit, DocComment } from './tokens.js';
import { BINARY_PRECEDENCE } from './operators.js';

type Children = Record<string, CstElement[] | undefined>;

/** Deepest bracket or prefix-operator nesting accepted (checked on tokens before parsing). */
export const MAX_NESTING = 100;
/** Most binary operators in one chain (`a + b + ...`): each one deepens the tree by a level. */
export const MAX_CHAIN = 1000;

/** Raised when an expression chain is too long to become a tree later stages can walk. */
export class TooDeepError extends Error {
  constructor(readonly token: IToken) {
    super('expression too deep');
  }
}

function isToken(e: CstElement): e is IToken {
  return (e as IToken).image !== undefined;
}

export class AstBuilder {
  /** Comment tokens in source order, and significant tokens (for "what precedes this node"). */
  constructor(
    private readonly file: string,
    private readonly comments: IToken[],
    private readonly tokens: IToken[],
    text: string,
  ) {
    // Line breaks as the lexer counts them: \n, \r\n, or a lone \r.
    const starts = [0];
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
    }
    this.lineStarts = starts;
  }

  // ---- Helpers ----

  private tokSpan(t: IToken): Span {
    return {
      file: this.file,
      line: t.startLine ?? 1,
      col: t.startColumn ?? 1,
      endLine: t.endLine ?? t.startLine ?? 1,
      endCol: (t.endColumn ?? t.startColumn ?? 0) + 1,
    };
  }

  /** Offsets where each line starts (node locations carry offsets only: cheaper to track). */
  private lineStarts: number[] | undefined;

  private position(offset: number): { line: number; col: number } {
    const starts = this.lineStarts!;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  }

  private nodeSpan(n: CstNode): Span {
    const l = n.location!;
    const s = this.position(l.startOffset);
    const e = this.position(Number.isFinite(l.endOffset) ? l.endOffset! : l.startOffset);
    return { file: this.file, line: s.line, col: s.col, endLine: e.line, endCol: e.col + 1 };
  }

  private join(a: Span, b: Span): Span {
    return { file: this.file, line: a.line, col: a.col, endLine: b.endLine, endCol: b.endCol };
  }

  private tok(c: Children, key: string, i = 0): IToken {
    return c[key]![i] as IToken;
  }

  private optTok(c: Children, key: string, i = 0): IToken | undefined {
    return c[key]?.[i] as IToken | undefined;
  }

  private node(c: Children, key: string, i = 0): CstNode {
    return c[key]![i] as CstNode;
  }

  private optNode(c: Children, key: string, i = 0): CstNode | undefined {
    return c[key]?.[i] as CstNode | undefined;
  }

  private nodes(c: Children, key: string): CstNode[] {
    return (c[key] ?? []) as CstNode[];
  }

  private toks(c: Children, key: string): IToken[] {
    return (c[key] ?? []) as IToken[];
  }

  private name(t: IToken): A.Name {
    return { text: t.image, span: this.tokSpan(t) };
  }

  private num(t: IToken): A.NumberLit {
    // Malformed numbers were reported by the lexer pass; they never reach a successful build.
    return { value: parseNumber(t.image) ?? 0n, text: t.image, span: this.tokSpan(t) };
  }

  /** Any token's first element in source order among several keys. */
  private firstOf(c: Children, keys: string[]): IToken | undefined {
    let best: IToken | undefined;
    for (const k of keys) for (const e of c[k] ?? []) if (isToken(e) && (!best || e.startOffset < best.startOffset)) best = e;
    return best;
  }

  /** The doc comment directly above a node starting at `offset` on `line`, if any. */
  private docBefore(offset: number, line: number): string | undefined {
    // The last significant token before the node: comments after it may document the node.
    const prevEnd = this.prevTokenEnd(offset);
    const lines: string[] = [];
    let expected = line - 1;
    let i = this.lastCommentBefore(offset);
    for (; i >= 0; i--) {
      const c = this.comments[i]!;
      if (c.startOffset <= prevEnd) break;
      if (c.tokenType !== DocComment || c.startLine !== expected) break;
      lines.unshift(c.image.slice(3).replace(/^ /, ''));
      expected--;
    }
    return lines.length ? lines.join('\n') : undefined;
  }

  private lastCommentBefore(offset: number): number {
    let lo = 0;
    let hi = this.comments.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.comments[mid]!.startOffset < offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  private prevTokenEnd(offset: number): number {
    let lo = 0;
    let hi = this.tokens.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.tokens[mid]!.startOffset < offset) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans < 0 ? -1 : (this.tokens[ans]!.endOffset ?? this.tokens[ans]!.startOffset);
  }

  private docOf(n: CstNode): string | undefined {
    return this.docBefore(n.location!.startOffset, this.position(n.location!.startOffset).line);
  }

  // ---- Top level ----

  spec(n: CstNode): A.SpecFile {
    const c = n.children;
    const header = this.node(c, 'header');
    const hc = header.children;
    const spec: A.SpecFile = {
      file: this.file,
      name: this.name(this.tok(hc, 'Identifier')),
      extends: this.nodes(c, 'extendsDecl').map((e) => {
        const s = this.tok(e.children, 'StringLit');
        return { path: parseStringLit(s.image), span: this.tokSpan(s) };
      }),
      decls: this.nodes(c, 'declaration').map((d) => this.declaration(d)),
      span: this.nodeSpan(n),
    };
    const doc = this.docOf(header);
    if (doc !== undefined) spec.doc = doc;
    return spec;
  }

  private declaration(n: CstNode): A.Decl {
    const c = n.children;
    const doc = this.docOf(n);
    const span = this.nodeSpan(n);
    const withDoc = <D extends A.Decl>(d: D): D => {
      if (doc !== undefined) d.doc = doc;
      d.span = span;
      return d;
    };
    const rm = this.optNode(c, 'removeDecl');
    if (rm) {
      const rc = rm.children;
      const what = this.firstOf(rc, [
        'KwRegister',
        'KwRegisters',
        'KwMemory',
        'KwView',
        'KwTranslate',
        'KwFunction',
        'KwTrap',
        'KwInstruction',
        'KwPseudo',
        'KwAssume',
      ])!;
      return withDoc({ k: 'remove', what: what.image as A.RemovableKind, name: this.name(this.tok(rc, 'Identifier')), span });
    }
    const replace = c['KwReplace'] !== undefined;
    const [key, sub] = Object.entries(c).find(([k]) => k.endsWith('Decl')) as [string, CstNode[]];
    const s = sub[0]!;
    const sc = s.children;
    switch (key) {
      case 'endianDecl':
        return withDoc({ k: 'endian', order: sc['KwLittle'] ? 'little' : 'big', replace, span });
      case 'memoryDecl': {
        const d: A.Decl = {
          k: 'memory',
          name: this.name(this.tok(sc, 'Identifier')),
          wordWidth: this.num(this.tok(sc, 'NumberLit', 0)),
          size: this.num(this.tok(sc, 'NumberLit', 1)),
          replace,
          span,
        };
        const role = this.role(sc);
        if (role) d.role = role;
        return withDoc(d);
      }
      case 'registerDecl': {
        const nums = this.toks(sc, 'NumberLit');
        const d: A.Decl = {
          k: 'register',
          name: this.name(this.tok(sc, 'Identifier')),
          width: this.num(nums[0]!),
          readonly: sc['KwReadonly'] !== undefined,
          clock: sc['KwClock'] !== undefined,
          fields: this.nodes(sc, 'fieldDecl').map((f) => this.field(f)),
          replace,
          span,
        };
        const role = this.role(sc);
        if (role) d.role = role;
        if (nums[1]) d.init = this.num(nums[1]);
        return withDoc(d);
      }
      case 'registersDecl': {
        const ids = this.toks(sc, 'Identifier');
        const nums = this.toks(sc, 'NumberLit');
        const d: A.Decl = {
          k: 'registers',
          name: this.name(ids[0]!),
          count: this.num(nums[0]!),
          width: this.num(nums[1]!),
          readonly: sc['KwReadonly'] !== undefined,
          names: ids.slice(1).map((t) => this.name(t)),
          replace,
          span,
        };
        if (nums[2]) d.zero = this.num(nums[2]);
        const role = this.role(sc);
        if (role) d.role = role;
        return withDoc(d);
      }
      case 'namesDecl':
        return withDoc({
          k: 'names',
          names: this.nodes(sc, 'nameItem').map((m) => {
            const mc = m.children;
            const nd: A.NameValueDecl = { name: this.name(this.tok(mc, 'Identifier')), value: this.num(this.tok(mc, 'NumberLit')), span: this.nodeSpan(m) };
            const ndoc = this.docOf(m);
            if (ndoc !== undefined) nd.doc = ndoc;
            return nd;
          }),
          replace,
          span,
        });
      case 'modesDecl':
        return withDoc({
          k: 'modes',
          modes: this.nodes(sc, 'modeItem').map((m) => {
            const mc = m.children;
            const md: A.ModeDecl = { name: this.name(this.tok(mc, 'Identifier')), when: this.expression(this.node(mc, 'expression')), span: this.nodeSpan(m) };
            const mdoc = this.docOf(m);
            if (mdoc !== undefined) md.doc = mdoc;
            return md;
          }),
          replace,
          span,
        });
      case 'guestDecl':
        return withDoc({ k: 'guest', mode: this.name(this.tok(sc, 'Identifier')), replace, span });
      case 'translateDecl': {
        const body = this.node(sc, 'resultBody').children;
        return withDoc({
          k: 'translate',
          name: this.name(this.tok(sc, 'Identifier')),
          param: this.param(this.node(sc, 'param')),
          resultWidth: this.num(this.tok(sc, 'NumberLit')),
          body: this.nodes(body, 'statement').map((st) => this.statement(st)),
          result: this.expression(this.node(body, 'expression')),
          replace,
          span,
        });
      }
      case 'viewDecl': {
        const ids = this.toks(sc, 'Identifier');
        return withDoc({ k: 'view', name: this.name(ids[0]!), memory: this.name(ids[1]!), translation: this.name(ids[2]!), replace, span });
      }
      case 'fetchDecl': {
        const ids = this.toks(sc, 'Identifier');
        return withDoc({ k: 'fetch', space: this.name(ids[0]!), pc: this.name(ids[1]!), replace, span });
      }
      case 'consoleDecl': {
        return withDoc({ k: 'console', space: this.name(this.toks(sc, 'Identifier')[0]!), address: this.num(this.toks(sc, 'NumberLit')[0]!), replace, span });
      }
      case 'trapDecl': {
        const nums = this.toks(sc, 'NumberLit');
        const kindTok = Object.values(this.node(sc, 'trapKind').children)[0]![0] as IToken;
        const d: A.Decl = {
          k: 'trap',
          name: this.name(this.tok(sc, 'Identifier')),
          kind: { text: kindTok.image, span: this.tokSpan(kindTok) },
          vector: this.num(nums[0]!),
          replace,
          span,
        };
        if (nums[1]) d.timer = { period: this.num(nums[1]), when: this.expression(this.node(sc, 'expression')) };
        return withDoc(d);
      }
      case 'trapEntryDecl': {
        const body = this.block(this.node(sc, 'block'));
        const vector = this.optTok(sc, 'NumberLit');
        if (vector) return withDoc({ k: 'trapVector', vector: this.num(vector), body, replace, span });
        const clause = this.optTok(sc, 'Identifier');
        if (clause) return withDoc({ k: 'trapClause', name: this.name(clause), body, replace, span });
        return withDoc({ k: 'trapEntry', body, replace, span });
      }
      case 'resetDecl':
        return withDoc({ k: 'reset', body: this.block(this.node(sc, 'block')), replace, span });
      case 'functionDecl': {
        const body = this.node(sc, 'resultBody').children;
        return withDoc({
          k: 'function',
          name: this.name(this.tok(sc, 'Identifier')),
          params: this.nodes(sc, 'param').map((p) => this.param(p)),
          resultWidth: this.num(this.tok(sc, 'NumberLit')),
          body: this.nodes(body, 'statement').map((st) => this.statement(st)),
          result: this.expression(this.node(body, 'expression')),
          replace,
          span,
        });
      }
      case 'assumeDecl':
        return withDoc({ k: 'assume', name: this.name(this.tok(sc, 'Identifier')), holds: this.expression(this.node(sc, 'expression')), replace, span });
      case 'instructionDecl':
        return withDoc({
          k: 'instruction',
          name: this.name(this.tok(sc, 'Identifier')),
          operands: this.nodes(sc, 'operand').map((o) => this.operand(o)),
          clauses: this.nodes(sc, 'clause').map((cl) => this.clause(cl)),
          replace,
          span,
        });
      case 'pseudoDecl':
        return withDoc({
          k: 'pseudo',
          name: this.name(this.tok(sc, 'Identifier')),
          operands: this.nodes(sc, 'operand').map((o) => this.operand(o)),
          clauses: [...this.nodes(sc, 'syntaxClause'), ...this.nodes(sc, 'expandClause')]
            .sort((a, b) => a.location!.startOffset - b.location!.startOffset)
            .map((cl) => this.pseudoClause(cl)),
          replace,
          span,
        });
      default:
        throw new Error(`unhandled declaration ${key}`);
    }
  }

  private role(c: Children): A.RoleWord | undefined {
    const r = this.optNode(c, 'role');
    if (!r) return undefined;
    return r.children['KwMode'] ? 'mode' : 'control';
  }

  private field(n: CstNode): A.FieldDecl {
    const c = n.children;
    const nums = this.toks(c, 'NumberLit');
    const f: A.FieldDecl = { name: this.name(this.tok(c, 'Identifier')), hi: this.num(nums[0]!), span: this.nodeSpan(n) };
    if (nums[1]) f.lo = this.num(nums[1]);
    const role = this.role(c);
    if (role) f.role = role;
    const doc = this.docOf(n);
    if (doc !== undefined) f.doc = doc;
    return f;
  }

  private param(n: CstNode): A.ParamDecl {
    const c = n.children;
    return { name: this.name(this.tok(c, 'Identifier')), width: this.num(this.tok(c, 'NumberLit')), span: this.nodeSpan(n) };
  }

  private operand(n: CstNode): A.OperandDecl {
    const c = n.children;
    const ids = this.toks(c, 'Identifier');
    const o: A.OperandDecl = { name: this.name(ids[0]!), kind: 'reg', span: this.nodeSpan(n) };
    if (c['KwReg']) {
      o.file = this.name(ids[1]!);
    } else {
      o.kind = c['KwImm'] ? 'imm' : c['KwSimm'] ? 'simm' : 'addr';
      o.width = this.num(this.tok(c, 'NumberLit'));
    }
    return o;
  }

  private encBits(n: CstNode): A.EncBits {
    const ic = n.children;
    const nums = this.toks(ic, 'NumberLit');
    const id = this.optTok(ic, 'Identifier');
    const span = this.nodeSpan(n);
    if (!id) return { k: 'fixed', value: this.num(nums[0]!), width: this.num(nums[1]!), span };
    const f: A.EncBits = { k: 'field', operand: this.name(id), span };
    if (ic['LBracket'] !== undefined) {
      f.hi = this.num(nums[0]!);
      if (nums[1]) f.lo = this.num(nums[1]);
    } else if (nums[0]) f.width = this.num(nums[0]);
    return f;
  }

  private clause(n: CstNode): A.Clause {
    const [key, sub] = Object.entries(n.children)[0] as [string, CstNode[]];
    const s = sub[0]!;
    const c = s.children;
    const span = this.nodeSpan(s);
    switch (key) {
      case 'syntaxClause':
        return { k: 'syntax', text: parseStringLit(this.tok(c, 'StringLit').image), span };
      case 'encodingClause':
        return {
          k: 'encoding',
          items: this.nodes(c, 'encodingItem').map((it): A.EncItem => {
            const ic = it.children;
            if (ic['KwLittle'] === undefined) return this.encBits(this.node(ic, 'encodingBits'));
            return { k: 'little', items: this.nodes(ic, 'encodingBits').map((b) => this.encBits(b)), span: this.nodeSpan(it) };
          }),
          when: this.nodes(c, 'encodingExclusion').map((x) => ({
            operand: this.name(this.tok(x.children, 'Identifier')),
            value: this.num(this.tok(x.children, 'NumberLit')),
            span: this.nodeSpan(x),
          })),
          span,
        };
      case 'claimsClause':
        return {
          k: 'claims',
          claims: this.nodes(c, 'claim').map((cl) => {
            const word = Object.values(this.node(cl.children, 'claimWord').children)[0]![0] as IToken;
            return { claim: word.image, negated: cl.children['KwNot'] !== undefined, span: this.nodeSpan(cl) };
          }),
          span,
        };
      case 'semanticsClause':
        return { k: 'semantics', body: this.block(this.node(c, 'block')), span };
      default:
        throw new Error(`unhandled clause ${key}`);
    }
  }

  private pseudoClause(n: CstNode): A.PseudoClause {
    const c = n.children;
    const span = this.nodeSpan(n);
    if (c['KwSyntax']) return { k: 'syntax', text: parseStringLit(this.tok(c, 'StringLit').image), span };
    const items = this.nodes(c, 'expandItem').map((it): A.ExpandItem => ({
      instruction: this.name(this.tok(it.children, 'Identifier')),
      args: this.nodes(it.children, 'expression').map((e) => this.expression(e)),
      span: this.nodeSpan(it),
    }));
    const when = this.optNode(c, 'expression');
    return when ? { k: 'expand', when: this.expression(when), items, span } : { k: 'expand', items, span };
  }

  // ---- Statements ----

  private block(n: CstNode): A.AstStmt[] {
    return this.nodes(n.children, 'statement').map((s) => this.statement(s));
  }

  private statement(n: CstNode): A.AstStmt {
    const [key, sub] = Object.entries(n.children)[0] as [string, CstNode[]];
    const s = sub[0]!;
    const c = s.children;
    const span = this.nodeSpan(s);
    switch (key) {
      case 'letStmt': {
        const st: A.AstStmt = { k: 'let', name: this.name(this.tok(c, 'Identifier')), value: this.expression(this.node(c, 'expression')), span };
        const w = this.optTok(c, 'NumberLit');
        if (w) st.width = this.num(w);
        return st;
      }
      case 'assignStmt':
        return { k: 'assign', target: this.postfix(this.node(c, 'postfix')), value: this.expression(this.node(c, 'expression')), span };
      case 'ifStmt':
        return this.ifStmt(s);
      case 'trapStmt':
        return { k: 'trap', trap: this.name(this.tok(c, 'Identifier')), span };
      case 'haltStmt':
        return { k: 'halt', span };
      case 'clauseStmt':
        return { k: 'clause', name: this.name(this.tok(c, 'Identifier')), body: this.block(this.node(c, 'block')), span };
      case 'forStmt': {
        const nums = this.toks(c, 'NumberLit');
        return {
          k: 'for',
          index: this.name(this.tok(c, 'Identifier')),
          from: this.num(nums[0]!),
          to: this.num(nums[1]!),
          body: this.block(this.node(c, 'block')),
          span,
        };
      }
      default:
        throw new Error(`unhandled statement ${key}`);
    }
  }

  private ifStmt(n: CstNode): A.AstStmt {
    const c = n.children;
    const blocks = this.nodes(c, 'block');
    const st: A.AstStmt = { k: 'if', cond: this.expression(this.node(c, 'expression')), then: this.block(blocks[0]!), span: this.nodeSpan(n) };
    const elseIf = this.optNode(c, 'ifStmt');
    if (elseIf) st.else = [this.ifStmt(elseIf)];
    else if (blocks[1]) st.else = this.block(blocks[1]);
    return st;
  }

  // ---- Expressions ----

  expression(n: CstNode): A.AstExpr {
    const c = n.children;
    const cond = this.binary(this.node(c, 'binaryExpr'));
    const rest = this.nodes(c, 'expression');
    if (rest.length === 0) return cond;
    return { k: 'cond', cond, then: this.expression(rest[0]!), else: this.expression(rest[1]!), span: this.nodeSpan(n) };
  }

  /** `u (op u)*` to a tree by precedence climbing. */
  private binary(n: CstNode): A.AstExpr {
    const operands = this.nodes(n.children, 'unaryExpr').map((u) => this.unary(u));
    const ops = this.toks(n.children, 'BinaryOperator');
    if (ops.length === 0) return operands[0]!;
    if (ops.length > MAX_CHAIN) throw new TooDeepError(ops[MAX_CHAIN]!);
    // operands[i] stands before ops[i]; `pos` is the next operator (and the operand before it).
    let pos = 0;
    const climb = (minPrec: number): A.AstExpr => {
      let lhs = operands[pos]!;
      while (pos < ops.length) {
        const op = ops[pos]!.image;
        const prec = BINARY_PRECEDENCE[op]!;
        if (prec < minPrec) break;
        pos++;
        const rhs = climb(prec + 1);
        lhs = { k: 'binary', op: op as A.AstBinOp, a: lhs, b: rhs, span: this.join(lhs.span, rhs.span) };
      }
      return lhs;
    };
    return climb(0);
  }

  private unary(n: CstNode): A.AstExpr {
    const c = n.children;
    const inner = this.optNode(c, 'unaryExpr');
    if (inner) {
      const opTok = this.firstOf(c, ['Minus', 'Tilde', 'Bang'])!;
      return { k: 'unary', op: opTok.image as '-' | '~' | '!', a: this.unary(inner), span: this.nodeSpan(n) };
    }
    return this.postfix(this.node(c, 'postfix'));
  }

  private postfix(n: CstNode): A.AstExpr {
    const c = n.children;
    let acc = this.primary(this.node(c, 'primary'));
    const suffixes: ({ k: 'index'; n: CstNode; at: number } | { k: 'member'; t: IToken; at: number })[] = [];
    for (const s of this.nodes(c, 'indexSuffix')) suffixes.push({ k: 'index', n: s, at: s.location!.startOffset });
    for (const t of this.toks(c, 'Identifier')) suffixes.push({ k: 'member', t, at: t.startOffset });
    suffixes.sort((a, b) => a.at - b.at);
    for (const s of suffixes) {
      if (s.k === 'member') {
        acc = { k: 'member', base: acc, field: this.name(s.t), span: this.join(acc.span, this.tokSpan(s.t)) };
      } else {
        const sc = s.n.children;
        const exprs = this.nodes(sc, 'expression');
        const e: A.AstExpr = { k: 'index', base: acc, index: this.expression(exprs[0]!), span: this.join(acc.span, this.nodeSpan(s.n)) };
        if (exprs[1]) e.lo = this.expression(exprs[1]);
        const w = this.optTok(sc, 'NumberLit');
        if (w) e.words = this.num(w);
        acc = e;
      }
    }
    return acc;
  }

  private primary(n: CstNode): A.AstExpr {
    const c = n.children;
    const span = this.nodeSpan(n);
    const numTok = this.optTok(c, 'NumberLit');
    if (numTok) return { k: 'num', lit: this.num(numTok), span };
    const ch = this.optTok(c, 'CharLit');
    if (ch) return { k: 'char', value: parseCharLit(ch.image) ?? 0, text: ch.image, span };
    const ext = this.optNode(c, 'extendCall');
    if (ext) {
      const ec = ext.children;
      const kw = this.firstOf(ec, ['KwZext', 'KwSext'])!;
      const w = this.tok(ec, 'NumberLit');
      return {
        k: 'call',
        callee: this.name(kw),
        args: [this.expression(this.node(ec, 'expression')), { k: 'num', lit: this.num(w), span: this.tokSpan(w) }],
        span,
      };
    }
    const nc = this.optNode(c, 'nameOrCall');
    if (nc) {
      const cc = nc.children;
      const id = this.name(this.tok(cc, 'Identifier'));
      if (cc['LParen']) return { k: 'call', callee: id, args: this.nodes(cc, 'expression').map((e) => this.expression(e)), span };
      return { k: 'name', name: id, span };
    }
    return { k: 'paren', a: this.expression(this.node(c, 'expression')), span };
  }
}
