// The assembler's lexer: one source line at a time (a statement never spans lines). The same
// tokenizer splits an instruction's syntax text, so literal text in a syntax string and in a
// program line compare token by token, whatever the spacing.

import type { Span } from '../ir/index.js';
import { ASM, asmError, type AsmDiagnostic } from './diagnostics.js';

export type TokKind = 'ident' | 'num' | 'char' | 'str' | 'punct';

export interface Tok {
  k: TokKind;
  /** The text as written. */
  text: string;
  /** num and char: the value; str: undefined (see `str`). */
  value?: bigint;
  /** str: the decoded characters' codes. */
  str?: number[];
  line: number;
  /** 1-based columns, end exclusive. */
  col: number;
  endCol: number;
}

export interface LexOptions {
  /** How `#` reads: 'comment' always starts a comment; 'spaced' (a spec whose syntax uses `#`, as an
   *  immediate prefix) starts one only at the start of a line or before a blank; 'punct' never
   *  (syntax strings themselves). */
  hash: 'comment' | 'spaced' | 'punct';
}

export function tokSpan(file: string, t: Tok, last: Tok = t): Span {
  return { file, line: t.line, col: t.col, endLine: last.line, endCol: last.endCol };
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

const ESCAPES: Record<string, number> = { n: 10, t: 9, r: 13, '0': 0, '\\': 92, "'": 39, '"': 34 };

/** Parse a number as written; undefined if malformed. `_` may separate digits. */
export function parseNumber(text: string): bigint | undefined {
  const m = /^(0[xX]([0-9A-Fa-f_]+)|0[bB]([01_]+)|([0-9][0-9_]*))$/.exec(text);
  if (!m) return undefined;
  const digits = (m[2] ?? m[3] ?? m[4] ?? '').replace(/_/g, '');
  if (digits.length === 0) return undefined;
  if (m[2] !== undefined) return BigInt('0x' + digits);
  if (m[3] !== undefined) return BigInt('0b' + digits);
  return BigInt(digits);
}

/**
 * Tokens of one line (without its comment), and diagnostics for malformed literals. `line` is the
 * 1-based line number; columns count UTF-16 units from 1.
 */
export function lexLine(text: string, line: number, file: string, opts: LexOptions): { toks: Tok[]; diagnostics: AsmDiagnostic[] } {
  const toks: Tok[] = [];
  const diagnostics: AsmDiagnostic[] = [];
  const n = text.length;
  let i = 0;
  const span = (a: number, b: number): Span => ({ file, line, col: a + 1, endLine: line, endCol: Math.max(b, a + 1) + 1 });
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === ';' && opts.hash !== 'punct') break;
    if (c === '#' && opts.hash !== 'punct') {
      const next = text[i + 1];
      if (opts.hash === 'comment' || toks.length === 0 || next === undefined || /\s/.test(next)) break;
    }
    const start = i;
    if (IDENT_START.test(c)) {
      while (i < n && IDENT_PART.test(text[i]!)) i++;
      toks.push({ k: 'ident', text: text.slice(start, i), line, col: start + 1, endCol: i + 1 });
      continue;
    }
    if (c >= '0' && c <= '9') {
      while (i < n && IDENT_PART.test(text[i]!)) i++;
      const t = text.slice(start, i);
      const v = parseNumber(t);
      if (v === undefined) {
        diagnostics.push(asmError(ASM.badNumber, [t], span(start, i), 'numbers are decimal (42), hex (0x2A) or binary (0b101010)'));
        continue;
      }
      toks.push({ k: 'num', text: t, value: v, line, col: start + 1, endCol: i + 1 });
      continue;
    }
    if (c === "'" || c === '"') {
      // A quoted literal: read characters up to the matching quote, decoding escapes.
      const quote = c;
      i++;
      const codes: number[] = [];
      let bad: string | undefined;
      let closed = false;
      while (i < n) {
        const d = text[i]!;
        if (d === quote) {
          closed = true;
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          if (e === undefined) {
            i++;
            break;
          }
          if (e === 'x' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 2, i + 4))) {
            codes.push(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          const code = ESCAPES[e];
          if (code === undefined) bad ??= `unknown escape '\\${e}'`;
          else codes.push(code);
          i += 2;
          continue;
        }
        const cp = text.codePointAt(i)!;
        codes.push(cp);
        i += cp > 0xffff ? 2 : 1;
      }
      const written = text.slice(start, i);
      const sp = span(start, i);
      if (quote === "'") {
        if (!closed) bad = 'unterminated character literal';
        else if (bad === undefined && codes.length !== 1) bad = codes.length === 0 ? 'empty character literal' : 'a character literal holds one character';
        if (bad !== undefined) {
          diagnostics.push(asmError(ASM.badChar, [written, bad], sp, "write one character: 'a', or an escape: '\\n' '\\t' '\\0' '\\\\' '\\'' '\\x41'"));
          continue;
        }
        toks.push({ k: 'char', text: written, value: BigInt(codes[0]!), line, col: start + 1, endCol: i + 1 });
      } else {
        if (!closed) bad = 'unterminated string';
        if (bad !== undefined) {
          diagnostics.push(asmError(ASM.badString, [written, bad], sp, 'strings are "..." with escapes \\n \\t \\0 \\\\ \\" \\xNN'));
          continue;
        }
        toks.push({ k: 'str', text: written, str: codes, line, col: start + 1, endCol: i + 1 });
      }
      continue;
    }
    // Anything else is one punctuation character (a surrogate pair stays whole).
    const cp = text.codePointAt(i)!;
    i += cp > 0xffff ? 2 : 1;
    toks.push({ k: 'punct', text: text.slice(start, i), line, col: start + 1, endCol: i + 1 });
  }
  return { toks, diagnostics };
}
