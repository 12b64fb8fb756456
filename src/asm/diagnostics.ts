// Diagnostics of the assembler: the ISA6xxx section of the one catalogue (src/syntax/diagnostics.ts).
// An assembler diagnostic always has a place in the program.

import type { Span } from '../ir/index.js';
import { diag, Diagnostics, renderDiagnostic, type Diagnostic, type DiagnosticTemplate } from '../syntax/index.js';

export { didYouMean } from '../syntax/index.js';

export interface AsmDiagnostic extends Diagnostic {
  span: Span;
}

/** The ISA6xxx templates, by short name. */
export const ASM = {
  unknownMnemonic: Diagnostics.AsmUnknownMnemonic,
  wrongOperands: Diagnostics.AsmWrongOperands,
  outOfRange: Diagnostics.AsmOutOfRange,
  undefinedSymbol: Diagnostics.AsmUndefinedSymbol,
  duplicateSymbol: Diagnostics.AsmDuplicateSymbol,
  unknownDirective: Diagnostics.AsmUnknownDirective,
  badNumber: Diagnostics.AsmBadNumber,
  badChar: Diagnostics.AsmBadChar,
  badString: Diagnostics.AsmBadString,
  overlap: Diagnostics.AsmOverlap,
  outsideMemory: Diagnostics.AsmOutsideMemory,
  badStatement: Diagnostics.AsmBadStatement,
  registerAsSymbol: Diagnostics.AsmRegisterAsSymbol,
  tooLarge: Diagnostics.AsmTooLarge,
  unsettled: Diagnostics.AsmUnsettled,
  badSpec: Diagnostics.AsmBadSpec,
  directiveArgs: Diagnostics.AsmDirectiveArgs,
  equCycle: Diagnostics.AsmEquCycle,
  badExpression: Diagnostics.AsmBadExpression,
  noExpansion: Diagnostics.AsmNoExpansion,
  internal: Diagnostics.AsmInternal,
} as const satisfies Record<string, DiagnosticTemplate>;

/** The codes, by short name (for tests and callers that switch on them). */
export const ASM_CODES = Object.fromEntries(Object.entries(ASM).map(([k, v]) => [k, v.code])) as {
  [K in keyof typeof ASM]: (typeof ASM)[K]['code'];
};

export function asmError(t: DiagnosticTemplate, args: readonly (string | number)[], span: Span, hint?: string): AsmDiagnostic {
  return diag(t, args, span, hint === undefined ? undefined : { hint }) as AsmDiagnostic;
}

/** `file:line:col: error ISA6001: message`, the source line with a caret, and the hint. */
export function formatAsmDiagnostic(d: AsmDiagnostic, source?: string, opts: { color: boolean } = { color: false }): string {
  return renderDiagnostic(d, source, opts);
}
