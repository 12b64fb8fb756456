// The one traversal of the IR's semantics, in the manner of the TypeScript compiler's
// `forEachChild`: every pass that needs to visit sub-expressions or sub-statements goes through
// these functions, and every pass that interprets a node kind switches over it exhaustively with
// `assertNever` in the default branch. A new Expr, Stmt or LValue kind is then a compile error in
// each place that must learn it, never a silently skipped read (which would make a wrong
// "innocuous" verdict).

import type { Encoding, EncodingBits, Expr, LValue, Stmt } from './types.js';

/** The exhaustiveness check: reaching it is a compile error when a switch misses a kind. */
export function assertNever(x: never, what = 'node'): never {
  throw new Error(`unhandled ${what} kind: ${JSON.stringify((x as { k?: unknown })?.k ?? x)}`);
}

/** Call `f` on each direct sub-expression of `e`, in evaluation order. */
export function forEachChildExpr(e: Expr, f: (child: Expr) => void): void {
  switch (e.k) {
    case 'const':
    case 'reg':
    case 'field':
    case 'operand':
    case 'local':
    case 'param':
    case 'builtin':
      return;
    case 'file':
      f(e.index);
      return;
    case 'mem':
      f(e.addr);
      return;
    case 'unop':
    case 'slice':
    case 'zext':
    case 'sext':
      f(e.a);
      return;
    case 'binop':
      f(e.a);
      f(e.b);
      return;
    case 'concat':
      e.parts.forEach(f);
      return;
    case 'ite':
      f(e.cond);
      f(e.then);
      f(e.else);
      return;
    case 'call':
      e.args.forEach(f);
      return;
    default:
      assertNever(e, 'expression');
  }
}

/** The expressions an lvalue evaluates (its index or address), not the location itself. */
export function forEachLValueExpr(t: LValue, f: (e: Expr) => void): void {
  switch (t.k) {
    case 'reg':
    case 'field':
      return;
    case 'file':
      f(t.index);
      return;
    case 'mem':
      f(t.addr);
      return;
    default:
      assertNever(t, 'lvalue');
  }
}

/** Call `onExpr` on each expression a statement evaluates directly (not those of nested
 *  statements) and `onStmt` on each nested statement, in order. */
export function forEachChildStmt(s: Stmt, onExpr: (e: Expr) => void, onStmt: (s: Stmt) => void): void {
  switch (s.k) {
    case 'let':
      onExpr(s.value);
      return;
    case 'assign':
      forEachLValueExpr(s.target, onExpr);
      onExpr(s.value);
      return;
    case 'if':
      onExpr(s.cond);
      s.then.forEach(onStmt);
      s.else.forEach(onStmt);
      return;
    case 'trap':
    case 'halt':
      return;
    default:
      assertNever(s, 'statement');
  }
}

/** Visit `e` and every expression below it, parents first. Return false from `f` to skip a
 *  node's children. */
export function walkExpr(e: Expr, f: (e: Expr) => boolean | void): void {
  if (f(e) === false) return;
  forEachChildExpr(e, (c) => walkExpr(c, f));
}

/** Visit every statement and every expression of a body, in order (statements before the
 *  expressions they contain). */
export function walkStmts(body: readonly Stmt[], onStmt: (s: Stmt) => void, onExpr: (e: Expr) => boolean | void): void {
  const visit = (s: Stmt): void => {
    onStmt(s);
    forEachChildStmt(s, (e) => walkExpr(e, onExpr), visit);
  };
  body.forEach(visit);
}

/** A copy of `e` with each direct child replaced by `f(child)` (a structural map). */
export function mapChildExpr(e: Expr, f: (child: Expr) => Expr): Expr {
  switch (e.k) {
    case 'const':
    case 'reg':
    case 'field':
    case 'operand':
    case 'local':
    case 'param':
    case 'builtin':
      return e;
    case 'file':
      return { ...e, index: f(e.index) };
    case 'mem':
      return { ...e, addr: f(e.addr) };
    case 'unop':
    case 'slice':
    case 'zext':
    case 'sext':
      return { ...e, a: f(e.a) };
    case 'binop':
      return { ...e, a: f(e.a), b: f(e.b) };
    case 'concat':
      return { ...e, parts: e.parts.map(f) };
    case 'ite':
      return { ...e, cond: f(e.cond), then: f(e.then), else: f(e.else) };
    case 'call':
      return { ...e, args: e.args.map(f) };
    default:
      return assertNever(e, 'expression');
  }
}

/** A copy of an lvalue with its index/address expressions mapped. */
export function mapLValueExpr(t: LValue, f: (e: Expr) => Expr): LValue {
  switch (t.k) {
    case 'reg':
    case 'field':
      return t;
    case 'file':
      return { ...t, index: f(t.index) };
    case 'mem':
      return { ...t, addr: f(t.addr) };
    default:
      return assertNever(t, 'lvalue');
  }
}

/**
 * Call `f` on each fixed or operand item of an encoding with `at`, the position of the item's
 * least significant bit in the fetch-order value (`enc.width` bits, the first fetched word most
 * significant). Items of a `little` group are stored least significant word first, so an item
 * there may fall into several runs of fetch-order bits: `f` is called once per run, with `lo` the
 * item's bit (0 = its least significant) that the run begins with.
 */
export function forEachEncodingBits(enc: Encoding, f: (it: EncodingBits, run: { at: number; width: number; lo: number }) => void): void {
  let pos = enc.width;
  for (const it of enc.items) {
    switch (it.k) {
      case 'fixed':
      case 'field':
        pos -= it.width;
        f(it, { at: pos, width: it.width, lo: 0 });
        break;
      case 'little': {
        // The group's value bit b (0 = least significant) sits in its word w = b / word, which is
        // fetched w-th: fetch-order bit (groupTop - (w + 1) * word) + b % word.
        const top = pos;
        const word = it.word;
        let inGroup = it.width;
        for (const sub of it.items) {
          inGroup -= sub.width;
          let b = inGroup; // the group's bit holding the item's bit 0
          const end = inGroup + sub.width;
          while (b < end) {
            const w = Math.floor(b / word);
            const runEnd = Math.min(end, (w + 1) * word);
            f(sub, { at: top - (w + 1) * word + (b % word), width: runEnd - b, lo: b - inGroup });
            b = runEnd;
          }
        }
        pos -= it.width;
        break;
      }
      default:
        assertNever(it, 'encoding item');
    }
  }
}
