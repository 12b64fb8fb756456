// How tightly each operator binds (grammar/LANGUAGE.md, "Expressions"), loosest first: the
// conditional, the binary operators (all left-associative), unary operators, postfix forms. The
// parser builds trees by these, and the formatter and the IR printer put parentheses by them.

export const CONDITIONAL_PRECEDENCE = 1;

export const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  '||': 2,
  '&&': 3,
  '|': 4,
  '^': 5,
  '&': 6,
  '==': 7,
  '!=': 7,
  '<': 8,
  '<=': 8,
  '>': 8,
  '>=': 8,
  '++': 9,
  '<<': 10,
  '>>': 10,
  '>>>': 10,
  '+': 11,
  '-': 11,
  '*': 12,
  '/': 12,
  '%': 12,
};

export const UNARY_PRECEDENCE = 13;
export const POSTFIX_PRECEDENCE = 14;
