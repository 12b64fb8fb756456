// Where each value of a JSON text is: JSON pointer (RFC 6901) -> line:col span. JSON.parse keeps no
// positions, and a diagnostic on a `.isa.json` file must name file:line:col like one on a `.isa`
// file does. The scanner runs only on text JSON.parse has accepted, so it need not validate; it is
// a loop with an explicit stack, so a deeply nested file cannot exhaust the call stack.

import type { Span } from './types.js';

/** Pointer -> span of every value (objects and arrays span from their bracket to the closing one). */
export type JsonPositions = Map<string, Span>;

/** `~` and `/` escaped as RFC 6901 says. */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

interface Frame {
  pointer: string;
  kind: 'object' | 'array';
  /** The next array index, or the key just read in an object. */
  index: number;
  key?: string;
  start: { line: number; col: number };
}

/** Positions of every value in `text` (valid JSON), for diagnostics named after `file`. */
export function jsonPositions(text: string, file: string): JsonPositions {
  const out: JsonPositions = new Map();
  let line = 1;
  let col = 1;
  let i = 0;
  const n = text.length;
  const stack: Frame[] = [];
  /** The pointer the next value gets. */
  const nextPointer = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.kind === 'array') return `${top.pointer}/${top.index}`;
    return `${top.pointer}/${pointerToken(top.key ?? '')}`;
  };
  const advance = (to: number): void => {
    for (; i < to; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        col = 1;
      } else col++;
    }
  };
  const valueDone = (): void => {
    const top = stack[stack.length - 1];
    if (top?.kind === 'array') top.index++;
    else if (top) top.key = undefined;
  };
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === ',' || c === '\ufeff') {
      advance(i + 1);
      continue;
    }
    if (c === ':') {
      advance(i + 1);
      continue;
    }
    if (c === '{' || c === '[') {
      stack.push({ pointer: nextPointer(), kind: c === '{' ? 'object' : 'array', index: 0, start: { line, col } });
      advance(i + 1);
      continue;
    }
    if (c === '}' || c === ']') {
      advance(i + 1);
      const f = stack.pop()!;
      out.set(f.pointer, { file, line: f.start.line, col: f.start.col, endLine: line, endCol: col });
      valueDone();
      continue;
    }
    const start = { line, col };
    let end = i + 1;
    if (c === '"') {
      while (end < n && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      end++;
    } else {
      while (end < n && !/[\s,:\]}]/.test(text[end]!)) end++;
    }
    const top = stack[stack.length - 1];
    if (top?.kind === 'object' && top.key === undefined) {
      // A key: the value that follows gets its pointer.
      top.key = JSON.parse(text.slice(i, end)) as string;
      advance(end);
      continue;
    }
    const pointer = nextPointer();
    advance(end);
    out.set(pointer, { file, line: start.line, col: start.col, endLine: line, endCol: col });
    valueDone();
  }
  return out;
}

/** The span of `pointer`, or of its nearest ancestor that has one. */
export function spanAt(positions: JsonPositions, pointer: string, file: string): Span {
  let p = pointer;
  for (;;) {
    const s = positions.get(p);
    if (s) return s;
    if (p === '') return { file, line: 1, col: 1, endLine: 1, endCol: 2 };
    p = p.slice(0, p.lastIndexOf('/'));
  }
}
