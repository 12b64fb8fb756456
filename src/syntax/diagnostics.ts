// The one catalogue of diagnostics, with stable codes (like the TypeScript compiler's
// diagnosticMessages): ISA1xxx lexical and syntax, ISA2xxx names and declarations, ISA3xxx types
// and widths, ISA4xxx encodings, ISA5xxx files and JSON. Messages use {0}, {1}... placeholders.
// Codes never change meaning once published: add new ones, do not renumber.

import leven from 'leven';
import type { Span } from './span.js';

export interface DiagnosticTemplate {
  code: string;
  message: string;
  severity?: 'error' | 'warning';
}

export const Diagnostics = {
  // ---- ISA1xxx: lexical and syntax ----
  UnexpectedCharacter: { code: 'ISA1001', message: 'unexpected character {0}' },
  UnterminatedString: { code: 'ISA1002', message: 'unterminated string literal' },
  UnterminatedComment: { code: 'ISA1003', message: 'unterminated block comment' },
  InvalidNumber: { code: 'ISA1004', message: "invalid number '{0}'" },
  InvalidCharLiteral: { code: 'ISA1005', message: 'invalid character literal {0}' },
  UnexpectedToken: { code: 'ISA1010', message: 'expected {0} but found {1}' },
  NoViableAlternative: { code: 'ISA1011', message: 'expected {0} but found {1}' },
  ExpectedAtLeastOne: { code: 'ISA1012', message: 'expected at least one {0} but found {1}' },
  ExpectedDeclaration: { code: 'ISA1013', message: 'expected a declaration but found {0}' },
  KeywordAsName: { code: 'ISA1014', message: "'{0}' is a keyword and cannot be used as a name" },
  MissingIsaHeader: { code: 'ISA1015', message: "a spec must begin with 'isa NAME;' but found {0}" },
  TooDeep: { code: 'ISA1016', message: 'expression nested or chained too deeply (the limit is {0})' },
  TooManyErrors: { code: 'ISA1017', message: 'too many syntax errors; stopped after {0}' },
  BlocksTooDeep: { code: 'ISA1018', message: 'blocks nested too deeply: if, for and other blocks may nest at most {0} levels' },

  // ---- ISA2xxx: names and declarations ----
  DuplicateDeclaration: { code: 'ISA2001', message: "duplicate {0} '{1}' (first declared at {2})" },
  UnknownName: { code: 'ISA2002', message: "unknown name '{0}'" },
  UnknownTrap: { code: 'ISA2003', message: "unknown trap '{0}'" },
  UnknownField: { code: 'ISA2004', message: "register '{0}' has no field '{1}'" },
  UnknownFunction: { code: 'ISA2005', message: "unknown function '{0}'" },
  UnknownRegisterFile: { code: 'ISA2006', message: "unknown register file '{0}'" },
  UnknownMode: { code: 'ISA2007', message: "unknown mode '{0}'" },
  NoModes: { code: 'ISA2008', message: 'the spec declares no modes: there is no most-privileged mode' },
  MissingFetch: { code: 'ISA2009', message: "the spec has no 'fetch' declaration" },
  NoInstructions: { code: 'ISA2010', message: 'the spec declares no instructions' },
  ReadonlyAssignment: { code: 'ISA2011', message: "cannot assign to '{0}': it is read-only" },
  NotAssignable: { code: 'ISA2012', message: 'cannot assign to {0}' },
  NotAllowedHere: { code: 'ISA2013', message: '{0} is not allowed in {1}' },
  ReplaceMissing: { code: 'ISA2014', message: "'replace' names no existing {0} '{1}'" },
  RemoveMissing: { code: 'ISA2015', message: "cannot remove {0} '{1}': no such declaration" },
  ExtendsCycle: { code: 'ISA2016', message: 'extends cycle: {0}' },
  SingleDeclRepeated: { code: 'ISA2017', message: "a spec has one '{0}' declaration; write 'replace {0}' to change it" },
  Shadowing: { code: 'ISA2018', message: "'{0}' shadows {1}" },
  WrongKindOfName: { code: 'ISA2019', message: "'{0}' is {1}, not {2}" },
  ModePredicateReadsNonMode: { code: 'ISA2020', message: "mode predicate reads '{0}', which is not mode state" },
  FunctionReadsState: {
    code: 'ISA2021',
    message: "function '{0}' reads '{1}': a function may read only its parameters (grammar/LANGUAGE.md, \"Functions\"); pass it as an argument",
  },
  UnknownClaim: { code: 'ISA2022', message: "unknown claim '{0}'" },
  ConflictingClaims: { code: 'ISA2023', message: "claim '{0}' is made twice or both asserted and negated" },
  DuplicateClause: { code: 'ISA2024', message: "instruction '{0}' has more than one {1} clause" },
  MissingClause: { code: 'ISA2025', message: "instruction '{0}' has no {1} clause" },
  BuiltinNotAvailable: { code: 'ISA2026', message: "'{0}' is only available in {1}" },
  WrongArgCount: { code: 'ISA2027', message: "'{0}' takes {1} argument(s) but {2} were given" },
  TimerNotInterrupt: { code: 'ISA2028', message: "trap '{0}' has a timer ('every') but its kind is '{1}'; timers raise interrupt traps" },
  UsedBeforeDeclared: { code: 'ISA2029', message: "function '{0}' is used before its declaration (functions may call only earlier functions)" },
  ViewInTranslation: { code: 'ISA2030', message: "translation '{0}' reads view '{1}'; a translation may read only physical memory" },
  NotAValue: { code: 'ISA2031', message: "'{0}' is {1} and has no value by itself" },
  RemoveWrongKind: { code: 'ISA2032', message: "'{0}' is {1}, not {2}" },
  TooManyDeclarations: { code: 'ISA2033', message: 'the spec has {0} declarations, more than the limit of {1} (grammar/LANGUAGE.md, "Limits")' },
  UnknownExpansionTarget: { code: 'ISA2034', message: "the expansion of pseudo-instruction '{0}' names no instruction '{1}'" },
  PseudoWithoutExpansion: { code: 'ISA2035', message: "pseudo-instruction '{0}' has no expansion: write 'expand { INSTRUCTION(operands); }'" },
  PseudoReadsState: {
    code: 'ISA2036',
    message: "pseudo-instruction '{0}' reads '{1}': an expansion may use only the pseudo-instruction's operands (grammar/LANGUAGE.md, \"Pseudo-instructions\")",
  },
  UnknownTrapClause: { code: 'ISA2037', message: "the trap entry has no clause '{0}'" },
  TrapClauseWithoutReplace: {
    code: 'ISA2038',
    message: "'trap entry clause {0}' gives a clause of the trap entry a new body: write 'replace trap entry clause {0}'",
  },
  UnknownTrapVector: { code: 'ISA2039', message: "'trap entry vector {0}': no trap has vector {0}" },
  TrapVectorWithoutEntry: { code: 'ISA2040', message: "'trap entry vector {0}' needs a 'trap entry' for the other vectors" },

  // ---- ISA3xxx: types and widths ----
  WidthOutOfRange: { code: 'ISA3001', message: 'width {0} is out of range: widths are 1..64' },
  WidthMismatch: { code: 'ISA3002', message: '{0} has {1} but {2} has {3}' },
  LiteralTooWide: { code: 'ISA3003', message: 'literal {0} does not fit in {1}' },
  NoWidthContext: { code: 'ISA3004', message: 'no context gives a width to {0}; write zext({0}, W) or give the let a width' },
  NotOneBit: { code: 'ISA3005', message: '{0} must be 1 bit wide but has {1} bits' },
  NotPowerOfTwo: { code: 'ISA3006', message: '{0} must be a power of two (got {1})' },
  SliceOutOfRange: { code: 'ISA3007', message: 'bits {0}..{1} are out of range for a {2}-bit value' },
  NotConstant: { code: 'ISA3008', message: '{0} must be a constant' },
  LoopBounds: { code: 'ISA3009', message: 'loop {0}..{1} is not allowed: bounds must ascend and give at most 64 iterations' },
  ExtendNarrows: { code: 'ISA3010', message: '{0} cannot make a {1}-bit value {2} bits wide' },
  FieldOutOfRange: { code: 'ISA3011', message: "field '{0}' ({1}..{2}) does not fit in register '{3}' ({4} bits)" },
  PcWidth: { code: 'ISA3012', message: "pc register '{0}' has {1} bits but '{2}' has {3}-bit addresses" },
  TranslationWidth: { code: 'ISA3013', message: "translation '{0}' returns {1} bits but memory '{2}' has {3}-bit addresses" },
  NamesCount: { code: 'ISA3014', message: "register file '{0}' has {1} registers but {2} names" },
  MemoryTooLarge: { code: 'ISA3015', message: 'memory size {0} exceeds the limit of 2^{1} words' },
  SpecTooLarge: { code: 'ISA3016', message: 'the spec expands to more than {0} IR nodes (check nested for loops)' },
  WordsCount: { code: 'ISA3017', message: 'a multi-word access reads {0} words of {1} bits: the result must be 1..64 bits' },
  BadVector: { code: 'ISA3018', message: 'trap vector {0} does not fit in 8 bits' },
  BadPeriod: { code: 'ISA3019', message: 'timer period must be at least 1 (got {0})' },
  ZeroOutOfRange: { code: 'ISA3022', message: "register {0} hard-wired to zero is not one of the {2} registers of '{1}'" },
  InlinedTooLarge: { code: 'ISA3020', message: '{0} expands to {1} IR nodes once its function calls are inlined, more than the limit of {2}: {3}' },
  ConsoleNotBytes: { code: 'ISA3023', message: "console '{0}' has {1}-bit words; a console takes bytes (a space of 8-bit words)" },
  ConsoleOutside: { code: 'ISA3024', message: "console address {0} is not an address of '{1}' (0..{2})" },
  StateTooLarge: { code: 'ISA3021', message: 'registers and register files hold {0} bits, more than the limit of {1} (grammar/LANGUAGE.md, "Limits")' },
  ExpansionOperandType: { code: 'ISA3025', message: "operand '{0}' of '{1}' is {2}, but the expansion of '{3}' gives it {4}" },
  ExpansionDoesNotFit: {
    code: 'ISA3026',
    message: "operand '{0}' of '{1}' has {2}, but the expansion of '{3}' gives it {4}: slice or extend the value (v[11..0], zext(k, 32))",
  },

  // ---- ISA4xxx: encodings ----
  EncodingWidth: { code: 'ISA4001', message: "encoding of '{0}' is {1} bits: it must be a multiple of {2} (the fetch word width) and at most 64" },
  FieldTooNarrow: { code: 'ISA4002', message: "encoding field '{0}' has {1} bits but operand '{0}' has {2}" },
  FieldNotOperand: { code: 'ISA4003', message: "encoding field '{0}' names no operand of '{1}'" },
  OperandNotEncoded: { code: 'ISA4004', message: "operand '{0}' does not appear in the encoding of '{1}'" },
  OperandEncodedTwice: { code: 'ISA4005', message: "bit {2} of operand '{0}' appears more than once in the encoding of '{1}'" },
  EncodingOverlap: { code: 'ISA4006', message: "encodings of '{0}' and '{1}' overlap: {2} matches both" },
  FixedTooWide: { code: 'ISA4007', message: 'fixed bits {0} do not fit in {1} bits' },
  SyntaxHoleUnknown: { code: 'ISA4008', message: "syntax hole '{{0}}' names no operand of '{1}'" },
  SyntaxMalformed: { code: 'ISA4009', message: 'malformed syntax string: {0}' },
  OperandNotInSyntax: {
    code: 'ISA4010',
    message: "operand '{0}' does not appear in the syntax of '{1}', so a program cannot give it a value",
    severity: 'warning',
  },
  SliceOutsideOperand: { code: 'ISA4011', message: "encoding slice '{0}' is outside operand '{1}', whose bits are {2}..0" },
  SliceReversed: { code: 'ISA4012', message: "encoding slice '{0}' runs from bit {1} down to bit {2}: write the high bit first" },
  LittleGroupWidth: { code: 'ISA4013', message: 'a little group of {0} bits must be a whole number of {1}-bit words (the fetch word width)' },
  RelativeOperand: { code: 'ISA4014', message: "syntax hole '{{0}:{1}}': {2}" },

  // ---- ISA5xxx: files and JSON ----
  CannotReadFile: { code: 'ISA5001', message: "cannot read '{0}'" },
  JsonSchema: { code: 'ISA5002', message: '{0}' },
  InvalidJson: { code: 'ISA5003', message: 'invalid JSON: {0}' },
  // ISA5004 (retired): every finding in a `.isa.json` file, under one code. The JSON form now goes
  // through the text form's checker, so each finding has that rule's own code.
  ExtendsJson: { code: 'ISA5005', message: "cannot extend '{0}': only .isa files can be extended" },
  SpecFileTooLarge: { code: 'ISA5006', message: 'the file has {0} characters, more than the limit of {1} for a spec' },
  ExtendsOutside: {
    code: 'ISA5007',
    message: "cannot extend '{0}': it is outside the folder of the spec being checked ({1}); pass --allow-extends-outside to permit it",
  },
  ExtendsNotSpec: { code: 'ISA5008', message: "cannot extend '{0}': it is not a spec (it does not begin with 'isa NAME;')" },
  IrMismatch: { code: 'ISA5009', message: '{0} is {1} in the JSON, but the spec it describes gives {2}' },
  JsonTooDeep: { code: 'ISA5010', message: 'nested more than {0} levels deep' },
  InternalFrontEnd: { code: 'ISA5011', message: 'internal error in the front end: {0}' },

  // ---- ISA6xxx: guest programs (the assembler, src/asm; owned by the asm engineer) ----
  AsmUnknownMnemonic: { code: 'ISA6001', message: "unknown instruction '{0}'" },
  AsmWrongOperands: { code: 'ISA6002', message: 'wrong operands for {0}: unexpected {1}' },
  AsmOutOfRange: { code: 'ISA6003', message: '{0} does not fit {1}' },
  AsmUndefinedSymbol: { code: 'ISA6004', message: "undefined symbol '{0}'" },
  AsmDuplicateSymbol: { code: 'ISA6005', message: "'{0}' is already defined (line {1})" },
  AsmUnknownDirective: { code: 'ISA6006', message: "unknown directive '{0}'" },
  AsmBadNumber: { code: 'ISA6007', message: "bad number literal '{0}'" },
  AsmBadChar: { code: 'ISA6008', message: 'bad character literal {0}: {1}' },
  AsmBadString: { code: 'ISA6009', message: 'bad string literal {0}: {1}' },
  AsmOverlap: { code: 'ISA6010', message: 'this region overlaps the one from line {0} at address {1}' },
  AsmOutsideMemory: { code: 'ISA6011', message: '{0} is outside memory {1} (0..{2})' },
  AsmBadStatement: { code: 'ISA6012', message: "expected a label, an instruction or a directive but found '{0}'" },
  AsmRegisterAsSymbol: { code: 'ISA6013', message: "'{0}' is a register name and cannot be a {1}" },
  AsmTooLarge: { code: 'ISA6014', message: 'the program exceeds {0} words' },
  AsmUnsettled: { code: 'ISA6015', message: 'label addresses did not settle after {0} passes' },
  AsmBadSpec: { code: 'ISA6016', message: 'cannot assemble for {0}: {1}' },
  AsmDirectiveArgs: { code: 'ISA6017', message: 'bad arguments to {0}: {1}' },
  AsmEquCycle: { code: 'ISA6018', message: '.equ constants defined in terms of each other: {0}' },
  AsmBadExpression: { code: 'ISA6019', message: 'cannot compute {0}' },
  ElfNotLoadable: { code: 'ISA6020', message: 'cannot load this ELF file: {0}' },
  AsmNoExpansion: { code: 'ISA6021', message: 'no expansion of {0} applies to {1}' },
  AsmInternal: { code: 'ISA6099', message: 'internal assembler error: {0}' },
} as const satisfies Record<string, DiagnosticTemplate>;

export interface Diagnostic {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  span?: Span;
  /** The file, for diagnostics without a span (a JSON file, a missing file). */
  file?: string;
  /** "did you mean ..." and similar advice. */
  hint?: string;
  /** In a `.isa.json` file: the JSON pointer (RFC 6901) of the value the diagnostic is about. */
  pointer?: string;
}

/** Fill a template's {0}, {1}... placeholders. `{{0}}` renders as a literal `{` + arg + `}`. */
export function formatMessage(template: string, args: readonly (string | number)[]): string {
  return template.replace(/\{\{(\d+)\}\}|\{(\d+)\}/g, (_m, lit: string | undefined, i: string | undefined) =>
    lit !== undefined ? `{${String(args[Number(lit)] ?? '')}}` : String(args[Number(i)] ?? ''),
  );
}

/** Make a diagnostic from the catalogue. */
export function diag(
  t: DiagnosticTemplate,
  args: readonly (string | number)[],
  span?: Span,
  extra?: { hint?: string; file?: string; severity?: 'error' | 'warning'; pointer?: string },
): Diagnostic {
  // Arguments come from user text (a 5000-digit number, a huge name): keep messages readable.
  const shortArgs = args.map((a) => (typeof a === 'string' && a.length > 80 ? a.slice(0, 77) + '...' : a));
  const d: Diagnostic = { code: t.code, severity: extra?.severity ?? t.severity ?? 'error', message: formatMessage(t.message, shortArgs) };
  if (span) d.span = span;
  if (extra?.file !== undefined) d.file = extra.file;
  if (extra?.hint !== undefined) d.hint = extra.hint;
  if (extra?.pointer !== undefined) d.pointer = extra.pointer;
  return d;
}

/** Levenshtein distance (leven), capped: anything beyond `max` is `max + 1`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  return Number.isFinite(max) ? leven(a, b, { maxDistance: max + 1 }) : leven(a, b);
}

/**
 * The closest candidate to `name`, if it is close enough to be a likely typo: distance at most a
 * third of the name's length (at least 1) and less than its length; a case-only difference
 * always counts.
 */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestD = Infinity;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    if (c === name) continue;
    const d = c.toLowerCase() === lower ? 0.5 : editDistance(name, c, limit);
    // Replacing every character is not a typo: 'Q' does not suggest 'M'.
    if (d <= limit && d < name.length && (d < bestD || (d === bestD && best !== undefined && c < best))) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** The hint text for an unknown name, or undefined. */
export function didYouMeanHint(name: string, candidates: Iterable<string>): string | undefined {
  const m = didYouMean(name, candidates);
  return m === undefined ? undefined : `did you mean '${m}'?`;
}

const RED = '\x1b[31m';
const YELLOW = '\x1b[33m';
const BOLD = '\x1b[1m';
const CYAN = '\x1b[36m';
const RESET = '\x1b[0m';

/**
 * `file:line:col: error ISA1234: message`, then the source line and a caret line under the span
 * (when the source text is given), then `hint: ...`. Color only when asked.
 */
export function renderDiagnostic(d: Diagnostic, sourceText: string | undefined, opts: { color: boolean } = { color: false }): string {
  const c = (code: string, s: string): string => (opts.color ? code + s + RESET : s);
  const where = d.span ? `${d.span.file}:${d.span.line}:${d.span.col}` : (d.file ?? 'isavirt');
  const sev = c(d.severity === 'error' ? RED + BOLD : YELLOW + BOLD, d.severity);
  const lines = [`${c(BOLD, where)}: ${sev} ${d.code}: ${d.pointer !== undefined ? d.pointer + ': ' : ''}${d.message}`];
  if (d.span && sourceText !== undefined) {
    const srcLines = sourceText.split(/\r?\n/);
    const raw = srcLines[d.span.line - 1];
    if (raw !== undefined) {
      // A binary file or a minified line must not flood the terminal: show a window of the line
      // around the span, with control characters made visible (one column each).
      const window = excerptWindow(raw, d.span.col - 1);
      const text = window.text;
      const start = Math.max(0, d.span.col - 1 - window.offset);
      const endCol = d.span.endLine === d.span.line ? d.span.endCol - 1 - window.offset : text.length;
      const end = Math.max(start + 1, Math.min(endCol, text.length));
      // Keep tabs in the padding so the carets line up under tab-indented source.
      const pad = text.slice(0, start).replace(/[^\t]/g, ' ');
      const carets = '^'.repeat(Math.max(1, Math.min(end, Math.max(text.length, start + 1)) - start));
      lines.push(text);
      lines.push(pad + c(d.severity === 'error' ? RED : YELLOW, carets));
    }
  }
  if (d.hint) lines.push(`${c(CYAN, 'hint')}: ${d.hint}`);
  return lines.join('\n');
}

const EXCERPT_WIDTH = 120;

/** At most EXCERPT_WIDTH characters of a source line around column `at` (0-based); control
 *  characters other than tab become '?' so the excerpt cannot drive the terminal. */
function excerptWindow(line: string, at: number): { text: string; offset: number } {
  let offset = 0;
  let text = line;
  if (line.length > EXCERPT_WIDTH) {
    offset = Math.max(0, Math.min(at - 20, line.length - EXCERPT_WIDTH));
    text = line.slice(offset, offset + EXCERPT_WIDTH);
  }
  // eslint-disable-next-line no-control-regex
  return { text: text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?'), offset };
}

/** Order diagnostics by file, line, column (stable for equal places). */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return ds
    .map((d, i) => ({ d, i }))
    .sort((x, y) => {
      const a = x.d.span;
      const b = y.d.span;
      if (a && b) {
        if (a.file !== b.file) return a.file < b.file ? -1 : 1;
        if (a.line !== b.line) return a.line - b.line;
        if (a.col !== b.col) return a.col - b.col;
      }
      return x.i - y.i;
    })
    .map((x) => x.d);
}
