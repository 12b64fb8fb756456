// Text -> AST: lexing, parsing with recovery, and building, with every problem as a diagnostic.

import type { IToken, IRecognitionException } from 'chevrotain';
import type { Span } from './span.js';
import type { SpecFile } from './ast.js';
import { AstBuilder, TooDeepError, MAX_NESTING } from './build.js';
import { Diagnostics, diag, didYouMeanHint, formatMessage, type Diagnostic, type DiagnosticTemplate } from './diagnostics.js';
import { parser, StopParsing, syntaxMessage } from './parser.js';
import * as T from './tokens.js';
import { MAX_DECLARATIONS, MAX_SPEC_CHARS } from './limits.js';
import { IsaLexer, Junk, keywordSet, NumberLit, CharLit, UnterminatedComment, UnterminatedString, parseNumber, parseCharLit } from './tokens.js';

export interface ParseResult {
  /** Present when there was no lexical or syntax error. */
  ast?: SpecFile;
  /** Comment tokens (plain and doc) in source order, for a formatter. */
  comments: IToken[];
  /** The significant tokens in source order (empty when lexing failed early). */
  tokens: IToken[];
  diagnostics: Diagnostic[];
}

/** Words that begin a declaration, for "did you mean" on a misspelt one. */
const declarationWords = [
  'endian',
  'memory',
  'register',
  'registers',
  'modes',
  'names',
  'guest',
  'translate',
  'view',
  'fetch',
  'trap',
  'reset',
  'function',
  'assume',
  'instruction',
  'replace',
  'remove',
  'readonly',
  'extends',
];

/** At most this many syntax errors are reported per file (recovery can cascade). */
const MAX_SYNTAX_ERRORS = 25;

function tokenSpan(file: string, t: IToken): Span {
  const line = Number.isFinite(t.startLine) ? t.startLine! : 1;
  const col = Number.isFinite(t.startColumn) ? t.startColumn! : 1;
  const endLine = Number.isFinite(t.endLine) ? t.endLine! : line;
  const endCol = Number.isFinite(t.endColumn) ? t.endColumn! + 1 : col + 1;
  return { file, line, col, endLine, endCol };
}

/** A parser error (its message is a key to the structured message, see parser.ts) as a diagnostic. */
function syntaxDiagnostic(file: string, e: IRecognitionException, lastToken: IToken | undefined): Diagnostic {
  const m = syntaxMessage(e.message);
  const t: DiagnosticTemplate = m?.template ?? Diagnostics.UnexpectedToken;
  const args = m?.args ?? ['valid syntax', T.describeToken(e.token)];
  let tok = e.token;
  const previous = (e as IRecognitionException & { previousToken?: IToken }).previousToken;
  // At end of file the token has no position: point just past the last real token.
  if (tok.tokenType?.name === 'EOF' || !Number.isFinite(tok.startLine)) {
    if (previous && Number.isFinite(previous.startLine)) tok = previous;
    else if (lastToken) tok = lastToken;
    if (tok === previous || tok === lastToken) {
      const s = tokenSpan(file, tok);
      return diag(t, args, { file, line: s.endLine, col: s.endCol, endLine: s.endLine, endCol: s.endCol + 1 });
    }
  }
  // A missing ';' is reported where it belongs: just after the previous token (TypeScript does
  // the same), not at the start of the next line.
  if (t === Diagnostics.UnexpectedToken && args[0] === "';'" && previous && Number.isFinite(previous.endLine) && previous.endLine! < (tok.startLine ?? 0)) {
    const s = tokenSpan(file, previous);
    return diag(t, args, { file, line: s.endLine, col: s.endCol, endLine: s.endLine, endCol: s.endCol + 1 });
  }
  const d = diag(t, args, tokenSpan(file, tok));
  if (t === Diagnostics.KeywordAsName) d.hint = `rename it, e.g. '${args[0]}_'`;
  else if (tok.image === '=' && (t === Diagnostics.UnexpectedToken || t === Diagnostics.NoViableAlternative)) d.hint = "to compare, write '=='";
  else if (t === Diagnostics.ExpectedDeclaration && tok.tokenType?.name === 'Identifier') {
    const m = didYouMeanHint(tok.image, declarationWords);
    if (m) d.hint = m;
  }
  return d;
}

/** Lex and parse one spec file's text. Never throws. */
export function parseText(source: string, file: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  // Before lexing: the lexer's tokens (and an editor's diagnostics) grow with the text.
  if (source.length > MAX_SPEC_CHARS)
    return {
      comments: [],
      tokens: [],
      diagnostics: [diag(Diagnostics.SpecFileTooLarge, [source.length, MAX_SPEC_CHARS], { file, line: 1, col: 1, endLine: 1, endCol: 2 })],
    };
  // A byte-order mark is not part of the text (editors do not count it in columns either).
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const lexed = IsaLexer.tokenize(text);
  for (const e of lexed.errors) {
    const span: Span = { file, line: e.line ?? 1, col: e.column ?? 1, endLine: e.line ?? 1, endCol: (e.column ?? 1) + Math.max(1, e.length) };
    const ch = text.slice(e.offset, e.offset + e.length);
    diagnostics.push(diag(Diagnostics.UnexpectedCharacter, [JSON.stringify(ch.length > 20 ? ch.slice(0, 20) + '...' : ch)], span));
  }
  for (const t of lexed.groups['errors'] ?? []) {
    if (t.tokenType === UnterminatedComment) diagnostics.push(diag(Diagnostics.UnterminatedComment, [], tokenSpan(file, t)));
    else if (t.tokenType === UnterminatedString) diagnostics.push(diag(Diagnostics.UnterminatedString, [], tokenSpan(file, t)));
    else if (t.tokenType === Junk)
      diagnostics.push(
        diag(Diagnostics.UnexpectedCharacter, [JSON.stringify(t.image.length > 20 ? t.image.slice(0, 20) + '...' : t.image)], tokenSpan(file, t)),
      );
    else diagnostics.push(diag(Diagnostics.InvalidCharLiteral, [t.image], tokenSpan(file, t)));
  }
  for (const t of lexed.tokens) {
    if (t.tokenType === NumberLit && parseNumber(t.image) === undefined) diagnostics.push(diag(Diagnostics.InvalidNumber, [t.image], tokenSpan(file, t)));
    else if (t.tokenType === CharLit && parseCharLit(t.image) === undefined)
      diagnostics.push(diag(Diagnostics.InvalidCharLiteral, [t.image], tokenSpan(file, t)));
  }
  // Junk input gives a lexical error every few characters: keep the first few, then say so.
  if (diagnostics.length > MAX_SYNTAX_ERRORS) {
    const stop = diagnostics[MAX_SYNTAX_ERRORS]!;
    diagnostics.length = MAX_SYNTAX_ERRORS;
    diagnostics.push(diag(Diagnostics.TooManyErrors, [MAX_SYNTAX_ERRORS], stop.span));
  }
  const comments = lexed.groups['comments'] ?? [];

  const deep = tooDeep(lexed.tokens);
  if (deep) {
    diagnostics.push(diag(deep.what === 'blocks' ? Diagnostics.BlocksTooDeep : Diagnostics.TooDeep, [MAX_NESTING], tokenSpan(file, deep.token)));
    return { comments, tokens: lexed.tokens, diagnostics };
  }
  // Every declaration ends with a `;` or `}` outside braces: too many of them is reported before
  // the parser builds a tree for each (4 MB of registers took 3 s to parse only to be refused).
  const over = declarationOverflow(lexed.tokens);
  if (over) {
    diagnostics.push(diag(Diagnostics.TooManyDeclarations, [`more than ${MAX_DECLARATIONS}`, MAX_DECLARATIONS], tokenSpan(file, over)));
    return { comments, tokens: lexed.tokens, diagnostics };
  }
  let cst;
  let stopped = false;
  try {
    cst = parser.parseSpec(lexed.tokens);
  } catch (err) {
    // Enough errors: report those found so far (below), with the note that there are more.
    if (err instanceof StopParsing) stopped = true;
    else {
      // Recursion limits of the JavaScript engine: report, never crash.
      const at = lexed.tokens[0] ? tokenSpan(file, lexed.tokens[0]) : { file, line: 1, col: 1, endLine: 1, endCol: 2 };
      diagnostics.push(err instanceof RangeError ? diag(Diagnostics.TooDeep, [MAX_NESTING], at) : diag(Diagnostics.TooManyErrors, [parser.errors.length], at));
      return { comments, tokens: lexed.tokens, diagnostics };
    }
  }
  const lastToken = lexed.tokens[lexed.tokens.length - 1];
  const syntaxErrors = parser.errors.slice(0, MAX_SYNTAX_ERRORS);
  const more = parser.errors.length - syntaxErrors.length;
  // A spec that does not begin with its header gets one clear message instead of a cascade.
  if (syntaxErrors.length > 0 && (lexed.tokens.length === 0 || lexed.tokens[0]!.image !== 'isa')) {
    diagnostics.push(
      diag(
        Diagnostics.MissingIsaHeader,
        [lexed.tokens[0] ? `'${lexed.tokens[0].image}'` : 'end of file'],
        lexed.tokens[0] ? tokenSpan(file, lexed.tokens[0]) : { file, line: 1, col: 1, endLine: 1, endCol: 2 },
      ),
    );
  } else {
    for (const e of syntaxErrors) {
      const d = syntaxDiagnostic(file, e, lastToken);
      // A keyword followed by ':' is a keyword used as a name (`imm : imm 8`): say so.
      if (d.code !== Diagnostics.KeywordAsName.code && keywordSet.has(e.token.image)) {
        const i = lexed.tokens.indexOf(e.token);
        if (i >= 0 && lexed.tokens[i + 1]?.image === ':') {
          diagnostics.push(diag(Diagnostics.KeywordAsName, [e.token.image], tokenSpan(file, e.token), { hint: `rename it, e.g. '${e.token.image}_'` }));
          continue;
        }
      }
      diagnostics.push(d);
    }
  }
  if (more > 0 || (stopped && parser.errors.length > 0)) {
    const last = (parser.errors[MAX_SYNTAX_ERRORS] ?? parser.errors[parser.errors.length - 1]!).token;
    diagnostics.push(
      diag(Diagnostics.TooManyErrors, [MAX_SYNTAX_ERRORS], Number.isFinite(last.startLine) ? tokenSpan(file, last) : tokenSpan(file, lastToken ?? last)),
    );
  }
  if (!cst && diagnostics.length === 0)
    diagnostics.push(
      diag(
        Diagnostics.TooManyErrors,
        [MAX_SYNTAX_ERRORS],
        lexed.tokens[0] ? tokenSpan(file, lexed.tokens[0]) : { file, line: 1, col: 1, endLine: 1, endCol: 2 },
      ),
    );
  if (diagnostics.length > 0 || !cst) return { comments, tokens: lexed.tokens, diagnostics: dedupe(diagnostics) };
  try {
    const ast = new AstBuilder(file, comments, lexed.tokens, text).spec(cst);
    return { ast, comments, tokens: lexed.tokens, diagnostics };
  } catch (err) {
    if (err instanceof TooDeepError) {
      diagnostics.push(diag(Diagnostics.TooDeep, [MAX_NESTING], tokenSpan(file, err.token)));
      return { comments, tokens: lexed.tokens, diagnostics };
    }
    diagnostics.push(
      diag(Diagnostics.UnexpectedToken, ['valid syntax', formatMessage('{0}', [String((err as Error).message)])], {
        file,
        line: 1,
        col: 1,
        endLine: 1,
        endCol: 2,
      }),
    );
    return { comments, tokens: lexed.tokens, diagnostics };
  }
}

/**
 * The first token that opens a bracket, block, prefix operator or `?:` more than MAX_NESTING levels
 * deep, and which of them it is. Checked before parsing so that hostile input cannot exhaust the
 * parser's (or a later stage's) stack, and reported where the limit is crossed.
 */
function tooDeep(tokens: IToken[]): { token: IToken; what: 'blocks' | 'expression' } | undefined {
  let depth = 0;
  let prefix = 0;
  /** `?` since the start of the statement: a chain `a ? b : c ? d : ...` nests one level per `?`. */
  let conds = 0;
  for (const t of tokens) {
    const s = t.image;
    if (s === '(' || s === '[' || s === '{') {
      // A `{` is a block (if/for/declaration body): say "blocks", not "expression", when they nest.
      if (++depth > MAX_NESTING) return { token: t, what: s === '{' ? 'blocks' : 'expression' };
    } else if (s === ')' || s === ']' || s === '}') depth = Math.max(0, depth - 1);
    if (s === '-' || s === '~' || s === '!') {
      if (++prefix > MAX_NESTING) return { token: t, what: 'expression' };
    } else prefix = 0;
    if (s === '?') {
      if (++conds > MAX_NESTING) return { token: t, what: 'expression' };
    } else if (s === ';' || s === '{' || s === '}') conds = 0;
  }
  return undefined;
}

/** The token that ends declaration MAX_DECLARATIONS + 1 of one file, if there is one. */
function declarationOverflow(tokens: IToken[]): IToken | undefined {
  let depth = 0;
  let count = 0;
  for (const t of tokens) {
    const s = t.image;
    if (s === '{') depth++;
    else if (s === '}') {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && ++count > MAX_DECLARATIONS + 1) return t;
    } else if (s === ';' && depth === 0 && ++count > MAX_DECLARATIONS + 1) return t;
  }
  return undefined;
}

/** Recovery can report the same place twice; keep the first. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const key = `${d.code}@${d.span?.line}:${d.span?.col}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
