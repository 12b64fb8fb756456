// isavirt as a library: the stage APIs, re-exported from one place. Each stage's own index is the
// source of truth; add a line here when a stage gains a public entry point.
export * from './ir/index.js';
export type * from './syntax/ast.js';
export { formatSpec, printExpr, printSpec, type FormatResult } from './ir/format.js';
