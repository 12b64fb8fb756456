// The front of the pipeline: tokens, the parser, the AST, spans and the one catalogue of
// diagnostics. What other stages may use of it.

export type * from './ast.js';
export { Diagnostics, diag, didYouMean, didYouMeanHint, editDistance, renderDiagnostic, sortDiagnostics } from './diagnostics.js';
export type { Diagnostic, DiagnosticTemplate } from './diagnostics.js';
export { MAX_DECLARATIONS, MAX_SPEC_CHARS } from './limits.js';
export { parseText } from './parse.js';
export { BINARY_PRECEDENCE, CONDITIONAL_PRECEDENCE, POSTFIX_PRECEDENCE, UNARY_PRECEDENCE } from './operators.js';
export type { ParseResult } from './parse.js';
export type { Span } from './span.js';
export { IsaLexer } from './tokens.js';
