// The lexer: every token of the `.isa` language, in one place.
//
// Keywords use `longer_alt: Identifier` so that `memory_trap` is a name, not `memory` + `_trap`.
// Hyphenated claim words (`control-sensitive`) are single tokens. Comments and doc comments go to
// the `comments` group (not skipped) so the AST builder can attach doc comments and a formatter can
// re-read plain comments by position.

import type { TokenType, IToken } from 'chevrotain';
import { createToken, Lexer } from './chevrotain.js';

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, label: 'a name' });

// Comments. `///` must be tried before `//`.
export const DocComment = createToken({ name: 'DocComment', pattern: /\/\/\/[^\n\r]*/, group: 'comments', line_breaks: false });
export const LineComment = createToken({ name: 'LineComment', pattern: /\/\/[^\n\r]*/, group: 'comments' });
export const BlockComment = createToken({ name: 'BlockComment', pattern: /\/\*[\s\S]*?\*\//, group: 'comments', line_breaks: true });
/** An unterminated block comment: its own token so the lexer reports it once, not char by char. */
export const UnterminatedComment = createToken({ name: 'UnterminatedComment', pattern: /\/\*[\s\S]*/, group: 'errors', line_breaks: true });

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n\f]+/, group: Lexer.SKIPPED, line_breaks: true });

export const StringLit = createToken({ name: 'StringLit', pattern: /"(?:[^"\\\n\r]|\\.)*"/, label: 'a string' });
export const UnterminatedString = createToken({ name: 'UnterminatedString', pattern: /"(?:[^"\\\n\r]|\\.)*/, group: 'errors' });
export const CharLit = createToken({ name: 'CharLit', pattern: /'(?:[^'\\\n\r]|\\.)'/, label: 'a character literal' });
export const BadChar = createToken({ name: 'BadChar', pattern: /'(?:[^'\\\n\r]|\\.)*'?/, group: 'errors' });
/** Any run starting with a digit; the lexer pass checks it is a valid decimal, hex or binary number. */
export const NumberLit = createToken({ name: 'NumberLit', pattern: /[0-9][0-9A-Za-z_]*/, label: 'a number' });

// Claim words written with a hyphen: one token each. Not followed by a name character.
function claimToken(name: string, word: string): TokenType {
  return createToken({ name, pattern: new RegExp(word + '(?![A-Za-z0-9_])'), label: `'${word}'` });
}
export const ControlSensitive = claimToken('ControlSensitive', 'control-sensitive');
export const ModeSensitive = claimToken('ModeSensitive', 'mode-sensitive');
export const LocationSensitive = claimToken('LocationSensitive', 'location-sensitive');
export const UserSensitive = claimToken('UserSensitive', 'user-sensitive');
export const TimingDependent = claimToken('TimingDependent', 'timing-dependent');
export const hyphenatedClaims = [ControlSensitive, ModeSensitive, LocationSensitive, UserSensitive, TimingDependent];

/** Every reserved word of the language (LANGUAGE.md, "Keywords"). */
export const keywordWords = [
  'isa',
  'extends',
  'endian',
  'little',
  'big',
  'memory',
  'register',
  'registers',
  'names',
  'readonly',
  'clock',
  'mode',
  'control',
  'modes',
  'when',
  'guest',
  'translate',
  'return',
  'view',
  'via',
  'fetch',
  'at',
  'trap',
  'kind',
  'vector',
  'every',
  'entry',
  'reset',
  'function',
  'instruction',
  'syntax',
  'encoding',
  'claims',
  'not',
  'semantics',
  'let',
  'if',
  'else',
  'halt',
  'for',
  'in',
  'assume',
  'remove',
  'replace',
  'reg',
  'imm',
  'simm',
  'addr',
  'zext',
  'sext',
  'privilege',
  'arithmetic',
  'software',
  'illegal',
  'interrupt',
  'console',
  'pseudo',
  'expand',
  'clause',
] as const;
export type KeywordWord = (typeof keywordWords)[number];

function capitalise(w: string): string {
  return w[0]!.toUpperCase() + w.slice(1);
}

/**
 * Contextual keywords: words that are keywords only where the grammar expects them and names
 * everywhere else (a MIPS spec names a register `at`; `fetch E at PC` still reads). Each is a
 * keyword that is also an Identifier (a token category), which is safe because no place in the
 * grammar accepts both the word and a name. LANGUAGE.md lists them.
 */
export const contextualWords: readonly KeywordWord[] = [
  'at',
  'via',
  'kind',
  'vector',
  'every',
  'when',
  'names',
  'little',
  'big',
  'clock',
  'in',
  'privilege',
  'arithmetic',
  'software',
  'illegal',
  'interrupt',
  'console',
  'pseudo',
  'expand',
  'clause',
];
const contextual: ReadonlySet<string> = new Set(contextualWords);

/** Keyword token types by word. */
export const Keyword: Record<KeywordWord, TokenType> = Object.fromEntries(
  keywordWords.map((w) => [
    w,
    createToken({
      name: 'Kw' + capitalise(w),
      pattern: new RegExp(w),
      longer_alt: Identifier,
      label: `'${w}'`,
      ...(contextual.has(w) ? { categories: [Identifier] } : {}),
    }),
  ]),
) as Record<KeywordWord, TokenType>;
/** The reserved words: keywords that can never be names. */
export const keywordSet: ReadonlySet<string> = new Set(keywordWords.filter((w) => !contextual.has(w)));

/** `registers x[32] : 32 zero 0`: a contextual word that is not a keyword anywhere else. */
export const ZeroWord = createToken({ name: 'KwZero', pattern: /zero/, longer_alt: Identifier, label: "'zero'", categories: [Identifier] });

/** Category of every binary operator: the parser reads `unary (op unary)*` and the AST builder
 *  applies precedence (a flat rule keeps the CST small; see LANGUAGE.md for the table). */
export const BinaryOperator = createToken({ name: 'BinaryOperator', pattern: Lexer.NA, label: 'an operator' });

function punct(name: string, text: string, binary = false): TokenType {
  return createToken({ name, pattern: text, label: `'${text}'`, ...(binary ? { categories: [BinaryOperator] } : {}) });
}
// Longer operators first so that `<<` is not read as `<` `<`.
export const ShiftRightArith = punct('ShiftRightArith', '>>>', true);
export const ShiftLeft = punct('ShiftLeft', '<<', true);
export const ShiftRight = punct('ShiftRight', '>>', true);
export const LessEq = punct('LessEq', '<=', true);
export const GreaterEq = punct('GreaterEq', '>=', true);
export const EqEq = punct('EqEq', '==', true);
export const NotEq = punct('NotEq', '!=', true);
export const OrOr = punct('OrOr', '||', true);
export const AndAnd = punct('AndAnd', '&&', true);
export const PlusPlus = punct('PlusPlus', '++', true);
export const DotDot = punct('DotDot', '..');
export const Less = punct('Less', '<', true);
export const Greater = punct('Greater', '>', true);
export const Equals = punct('Equals', '=');
export const Bang = punct('Bang', '!');
export const Pipe = punct('Pipe', '|', true);
export const Amp = punct('Amp', '&', true);
export const Caret = punct('Caret', '^', true);
export const Tilde = punct('Tilde', '~');
export const Plus = punct('Plus', '+', true);
export const Minus = punct('Minus', '-', true);
export const Star = punct('Star', '*', true);
export const Slash = punct('Slash', '/', true);
export const Percent = punct('Percent', '%', true);
export const Question = punct('Question', '?');
export const Colon = punct('Colon', ':');
export const Semicolon = punct('Semicolon', ';');
export const Comma = punct('Comma', ',');
export const Dot = punct('Dot', '.');
export const LParen = punct('LParen', '(');
export const RParen = punct('RParen', ')');
export const LBrace = punct('LBrace', '{');
export const RBrace = punct('RBrace', '}');
export const LBracket = punct('LBracket', '[');
export const RBracket = punct('RBracket', ']');

/**
 * A run of characters no token can start with. Without it the lexer's own recovery tries every
 * pattern at every offset of the run, which took 18 s on 5 MB of junk; as a token it is one match,
 * reported as an unexpected character by the parse step.
 */
const NOT_JUNK = ' \t\r\n\fABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"\'/<>=!|&+^~-*%?:;,.(){}[]';
/** The characters a Junk run can start with, listed: the lexer cannot derive them from a complement
 *  set and would otherwise give up its first-character optimisation (lexing twice as slow). */
const JUNK_START: number[] = [];
for (let c = 0; c <= 0xffff; c++) if (!NOT_JUNK.includes(String.fromCharCode(c))) JUNK_START.push(c);
export const Junk = createToken({
  name: 'Junk',
  pattern: /[^ \t\r\n\fA-Za-z0-9_"'/<>=!|&+^~\-*%?:;,.(){}[\]]+/,
  start_chars_hint: JUNK_START,
  group: 'errors',
  line_breaks: true,
});

export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  BlockComment,
  UnterminatedComment,
  StringLit,
  UnterminatedString,
  CharLit,
  BadChar,
  NumberLit,
  ...hyphenatedClaims,
  // Longest first: `interrupt` must not be read as `in` + longer alternative.
  ...[...keywordWords].sort((a, b) => b.length - a.length).map((w) => Keyword[w]),
  ZeroWord,
  Identifier,
  ShiftRightArith,
  ShiftLeft,
  ShiftRight,
  LessEq,
  GreaterEq,
  EqEq,
  NotEq,
  OrOr,
  AndAnd,
  PlusPlus,
  DotDot,
  Less,
  Greater,
  Equals,
  Bang,
  Pipe,
  Amp,
  Caret,
  Tilde,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Question,
  Colon,
  Semicolon,
  Comma,
  Dot,
  LParen,
  RParen,
  LBrace,
  RBrace,
  LBracket,
  RBracket,
  BinaryOperator,
  Junk,
];

export const IsaLexer = new Lexer(allTokens, { positionTracking: 'full', ensureOptimizations: false });

/** Human-readable name of a token type for messages: `';'`, `'isa'`, `a name`. */
export function tokenLabel(t: TokenType): string {
  return t.LABEL ?? t.name;
}

/** How a found token is shown in a message. */
export function describeToken(tok: IToken): string {
  if (tok.tokenType === undefined || tok.tokenType.name === 'EOF') return 'end of file';
  const img = tok.image.length > 30 ? tok.image.slice(0, 27) + '...' : tok.image;
  return `'${img}'`;
}

const numberForms = [/^0x[0-9A-Fa-f](?:_?[0-9A-Fa-f])*$/, /^0b[01](?:_?[01])*$/, /^[0-9](?:_?[0-9])*$/];

/** The value of a number literal's text, or undefined if it is malformed (e.g. `0x`, `12ab`). */
export function parseNumber(text: string): bigint | undefined {
  if (!numberForms.some((r) => r.test(text))) return undefined;
  return BigInt(text.replace(/_/g, ''));
}

const charEscapes: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };

/** The code of a character literal's text (`'a'`, `'\n'`), or undefined if it is malformed. */
export function parseCharLit(text: string): number | undefined {
  const body = text.slice(1, -1);
  if (body.length === 1) return body.codePointAt(0);
  if (body.length === 2 && body[0] === '\\') return charEscapes[body[1]!];
  // A single astral character is two UTF-16 units.
  const cps = [...body];
  if (cps.length === 1) return cps[0]!.codePointAt(0);
  return undefined;
}

/** The text of a string literal, escapes resolved. */
export function parseStringLit(text: string): string {
  return text.slice(1, -1).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}
