// Operand and directive expressions: numbers, characters, symbols, unary minus, `+`, `-`, and
// parentheses. A register name is not an expression, which is how `MOV eax, ebx` and `MOV eax, 5`
// pick different instructions.

import type { Tok } from './lex.js';

const MAX_NODES = 512;

export type AsmExpr =
  | { k: 'num'; value: bigint; tok: Tok }
  | { k: 'sym'; name: string; tok: Tok }
  | { k: 'neg'; a: AsmExpr }
  | { k: 'bin'; op: '+' | '-'; a: AsmExpr; b: AsmExpr };

/** Parse toks[from, to) as exactly one expression; undefined if they are not one. On failure,
 *  `stop` (if given) receives the index of the first token that could not be read. */
export function parseExpr(
  toks: Tok[],
  from: number,
  to: number,
  isRegister: (name: string) => boolean,
  stop?: { at: number },
): AsmExpr | undefined {
  let i = from;
  let depth = 0;
  // Bounded nesting and length keep the recursive evaluator's stack small on hostile input.
  let nodes = 0;
  const fail = (): undefined => {
    if (stop) stop.at = Math.min(i, to);
    return undefined;
  };
  const primary = (): AsmExpr | undefined => {
    if (i >= to || ++nodes > MAX_NODES) return fail();
    const t = toks[i]!;
    if (t.k === 'punct' && (t.text === '-' || t.text === '+')) {
      i++;
      const a = primary();
      if (!a) return undefined;
      return t.text === '-' ? { k: 'neg', a } : a;
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
    if (t.k === 'punct' && t.text === '(' && depth < 64) {
      i++;
      depth++;
      const e = sum();
      depth--;
      if (!e) return undefined;
      if (i >= to || toks[i]!.text !== ')' || toks[i]!.k !== 'punct') return fail();
      i++;
      return e;
    }
    return fail();
  };
  const sum = (): AsmExpr | undefined => {
    let a = primary();
    if (!a) return undefined;
    while (i < to && toks[i]!.k === 'punct' && (toks[i]!.text === '+' || toks[i]!.text === '-')) {
      const op = toks[i]!.text as '+' | '-';
      i++;
      const b = primary();
      if (!b) return undefined;
      a = { k: 'bin', op, a, b };
    }
    return a;
  };
  const e = sum();
  if (!e) return undefined;
  if (i !== to) return fail();
  return e;
}

export type EvalResult = { ok: true; value: bigint } | { ok: false; undefined: Tok };

export function evalExpr(e: AsmExpr, lookup: (name: string) => bigint | undefined): EvalResult {
  switch (e.k) {
    case 'num':
      return { ok: true, value: e.value };
    case 'sym': {
      const v = lookup(e.name);
      return v === undefined ? { ok: false, undefined: e.tok } : { ok: true, value: v };
    }
    case 'neg': {
      const a = evalExpr(e.a, lookup);
      return a.ok ? { ok: true, value: -a.value } : a;
    }
    case 'bin': {
      const a = evalExpr(e.a, lookup);
      if (!a.ok) return a;
      const b = evalExpr(e.b, lookup);
      if (!b.ok) return b;
      return { ok: true, value: e.op === '+' ? a.value + b.value : a.value - b.value };
    }
  }
}

/** First and last token of an expression, for spans. */
export function exprToks(e: AsmExpr): [Tok, Tok] {
  switch (e.k) {
    case 'num':
    case 'sym':
      return [e.tok, e.tok];
    case 'neg':
      return exprToks(e.a);
    case 'bin':
      return [exprToks(e.a)[0], exprToks(e.b)[1]];
  }
}
