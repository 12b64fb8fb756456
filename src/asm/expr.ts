// Operand and directive expressions: numbers, characters, symbols, `.` (the address of the
// statement), unary `-` `+` `~`, binary `*` `/` `%` `+` `-` `<<` `>>` `&` `^` `|` with C's
// precedence, and parentheses. A register name is not an expression, which is how `MOV eax, ebx`
// and `MOV eax, 5` pick different instructions. Shifts are written as two adjacent `<` or `>`
// (the line lexer reads punctuation one character at a time, so a spec's syntax can use `<` alone).

import { assertNever } from '../ir/index.js';
import type { Tok } from './lex.js';

const MAX_NODES = 512;

export type AsmBinOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '&' | '^' | '|';

export type AsmExpr =
  | { k: 'num'; value: bigint; tok: Tok }
  | { k: 'sym'; name: string; tok: Tok }
  /** `.`: the address of the statement the expression is in. */
  | { k: 'here'; tok: Tok }
  | { k: 'neg'; a: AsmExpr }
  | { k: 'not'; a: AsmExpr }
  | { k: 'bin'; op: AsmBinOp; a: AsmExpr; b: AsmExpr; tok: Tok };

/** Binary operators by precedence level, loosest first (C's order). */
const LEVELS: readonly (readonly AsmBinOp[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

/** Parse toks[from, to) as exactly one expression; undefined if they are not one. On failure,
 *  `stop` (if given) receives the index of the first token that could not be read. */
export function parseExpr(toks: Tok[], from: number, to: number, isRegister: (name: string) => boolean, stop?: { at: number }): AsmExpr | undefined {
  let i = from;
  let depth = 0;
  // Bounded nesting and length keep the recursive evaluator's stack small on hostile input.
  let nodes = 0;
  const fail = (): undefined => {
    if (stop) stop.at = Math.min(i, to);
    return undefined;
  };
  const punct = (j: number, text: string): boolean => j < to && toks[j]!.k === 'punct' && toks[j]!.text === text;
  /** The operator at i of `level`, and how many tokens it takes. */
  const operatorAt = (level: readonly AsmBinOp[]): { op: AsmBinOp; n: number } | undefined => {
    for (const op of level) {
      if (op.length === 1 && punct(i, op)) return { op, n: 1 };
      if (op.length === 2 && punct(i, op[0]!) && punct(i + 1, op[1]!) && toks[i]!.endCol === toks[i + 1]!.col) return { op, n: 2 };
    }
    return undefined;
  };
  const primary = (): AsmExpr | undefined => {
    if (i >= to || ++nodes > MAX_NODES) return fail();
    const t = toks[i]!;
    if (t.k === 'punct' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      i++;
      const a = primary();
      if (!a) return undefined;
      return t.text === '-' ? { k: 'neg', a } : t.text === '~' ? { k: 'not', a } : a;
    }
    if (t.k === 'num' || t.k === 'char') {
      i++;
      return { k: 'num', value: t.value!, tok: t };
    }
    if (t.k === 'ident') {
      if (isRegister(t.text)) return fail();
      i++;
      return { k: 'sym', name: t.text, tok: t };
    }
    if (t.k === 'punct' && t.text === '.') {
      i++;
      return { k: 'here', tok: t };
    }
    if (t.k === 'punct' && t.text === '(' && depth < 64) {
      i++;
      depth++;
      const e = binary(0);
      depth--;
      if (!e) return undefined;
      if (!punct(i, ')')) return fail();
      i++;
      return e;
    }
    return fail();
  };
  const binary = (level: number): AsmExpr | undefined => {
    if (level === LEVELS.length) return primary();
    let a = binary(level + 1);
    if (!a) return undefined;
    for (;;) {
      const found = operatorAt(LEVELS[level]!);
      if (!found) break;
      const tok = toks[i]!;
      i += found.n;
      const b = binary(level + 1);
      if (!b) return undefined;
      a = { k: 'bin', op: found.op, a, b, tok };
    }
    return a;
  };
  const e = binary(0);
  if (!e) return undefined;
  if (i !== to) return fail();
  return e;
}

export type EvalResult = { ok: true; value: bigint } | { ok: false; undefined: Tok; why?: 'here' | 'divide' | 'shift' };

/** What an expression's names mean: symbols, and the address `.` stands for (undefined: none here). */
export interface EvalEnv {
  lookup(name: string): bigint | undefined;
  here?: bigint;
}

/** Shift amounts beyond this are a mistake, and would make a bigint of gigabytes. */
const MAX_SHIFT = 256n;

export function evalExpr(e: AsmExpr, env: EvalEnv): EvalResult {
  switch (e.k) {
    case 'num':
      return { ok: true, value: e.value };
    case 'sym': {
      const v = env.lookup(e.name);
      return v === undefined ? { ok: false, undefined: e.tok } : { ok: true, value: v };
    }
    case 'here':
      return env.here === undefined ? { ok: false, undefined: e.tok, why: 'here' } : { ok: true, value: env.here };
    case 'neg':
    case 'not': {
      const a = evalExpr(e.a, env);
      if (!a.ok) return a;
      return { ok: true, value: e.k === 'neg' ? -a.value : ~a.value };
    }
    case 'bin': {
      const a = evalExpr(e.a, env);
      if (!a.ok) return a;
      const b = evalExpr(e.b, env);
      if (!b.ok) return b;
      return binop(e.op, a.value, b.value, e.tok);
    }
    default:
      return assertNever(e);
  }
}

function binop(op: AsmBinOp, a: bigint, b: bigint, tok: Tok): EvalResult {
  switch (op) {
    case '+':
      return { ok: true, value: a + b };
    case '-':
      return { ok: true, value: a - b };
    case '*':
      return { ok: true, value: a * b };
    case '/':
    case '%':
      if (b === 0n) return { ok: false, undefined: tok, why: 'divide' };
      return { ok: true, value: op === '/' ? a / b : a % b };
    case '<<':
    case '>>':
      if (b < 0n || b > MAX_SHIFT) return { ok: false, undefined: tok, why: 'shift' };
      return { ok: true, value: op === '<<' ? a << b : a >> b };
    case '&':
      return { ok: true, value: a & b };
    case '^':
      return { ok: true, value: a ^ b };
    case '|':
      return { ok: true, value: a | b };
    default:
      return assertNever(op);
  }
}

/** The symbols an expression names, in order of appearance. */
export function exprSymbols(e: AsmExpr, out: Tok[] = []): Tok[] {
  switch (e.k) {
    case 'sym':
      out.push(e.tok);
      return out;
    case 'num':
    case 'here':
      return out;
    case 'neg':
    case 'not':
      return exprSymbols(e.a, out);
    case 'bin':
      exprSymbols(e.a, out);
      return exprSymbols(e.b, out);
    default:
      return assertNever(e);
  }
}

/** Whether `.` appears: such a value depends on where its statement is. */
export function usesHere(e: AsmExpr): boolean {
  switch (e.k) {
    case 'here':
      return true;
    case 'num':
    case 'sym':
      return false;
    case 'neg':
    case 'not':
      return usesHere(e.a);
    case 'bin':
      return usesHere(e.a) || usesHere(e.b);
    default:
      return assertNever(e);
  }
}

/** First and last token of an expression, for spans. */
export function exprToks(e: AsmExpr): [Tok, Tok] {
  switch (e.k) {
    case 'num':
    case 'sym':
    case 'here':
      return [e.tok, e.tok];
    case 'neg':
    case 'not':
      return [exprToks(e.a)[0], exprToks(e.a)[1]];
    case 'bin':
      return [exprToks(e.a)[0], exprToks(e.b)[1]];
    default:
      return assertNever(e);
  }
}
