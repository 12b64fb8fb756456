// The one way a command gets a checked spec: load it, print every diagnostic (warnings too), and
// either hand back the IR or stop with exit code 2. Every command that reads a spec uses this, so
// "bad spec" looks the same everywhere.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsHost, loadIsaFile, loadIsaSource, renderDiagnostic, type CheckOptions, type Diagnostic, type LoadResult, type Isa } from '../ir/index.js';
import { assemble, isElf, loadElf, type Program } from '../asm/index.js';
import { CliExit, EXIT, STDIN_ARG, UsageError, type CliIO } from './io.js';

/** Front-end options every command's spec loading shares, set once from the global flags. */
const frontEnd: CheckOptions = {};

/** `--allow-extends-outside`: let `extends` leave the spec's folder tree (see CheckOptions). */
export function setFrontEndOptions(opts: CheckOptions): void {
  frontEnd.allowExtendsOutside = opts.allowExtendsOutside === true;
}

/** Throws UsageError (exit 2) unless `path` names a readable regular file. */
export function requireFile(path: string): void {
  if (path === STDIN_ARG) throw new UsageError(`'-' (standard input) can name only a spec, for 'isavirt parse -' and 'isavirt check -'`);
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new UsageError(`${path}: no such file`);
  }
  if (!isFile) throw new UsageError(`${path}: not a file`);
}

/**
 * The files named on a command line, a folder standing for its files whose names end in `ext`
 * (sorted, not recursive). A missing path or a folder with no such file is a UsageError.
 */
export function expandFolders(paths: readonly string[], ext: string): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let dir: boolean;
    try {
      dir = statSync(p).isDirectory();
    } catch {
      throw new UsageError(`${p}: no such file or folder`);
    }
    if (!dir) {
      files.push(p);
      continue;
    }
    const inside = readdirSync(p, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith(ext))
      .map((e) => join(p, e.name))
      .sort();
    if (inside.length === 0) throw new UsageError(`${p}: no ${ext} files in this folder`);
    files.push(...inside);
  }
  return files;
}

/** Print diagnostics to stderr, each with its source line and caret when the file can be read. */
export function printDiagnostics(diagnostics: readonly Diagnostic[], io: CliIO, fallbackText?: { file: string; text: string }): void {
  const texts = new Map<string, string | undefined>();
  if (fallbackText) texts.set(fallbackText.file, fallbackText.text);
  const sourceOf = (file: string | undefined): string | undefined => {
    if (file === undefined) return undefined;
    if (!texts.has(file)) {
      try {
        texts.set(file, readFileSync(file, 'utf8'));
      } catch {
        texts.set(file, undefined);
      }
    }
    return texts.get(file);
  };
  for (const d of diagnostics) io.err(renderDiagnostic(d, sourceOf(d.span?.file), { color: io.colorErr }));
}

export type Loaded = { ok: true; isa: Isa } | { ok: false };

/**
 * The spec text on standard input. A terminal is refused rather than waited on: `isavirt parse -`
 * typed by itself would otherwise sit silently until end-of-file.
 */
export function readStdinSpec(): string {
  if (process.stdin.isTTY)
    throw new UsageError(`'-' reads a spec from standard input, but standard input is a terminal: pipe a spec in ('isavirt parse - < spec.isa')`);
  try {
    return readFileSync(0, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read standard input (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/**
 * The one way a command loads a spec: `path` (STDIN_ARG: standard input) with the front-end options
 * of the command line (--allow-extends-outside), its diagnostics printed. Throws UsageError for a
 * path that is not a file; never throws for a bad spec.
 */
export async function loadSpecResult(path: string, io: CliIO): Promise<LoadResult> {
  if (path === STDIN_ARG) {
    const text = readStdinSpec();
    const result = loadIsaSource(text, path, fsHost, frontEnd);
    printDiagnostics(result.diagnostics, io, { file: path, text });
    return result;
  }
  requireFile(path);
  const result = await loadIsaFile(path, fsHost, frontEnd);
  printDiagnostics(result.diagnostics, io);
  return result;
}

/** Load and check one spec (see loadSpecResult); never throws for a bad spec. */
export async function loadSpec(path: string, io: CliIO): Promise<Loaded> {
  const result = await loadSpecResult(path, io);
  return result.ok ? { ok: true, isa: result.isa } : { ok: false };
}

/** Load and check one spec, or print its diagnostics and stop with exit code 2. */
export async function loadSpecOrExit(path: string, io: CliIO): Promise<Isa> {
  const loaded = await loadSpec(path, io);
  if (!loaded.ok) throw new CliExit(EXIT.badInput);
  return loaded.isa;
}

/** Assemble a guest program for `isa`, or print its diagnostics and stop with exit code 2. */
export function assembleOrExit(isa: Isa, path: string, io: CliIO): { program: Program; text: string } {
  requireFile(path);
  const bytes = readFileSync(path);
  // A linked executable (GNU ld output) is loaded by its program headers, not assembled.
  if (isElf(bytes)) {
    const r = loadElf(isa, bytes, path);
    if (!r.ok) {
      printDiagnostics(r.diagnostics, io);
      throw new CliExit(EXIT.badInput);
    }
    return { program: r.program, text: '' };
  }
  const text = bytes.toString('utf8');
  const r = assemble(isa, text, path);
  if (!r.ok) {
    printDiagnostics(r.diagnostics, io, { file: path, text });
    throw new CliExit(EXIT.badInput);
  }
  return { program: r.program, text };
}
