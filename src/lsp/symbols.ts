// The symbol index of a spec: every declared name (state, traps, functions, translations, modes,
// instructions, and the names local to one declaration) with the place it is declared, and every
// place it is used. Built from the AST alone, so it works as soon as a file parses, before the
// checker or the solver has said anything. Go-to-definition, references, hover and document symbols
// read only this.

import type { AstExpr, AstStmt, Decl, SpecFile } from '../syntax/index.js';
import { type Span, assertNever } from '../ir/index.js';

export type SymbolKind =
  | 'register'
  | 'field'
  | 'file'
  | 'memory'
  | 'view'
  | 'translation'
  | 'function'
  | 'trap'
  | 'instruction'
  | 'mode'
  | 'assumption'
  | 'operand'
  | 'param'
  | 'local';

export interface IsaSymbol {
  /** Unique key: `register:M`, `field:R.base`, `local:12:psw` (12 = declaration's index). */
  id: string;
  name: string;
  kind: SymbolKind;
  /** The name where it is declared. */
  span: Span;
  /** The whole declaration (for document symbols and folding). */
  declSpan: Span;
  /** One line such as `register R : 32 control`. */
  detail: string;
  doc?: string;
  /** For a field: its register; for a local, operand or param: the declaration it belongs to. */
  container?: string;
  /** Role and width of state elements (hover). */
  role?: 'mode' | 'control' | 'plain';
  width?: number;
}

export interface SymbolRef {
  id: string;
  span: Span;
}

export interface SymbolIndex {
  /** Every declaration, in source order; a name declared again with `replace` has several. */
  symbols: IsaSymbol[];
  /** Every use of a declared name (declarations themselves are not repeated here). */
  refs: SymbolRef[];
  byId: Map<string, IsaSymbol[]>;
}

const STATE_KINDS: SymbolKind[] = ['register', 'file', 'memory', 'view'];
/** A bare name in an expression: state first, then what a call or a view may name. */
const NAME_KINDS: SymbolKind[] = [...STATE_KINDS, 'function', 'translation', 'trap', 'mode', 'assumption'];

/**
 * Build the index of `spec`; `bases` are the ASTs of the files it extends (outermost first), whose
 * declarations are definitions too (uses are collected from `spec` only: that is the open file).
 */
export function buildSymbolIndex(spec: SpecFile, bases: SpecFile[] = []): SymbolIndex {
  const symbols: IsaSymbol[] = [];
  const refs: SymbolRef[] = [];
  const byId = new Map<string, IsaSymbol[]>();
  const add = (s: IsaSymbol): void => {
    symbols.push(s);
    const list = byId.get(s.id);
    if (list) list.push(s);
    else byId.set(s.id, [s]);
  };
  // Declarations first (all files), so uses that come before a declaration still resolve.
  for (const f of bases) f.decls.forEach((d, i) => declare(d, `${f.file}#${i}`, add));
  spec.decls.forEach((d, i) => declare(d, String(i), add));

  const global = new Map<string, string[]>();
  for (const s of symbols) {
    if (s.kind === 'field' || s.kind === 'operand' || s.kind === 'param' || s.kind === 'local') continue;
    const ids = global.get(s.name) ?? [];
    if (!ids.includes(s.id)) ids.push(s.id);
    global.set(s.name, ids);
  }
  const lookup = (name: string, kinds: SymbolKind[]): string | undefined => {
    const ids = global.get(name);
    if (!ids) return undefined;
    for (const k of kinds) if (ids.includes(`${k}:${name}`)) return `${k}:${name}`;
    return undefined;
  };
  spec.decls.forEach((d, i) => collectRefs(d, String(i), lookup, byId, refs));
  return { symbols, refs, byId };
}

type Add = (s: IsaSymbol) => void;

function roleOf(role: 'mode' | 'control' | undefined): 'mode' | 'control' | 'plain' {
  return role ?? 'plain';
}

function declare(d: Decl, key: string, add: Add): void {
  const base = (kind: SymbolKind, name: { text: string; span: Span }, detail: string, extra: Partial<IsaSymbol> = {}): void => {
    const s: IsaSymbol = { id: `${kind}:${name.text}`, name: name.text, kind, span: name.span, declSpan: d.span, detail, ...extra };
    if (d.doc !== undefined && s.doc === undefined) s.doc = d.doc;
    add(s);
  };
  const roleText = (r: string | undefined) => (r ? ` ${r}` : '');
  switch (d.k) {
    case 'register': {
      base('register', d.name, `${d.readonly ? 'readonly ' : ''}register ${d.name.text} : ${d.width.text}${roleText(d.role)}${d.clock ? ' clock' : ''}`, {
        role: roleOf(d.role),
        width: Number(d.width.value),
      });
      for (const f of d.fields) {
        const hi = Number(f.hi.value);
        const lo = f.lo ? Number(f.lo.value) : hi;
        const s: IsaSymbol = {
          id: `field:${d.name.text}.${f.name.text}`,
          name: f.name.text,
          kind: 'field',
          span: f.name.span,
          declSpan: f.span,
          detail: `field ${d.name.text}.${f.name.text} = ${f.lo ? `${f.hi.text}..${f.lo.text}` : f.hi.text}${roleText(f.role ?? d.role)}`,
          container: d.name.text,
          // A field inherits its register's role unless it names its own.
          role: roleOf(f.role ?? d.role),
          width: hi - lo + 1,
        };
        if (f.doc !== undefined) s.doc = f.doc;
        add(s);
      }
      return;
    }
    case 'registers':
      base('file', d.name, `${d.readonly ? 'readonly ' : ''}registers ${d.name.text}[${d.count.text}] : ${d.width.text}${roleText(d.role)}`, {
        role: roleOf(d.role),
        width: Number(d.width.value),
      });
      return;
    case 'memory':
      base('memory', d.name, `memory ${d.name.text} : ${d.wordWidth.text} [${d.size.text}]${roleText(d.role)}`, {
        role: roleOf(d.role),
        width: Number(d.wordWidth.value),
      });
      return;
    case 'view':
      base('view', d.name, `view ${d.name.text} = ${d.memory.text} via ${d.translation.text}`, { role: 'plain' });
      return;
    case 'translate':
      base('translation', d.name, `translate ${d.name.text}(${d.param.name.text} : ${d.param.width.text}) : ${d.resultWidth.text}`);
      local('param', d.param.name, key, d.name.text, `${d.param.name.text} : ${d.param.width.text}`, d.span, add);
      declareLets(d.body, key, d.name.text, add);
      return;
    case 'function':
      base('function', d.name, `function ${d.name.text}(${d.params.map((p) => `${p.name.text} : ${p.width.text}`).join(', ')}) : ${d.resultWidth.text}`);
      for (const p of d.params) local('param', p.name, key, d.name.text, `${p.name.text} : ${p.width.text}`, d.span, add);
      declareLets(d.body, key, d.name.text, add);
      return;
    case 'trap':
      base('trap', d.name, `trap ${d.name.text} kind ${d.kind.text} vector ${d.vector.text}`);
      return;
    case 'assume':
      base('assumption', d.name, `assume ${d.name.text}`);
      return;
    case 'names':
      return; // assembler names, not names of the spec's semantics
    case 'modes':
      for (const m of d.modes) {
        const s: IsaSymbol = { id: `mode:${m.name.text}`, name: m.name.text, kind: 'mode', span: m.name.span, declSpan: m.span, detail: `mode ${m.name.text}` };
        if (m.doc !== undefined) s.doc = m.doc;
        add(s);
      }
      return;
    case 'instruction': {
      const ops = d.operands.map((o) => `${o.name.text} : ${o.kind} ${o.file ? o.file.text : (o.width?.text ?? '')}`);
      base('instruction', d.name, `instruction ${d.name.text}(${ops.join(', ')})`);
      for (const o of d.operands)
        local('operand', o.name, key, d.name.text, `operand ${o.name.text} : ${o.kind} ${o.file ? o.file.text : (o.width?.text ?? '')}`, o.span, add);
      for (const c of d.clauses) if (c.k === 'semantics') declareLets(c.body, key, d.name.text, add);
      return;
    }
    case 'pseudo': {
      // Completion and hover offer a pseudo-instruction where they offer instructions.
      const ops = d.operands.map((o) => `${o.name.text} : ${o.kind} ${o.file ? o.file.text : (o.width?.text ?? '')}`);
      base('instruction', d.name, `pseudo ${d.name.text}(${ops.join(', ')})`);
      for (const o of d.operands)
        local('operand', o.name, key, d.name.text, `operand ${o.name.text} : ${o.kind} ${o.file ? o.file.text : (o.width?.text ?? '')}`, o.span, add);
      return;
    }
    case 'trapEntry':
    case 'trapVector':
    case 'trapClause':
    case 'reset':
      declareLets(d.body, key, d.k === 'reset' ? 'reset' : 'trap entry', add);
      return;
    case 'endian':
    case 'guest':
    case 'fetch':
    case 'console':
    case 'remove':
      // Nothing declared here is a symbol.
      return;
    default:
      return assertNever(d, 'declaration');
  }
}

function local(
  kind: 'operand' | 'param' | 'local',
  name: { text: string; span: Span },
  key: string,
  container: string,
  detail: string,
  declSpan: Span,
  add: Add,
): void {
  add({ id: `local:${key}:${name.text}`, name: name.text, kind, span: name.span, declSpan, detail, container });
}

function declareLets(body: AstStmt[], key: string, container: string, add: Add): void {
  for (const s of body) {
    if (s.k === 'let') local('local', s.name, key, container, `let ${s.name.text}${s.width ? ` : ${s.width.text}` : ''}`, s.span, add);
    else if (s.k === 'for') {
      local('local', s.index, key, container, `for ${s.index.text} in ${s.from.text}..${s.to.text}`, s.span, add);
      declareLets(s.body, key, container, add);
    } else if (s.k === 'if') {
      declareLets(s.then, key, container, add);
      if (s.else) declareLets(s.else, key, container, add);
    } else if (s.k === 'clause') declareLets(s.body, key, container, add);
  }
}

type Lookup = (name: string, kinds: SymbolKind[]) => string | undefined;

function collectRefs(d: Decl, key: string, lookup: Lookup, byId: Map<string, IsaSymbol[]>, refs: SymbolRef[]): void {
  const push = (id: string | undefined, span: Span): void => {
    if (id !== undefined) refs.push({ id, span });
  };
  // Names local to this declaration (operands, params, lets, loop indexes) win over global ones;
  // the checker forbids shadowing, so there is no ambiguity to resolve.
  const localId = (name: string): string | undefined => (byId.has(`local:${key}:${name}`) ? `local:${key}:${name}` : undefined);
  const nameRef = (name: string, span: Span, kinds: SymbolKind[] = NAME_KINDS) => push(localId(name) ?? lookup(name, kinds), span);

  const expr = (e: AstExpr): void => {
    switch (e.k) {
      case 'name':
        nameRef(e.name.text, e.name.span);
        return;
      case 'member':
        expr(e.base);
        if (e.base.k === 'name')
          push(byId.has(`field:${e.base.name.text}.${e.field.text}`) ? `field:${e.base.name.text}.${e.field.text}` : undefined, e.field.span);
        return;
      case 'index':
        expr(e.base);
        expr(e.index);
        if (e.lo) expr(e.lo);
        return;
      case 'call':
        nameRef(e.callee.text, e.callee.span, ['function', 'translation']);
        e.args.forEach(expr);
        return;
      case 'unary':
      case 'paren':
        expr(e.a);
        return;
      case 'binary':
        expr(e.a);
        expr(e.b);
        return;
      case 'cond':
        expr(e.cond);
        expr(e.then);
        expr(e.else);
        return;
      case 'num':
      case 'char':
        return;
      default:
        return assertNever(e, 'expression');
    }
  };
  const stmts = (body: AstStmt[]): void => {
    for (const s of body) {
      switch (s.k) {
        case 'let':
          expr(s.value);
          break;
        case 'assign':
          expr(s.target);
          expr(s.value);
          break;
        case 'if':
          expr(s.cond);
          stmts(s.then);
          if (s.else) stmts(s.else);
          break;
        case 'trap':
          nameRef(s.trap.text, s.trap.span, ['trap']);
          break;
        case 'for':
        case 'clause':
          stmts(s.body);
          break;
        case 'halt':
          break;
        default:
          assertNever(s, 'statement');
      }
    }
  };

  switch (d.k) {
    case 'modes':
      for (const m of d.modes) expr(m.when);
      return;
    case 'guest':
      nameRef(d.mode.text, d.mode.span, ['mode']);
      return;
    case 'translate':
    case 'function':
      stmts(d.body);
      expr(d.result);
      return;
    case 'view':
      nameRef(d.memory.text, d.memory.span, ['memory']);
      nameRef(d.translation.text, d.translation.span, ['translation']);
      return;
    case 'fetch':
      nameRef(d.space.text, d.space.span, ['view', 'memory']);
      nameRef(d.pc.text, d.pc.span, ['register']);
      return;
    case 'console':
      nameRef(d.space.text, d.space.span, ['view', 'memory']);
      return;
    case 'trap':
      if (d.timer) expr(d.timer.when);
      return;
    case 'trapEntry':
    case 'trapVector':
    case 'trapClause':
    case 'reset':
      stmts(d.body);
      return;
    case 'pseudo':
      for (const o of d.operands) if (o.file) nameRef(o.file.text, o.file.span, ['file']);
      for (const c of d.clauses) {
        if (c.k !== 'expand') continue;
        if (c.when) expr(c.when);
        for (const it of c.items) {
          nameRef(it.instruction.text, it.instruction.span, ['instruction']);
          for (const a of it.args) expr(a);
        }
      }
      return;
    case 'assume':
      expr(d.holds);
      return;
    case 'instruction':
      for (const o of d.operands) if (o.file) nameRef(o.file.text, o.file.span, ['file']);
      for (const c of d.clauses) {
        if (c.k === 'semantics') stmts(c.body);
        else if (c.k === 'encoding') {
          for (const it of c.items.flatMap((i) => (i.k === 'little' ? i.items : [i]))) if (it.k === 'field') push(localId(it.operand.text), it.operand.span);
          for (const w of c.when) push(localId(w.operand.text), w.operand.span);
        }
      }
      return;
    case 'remove': {
      const kind: Record<string, SymbolKind> = {
        register: 'register',
        registers: 'file',
        memory: 'memory',
        view: 'view',
        translate: 'translation',
        function: 'function',
        trap: 'trap',
        instruction: 'instruction',
        pseudo: 'instruction',
        assume: 'assumption',
      };
      nameRef(d.name.text, d.name.span, [kind[d.what]!]);
      return;
    }
    case 'endian':
    case 'register':
    case 'registers':
    case 'memory':
    case 'names':
      // No expression or name reference in these declarations (names are the assembler's).
      return;
    default:
      return assertNever(d, 'declaration');
  }
}

// ---- queries by position (1-based line and column, as in spans) ----

function contains(s: Span, line: number, col: number): boolean {
  if (line < s.line || line > s.endLine) return false;
  if (line === s.line && col < s.col) return false;
  // The end is exclusive, but a cursor just after a name still means that name.
  if (line === s.endLine && col > s.endCol) return false;
  return true;
}

/** The symbol declared or used at a place in the indexed file, with the span of the name there. */
export function symbolAt(index: SymbolIndex, file: string, line: number, col: number): { symbol: IsaSymbol; span: Span } | undefined {
  // Names are on one line: the narrowest match is the name itself, not an enclosing declaration.
  for (const s of index.symbols) if (s.span.file === file && contains(s.span, line, col)) return { symbol: s, span: s.span };
  for (const r of index.refs) {
    if (r.span.file === file && contains(r.span, line, col)) {
      const s = index.byId.get(r.id)?.[0];
      if (s) return { symbol: s, span: r.span };
    }
  }
  return undefined;
}

/** Every declaration of a symbol (a base spec's and each `replace`). */
export function definitionsOf(index: SymbolIndex, id: string): IsaSymbol[] {
  return index.byId.get(id) ?? [];
}

/** Every place a symbol is named: its declarations (if asked) and its uses, in source order. */
export function referencesOf(index: SymbolIndex, id: string, includeDeclaration: boolean): Span[] {
  const out: Span[] = [];
  if (includeDeclaration) for (const s of definitionsOf(index, id)) out.push(s.span);
  for (const r of index.refs) if (r.id === id) out.push(r.span);
  return out;
}
