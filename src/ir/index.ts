// The public API of the front end: load or parse a spec into the IR, export it as JSON, and
// render diagnostics.

export type * from './types.js';
export { MAX_WIDTH } from './types.js';
export { loadIsaFile, loadIsaSource, parseIsaText, frontEnd, fsHost, type LoadResult, type FrontEnd, type FileHost, type CheckOptions } from './load.js';
export { exportIsaJson, parseIsaJson, isaSchemaValidator } from './json.js';
export { checkSpec, resolveExtends, CLAIMS, MAX_IR_NODES, addrWidth } from './check.js';
export { parseText, type ParseResult } from '../syntax/index.js';
export { Diagnostics, renderDiagnostic, didYouMean, sortDiagnostics, type Diagnostic, type DiagnosticTemplate } from '../syntax/index.js';
export { coveredBits, excluded, extractOperands, fieldRuns, fixedBits, insertOperands } from './encoding.js';
export { formatSpec, printExpr, printSpec, type FormatResult } from './format.js';
export { isaIndex, derived, derivedKey, type IsaIndex, type DerivedKey } from './lookup.js';
export { assertNever, forEachChildExpr, forEachChildStmt, forEachLValueExpr, walkExpr, walkStmts, mapChildExpr, mapLValueExpr } from './walk.js';
export { BINOP_SYMBOL } from './operators.js';
