// Helpers for front-end tests: small inline specs, a marker for expected diagnostic positions,
// and an in-memory file host.
import { expect } from 'vitest';
import { parseIsaText, type Diagnostic, type FileHost, type Isa, type LoadResult } from '../../src/ir/index.js';

/** The marker put in a test spec where a diagnostic must point; removed before parsing. */
export const MARK = '‸';

export interface SpecParts {
  header?: string;
  state?: string;
  modes?: string;
  fetch?: string;
  traps?: string;
  extra?: string;
  instructions?: string;
}

/** A small valid spec; each part can be replaced. */
export function spec(p: SpecParts = {}): string {
  return (
    [
      p.header ?? 'isa t;',
      p.state ?? 'memory E : 8 [256];\nregister PC : 8;\nregister M : 1 mode;\nregisters r[4] : 8;',
      p.modes ?? 'modes {\n  sup when M == 1;\n  usr when M == 0;\n}',
      p.fetch ?? 'fetch E at PC;',
      p.traps ?? 'trap priv kind privilege vector 1;',
      p.extra ?? '',
      p.instructions ?? 'instruction NOP() {\n  encoding 0xff:8;\n}',
    ].join('\n') + '\n'
  );
}

/** Where the marker sits (1-based line and column) and the text without it. */
export function locate(text: string): { text: string; line: number; col: number } {
  const i = text.indexOf(MARK);
  if (i < 0) throw new Error('no marker in test spec');
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  const col = i - before.lastIndexOf('\n');
  return { text: text.slice(0, i) + text.slice(i + MARK.length), line, col };
}

export function memHost(files: Record<string, string>): FileHost {
  return { readFile: (p: string) => files[p] };
}

/** Parse a spec that must check cleanly; returns the IR. */
export function ok(text: string, file = 't.isa', host?: FileHost): Isa {
  const r = parseIsaText(text, file, host ?? memHost({}));
  if (!r.ok) throw new Error('expected a clean spec, got:\n' + r.diagnostics.map((d) => `${d.span?.line}:${d.span?.col} ${d.code} ${d.message}`).join('\n'));
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.isa;
}

/** Where a diagnostic points, as `file:line:col`. */
export function at(d: Diagnostic): string {
  return d.span ? `${d.span.file}:${d.span.line}:${d.span.col}` : (d.file ?? '?');
}

/** Parse a spec with a marker; expect a diagnostic with `code` exactly at the marker. */
export function expectDiagnostic(marked: string, code: string, file = 't.isa', host?: FileHost): { result: LoadResult; diagnostic: Diagnostic } {
  const { text, line, col } = locate(marked);
  const result = parseIsaText(text, file, host ?? memHost({}));
  // Warnings alone leave the spec usable; any error makes it unusable.
  expect(result.ok).toBe(!result.diagnostics.some((d) => d.severity === 'error'));
  const found = result.diagnostics.find((d) => d.code === code && at(d) === `${file}:${line}:${col}`);
  if (!found) {
    throw new Error(`expected ${code} at ${file}:${line}:${col}; got:\n` + result.diagnostics.map((d) => `${at(d)} ${d.code} ${d.message}`).join('\n'));
  }
  return { result, diagnostic: found };
}
