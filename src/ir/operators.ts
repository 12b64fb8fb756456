// IR binary operators and how the spec language writes them (the JSON form's reader and the IR
// printer both need it).
import type { AstBinOp } from '../syntax/index.js';
import type { BinOp } from './types.js';

/** The IR's binary operators that are written as an infix operator of the language (the signed
 *  comparisons and divisions are written as calls: slt(a, b)). */
export const BINOP_SYMBOL: Readonly<Partial<Record<BinOp, AstBinOp>>> = {
  add: '+',
  sub: '-',
  mul: '*',
  udiv: '/',
  urem: '%',
  and: '&',
  or: '|',
  xor: '^',
  shl: '<<',
  lshr: '>>',
  ashr: '>>>',
  eq: '==',
  ne: '!=',
  ult: '<',
  ule: '<=',
  ugt: '>',
  uge: '>=',
};
