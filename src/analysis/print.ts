// Print IR expressions and statements back in the spec's own expression syntax, so that trap
// conditions and privilege conditions read as the author wrote them ("M == 0", "EFLAGS.IOPL < 3").
// Reports use it too.

import { assertNever, BINOP_SYMBOL, mapChildExpr, type Expr, type LValue, type Stmt } from '../ir/index.js';
import { BINARY_PRECEDENCE, CONDITIONAL_PRECEDENCE, POSTFIX_PRECEDENCE, UNARY_PRECEDENCE } from '../syntax/index.js';

const PREC = BINARY_PRECEDENCE;
const UNARY = UNARY_PRECEDENCE;
const POSTFIX = POSTFIX_PRECEDENCE;

const CALLOP = new Set(['slt', 'sle', 'sgt', 'sge', 'sdiv', 'srem']);

/** A constant as the author would likely write it: small values in decimal, others in hex. */
export function printConst(value: bigint): string {
  return value < 10n ? value.toString() : '0x' + value.toString(16);
}

export function printExpr(e: Expr): string {
  return pr(e, 0);
}

function wrap(text: string, prec: number, ctx: number): string {
  return prec < ctx ? `(${text})` : text;
}

function pr(e: Expr, ctx: number): string {
  switch (e.k) {
    case 'const':
      return printConst(BigInt(e.value));
    case 'reg':
      return e.reg;
    case 'field':
      return `${e.reg}.${e.field}`;
    case 'file':
      return `${e.file}[${pr(e.index, 0)}]`;
    case 'mem':
      return e.words === 1 ? `${e.space}[${pr(e.addr, 0)}]` : `${e.space}[${pr(e.addr, 0)}, ${e.words}]`;
    case 'operand':
    case 'local':
    case 'param':
      return e.name;
    case 'builtin':
      return e.name;
    case 'unop': {
      const sym = e.op === 'neg' ? '-' : e.width === 1 ? '!' : '~';
      return wrap(sym + pr(e.a, UNARY), UNARY, ctx);
    }
    case 'binop': {
      if (CALLOP.has(e.op)) return `${e.op}(${pr(e.a, 0)}, ${pr(e.b, 0)})`;
      let sym: string = BINOP_SYMBOL[e.op]!;
      // 1-bit and/or are the logical operators in the author's syntax.
      if (e.width === 1 && e.a.width === 1 && (e.op === 'and' || e.op === 'or')) sym = e.op === 'and' ? '&&' : '||';
      const p = PREC[sym]!;
      // Left-associative: the right operand needs parentheses at equal strength.
      return wrap(`${pr(e.a, p)} ${sym} ${pr(e.b, p + 1)}`, p, ctx);
    }
    case 'concat': {
      const p = PREC['++']!;
      return wrap(e.parts.map((x, i) => pr(x, i === 0 ? p : p + 1)).join(' ++ '), p, ctx);
    }
    case 'slice': {
      const base = pr(e.a, POSTFIX);
      return e.hi === e.lo ? `${base}[${e.hi}]` : `${base}[${e.hi}..${e.lo}]`;
    }
    case 'zext':
      return `zext(${pr(e.a, 0)}, ${e.width})`;
    case 'sext':
      return `sext(${pr(e.a, 0)}, ${e.width})`;
    case 'ite':
      return wrap(
        `${pr(e.cond, CONDITIONAL_PRECEDENCE + 1)} ? ${pr(e.then, CONDITIONAL_PRECEDENCE + 1)} : ${pr(e.else, CONDITIONAL_PRECEDENCE)}`,
        CONDITIONAL_PRECEDENCE,
        ctx,
      );
    case 'call':
      return `${e.fn}(${e.args.map((a) => pr(a, 0)).join(', ')})`;
    default:
      return assertNever(e, 'expression');
  }
}

export function printLValue(t: LValue): string {
  switch (t.k) {
    case 'reg':
      return t.reg;
    case 'field':
      return `${t.reg}.${t.field}`;
    case 'file':
      return `${t.file}[${printExpr(t.index)}]`;
    case 'mem':
      return t.words === 1 ? `${t.space}[${printExpr(t.addr)}]` : `${t.space}[${printExpr(t.addr)}, ${t.words}]`;
    default:
      return assertNever(t, 'lvalue');
  }
}

/** Statements, one per line, indented by two spaces per level. */
export function printStmts(body: Stmt[], indent = 0): string {
  const pad = '  '.repeat(indent);
  const out: string[] = [];
  for (const s of body) {
    switch (s.k) {
      case 'let':
        out.push(`${pad}let ${s.name} = ${printExpr(s.value)};`);
        break;
      case 'assign':
        out.push(`${pad}${printLValue(s.target)} = ${printExpr(s.value)};`);
        break;
      case 'trap':
        out.push(`${pad}trap ${s.trap};`);
        break;
      case 'halt':
        out.push(`${pad}halt;`);
        break;
      case 'if': {
        out.push(`${pad}if ${printExpr(s.cond)} {`);
        if (s.then.length) out.push(printStmts(s.then, indent + 1));
        if (s.else.length) {
          out.push(`${pad}} else {`);
          out.push(printStmts(s.else, indent + 1));
        }
        out.push(`${pad}}`);
        break;
      }
      default:
        assertNever(s, 'statement');
    }
  }
  return out.join('\n');
}

// ---- small IR builders used to state path conditions ----

export const TRUE: Expr = { k: 'const', width: 1, value: '0x1' };
export const FALSE: Expr = { k: 'const', width: 1, value: '0x0' };

function isConst(e: Expr, v: bigint): boolean {
  return e.k === 'const' && BigInt(e.value) === v;
}

export function andE(a: Expr, b: Expr): Expr {
  if (isConst(a, 1n)) return b;
  if (isConst(b, 1n)) return a;
  if (isConst(a, 0n) || isConst(b, 0n)) return FALSE;
  return { k: 'binop', op: 'and', width: 1, a, b };
}

export function orE(a: Expr, b: Expr): Expr {
  if (isConst(a, 0n)) return b;
  if (isConst(b, 0n)) return a;
  if (isConst(a, 1n) || isConst(b, 1n)) return TRUE;
  return { k: 'binop', op: 'or', width: 1, a, b };
}

const NEGATED: Record<string, string> = { eq: 'ne', ne: 'eq', ult: 'uge', uge: 'ult', ugt: 'ule', ule: 'ugt', slt: 'sge', sge: 'slt', sgt: 'sle', sle: 'sgt' };

/** Logical negation, pushed into a comparison when that reads better ("M != 0" not "!(M == 0)"). */
export function notE(a: Expr): Expr {
  if (isConst(a, 1n)) return FALSE;
  if (isConst(a, 0n)) return TRUE;
  if (a.k === 'binop' && NEGATED[a.op]) return { ...a, op: NEGATED[a.op] as typeof a.op };
  if (a.k === 'unop' && a.op === 'not' && a.width === 1) return a.a;
  return { k: 'unop', op: 'not', width: 1, a };
}

/** Replace locals and parameters by the expressions bound to them, so a condition stands alone. */
export function substitute(e: Expr, locals: Map<string, Expr>, params?: Map<string, Expr>): Expr {
  if (e.k === 'local') return locals.get(e.name) ?? e;
  if (e.k === 'param') return params?.get(e.name) ?? e;
  return mapChildExpr(e, (x) => substitute(x, locals, params));
}
