// Loading a spec: `.isa` text (parse + check) or `.isa.json` (schema + IR checks). Never throws.

import { readFileSync, realpathSync } from 'node:fs';
import { type Diagnostic, Diagnostics, diag, parseText, type ParseResult, type SpecFile } from '../syntax/index.js';
import { checkSpec, type CheckOptions, type FileHost } from './check.js';
import { parseIsaJson } from './json.js';
import type { Isa } from './types.js';
import { MAX_SPEC_CHARS } from './limits.js';

export type { CheckOptions, FileHost } from './check.js';

export type LoadResult = { ok: true; isa: Isa; diagnostics: Diagnostic[] } | { ok: false; diagnostics: Diagnostic[] };

/** Reads from disk; a missing or unreadable file is `undefined`, never an exception. */
export const fsHost: FileHost = {
  readFile(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  realPath(path: string): string | undefined {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  },
};

function result(isa: Isa | undefined, diagnostics: Diagnostic[]): LoadResult {
  if (isa && !diagnostics.some((d) => d.severity === 'error')) return { ok: true, isa, diagnostics };
  return { ok: false, diagnostics };
}

/** A bug in the front end must still not surface as a stack trace to the user. */
function internalError(file: string, err: unknown): Diagnostic {
  return diag(Diagnostics.InternalFrontEnd, [(err as Error)?.message ?? String(err)], undefined, { file });
}

/** What the front end makes of `.isa` text, for whoever needs more than the Isa: the language
 *  server indexes the AST and the specs it extends. */
export interface FrontEnd {
  ast?: SpecFile;
  /** The ASTs of the specs `extends` reads, each after its own bases. */
  bases: SpecFile[];
  /** The checked spec, when no diagnostic is an error. */
  isa?: Isa;
  diagnostics: Diagnostic[];
}

/** The one front end on `.isa` text (the CLI's loaders and the language server): parse, then check,
 *  which merges `extends` by the one rule. `file` names it in diagnostics and is the base for
 *  `extends`. Never throws: a bug is a diagnostic. */
export function frontEnd(text: string, file: string, host: FileHost = fsHost, opts: CheckOptions = {}): FrontEnd {
  let parsed: ParseResult | undefined;
  try {
    parsed = parseText(text, file);
    if (!parsed.ast) return { bases: [], diagnostics: parsed.diagnostics };
    const checked = checkSpec(parsed.ast, host, file, opts);
    const diagnostics = [...parsed.diagnostics, ...checked.diagnostics];
    const clean = !diagnostics.some((d) => d.severity === 'error');
    return { ast: parsed.ast, bases: checked.bases, isa: clean ? checked.isa : undefined, diagnostics };
  } catch (err) {
    return { ast: parsed?.ast, bases: [], diagnostics: [...(parsed?.diagnostics ?? []), internalError(file, err)] };
  }
}

/** Parse and check `.isa` text into an Isa (`frontEnd`). */
export function parseIsaText(text: string, file: string, host: FileHost = fsHost, opts: CheckOptions = {}): LoadResult {
  const fe = frontEnd(text, file, host, opts);
  return fe.isa ? { ok: true, isa: fe.isa, diagnostics: fe.diagnostics } : { ok: false, diagnostics: fe.diagnostics };
}

/**
 * A spec's text, already read: JSON when `file` ends in `.json` or, for a name without an
 * extension (standard input), when the text starts with `{`; `.isa` text otherwise.
 */
export function loadIsaSource(text: string, file: string, host: FileHost = fsHost, opts: CheckOptions = {}): LoadResult {
  if (text.length > MAX_SPEC_CHARS) return { ok: false, diagnostics: [diag(Diagnostics.SpecFileTooLarge, [text.length, MAX_SPEC_CHARS], undefined, { file })] };
  const json = file.endsWith('.json') || (!/\.[A-Za-z]+$/.test(file) && /^\s*\{/.test(text));
  return json ? loadJson(text, file) : parseIsaText(text, file, host, opts);
}

/** Load a spec file: `.isa.json` (or any `.json`) as IR, anything else as `.isa` text. */
export function loadIsaFile(path: string, host: FileHost = fsHost, opts: CheckOptions = {}): LoadResult {
  const text = host.readFile(path);
  if (text === undefined) return { ok: false, diagnostics: [diag(Diagnostics.CannotReadFile, [path], undefined, { file: path })] };
  return loadIsaSource(text, path, host, opts);
}

function loadJson(text: string, path: string): LoadResult {
  try {
    const r = parseIsaJson(text, path);
    return result(r.isa, r.diagnostics);
  } catch (err) {
    return { ok: false, diagnostics: [internalError(path, err)] };
  }
}
