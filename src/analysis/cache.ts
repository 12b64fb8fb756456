// Analyses cached by content, one entry per instruction: the key is a hash of everything that
// instruction's classification depends on — the instruction itself (semantics, operands,
// encoding, syntax), the rest of the spec (state, modes, traps and their entry, views and
// translations, functions, assumptions: every instruction reads the machine they make), the
// options that change results and the analysis code itself. Source positions and doc comments
// are not in the key (an edit above an instruction moves it without changing it), nor are the
// instruction's claims (they are compared with the classification, not used by it): a hit is
// re-stamped with the instruction's current position and its claims checked afresh
// (classify.ts, `fromCache`). An edit therefore re-analyses only the instructions it changed,
// and the theorems are recombined from the per-instruction results (index.ts).
//
// Two levels: memory (the language server, repeated analyses in one process) and disk (the CLI;
// `ISAVIRT_CACHE_DIR` moves the folder, `ISAVIRT_CACHE=0` turns the cache off). The folder is safe
// to delete at any time; writes are atomic (a temporary file renamed), so concurrent runs never
// read half a file; the code hash keeps another isavirt build from reading these entries.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Instruction, Isa } from '../ir/index.js';
import type { InstructionClassification } from './types.js';

let codeHash: string | undefined;

/** A hash of the analysis code as built (every module of this folder), computed once. */
function code(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha256');
  const dir = fileURLToPath(new URL('.', import.meta.url));
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.js') || x.endsWith('.ts'))
    .sort())
    h.update(f).update(readFileSync(join(dir, f)));
  // The exec interpreter replays witnesses; the IR helpers shape instances.
  for (const f of ['../exec/interpret.js', '../ir/encoding.js', '../ir/walk.js']) {
    try {
      h.update(readFileSync(fileURLToPath(new URL(f, import.meta.url))));
    } catch {
      /* not built: the folder's own hash still separates versions */
    }
  }
  return (codeHash = h.digest('hex'));
}

export function cacheDir(): string | undefined {
  if (process.env.ISAVIRT_CACHE === '0') return undefined;
  if (process.env.ISAVIRT_CACHE_DIR) return process.env.ISAVIRT_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME ?? (homedir() ? join(homedir(), '.cache') : tmpdir());
  return join(base, 'isavirt', 'analysis');
}

export interface CacheKeyOptions {
  timeoutMs?: number;
  rlimit?: number;
}

/** Positions and prose: not what a classification depends on. */
const unkeyed = new Set(['span', 'doc']);
const keyText = (x: unknown): string => JSON.stringify(x, (k, v: unknown) => (unkeyed.has(k) ? undefined : v));

const contextDigests = new WeakMap<Isa, string>();

/** The hash of the spec without its instructions (and without where it was read from): what an
 *  answer about the machine alone (a translation's shape, a guest-mode base state) depends on. */
export function contextDigest(isa: Isa): string {
  let d = contextDigests.get(isa);
  if (!d) {
    const { instructions: _instructions, source: _source, extends: _extends, ...context } = isa;
    d = createHash('sha256').update(keyText(context)).digest('hex');
    contextDigests.set(isa, d);
  }
  return d;
}

/** The cache key of one instruction's classification in `isa`. */
export function instructionKey(isa: Isa, instr: Instruction, options: CacheKeyOptions): string {
  const { claims: _claims, ...own } = instr;
  return createHash('sha256')
    .update(code())
    .update(JSON.stringify({ timeoutMs: options.timeoutMs ?? null, rlimit: options.rlimit ?? null }))
    .update(contextDigest(isa))
    .update(keyText(own))
    .digest('hex');
}

/** What classifying one instruction gave, as cached. */
export interface CachedInstruction {
  classification: InstructionClassification;
  errors: string[];
  solverQueries: number;
  solverMs: number;
}

/** Entries kept in memory (most recently used last); a few thousand instructions' worth. */
const MEMORY_ENTRIES = 4096;
const memory = new Map<string, CachedInstruction>();

function remember(key: string, entry: CachedInstruction): void {
  memory.delete(key);
  memory.set(key, entry);
  if (memory.size > MEMORY_ENTRIES) memory.delete(memory.keys().next().value!);
}

/** A copy of the cached entry (callers re-stamp it), from memory or disk, or undefined. */
export function readInstruction(key: string): CachedInstruction | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  let hit = memory.get(key);
  if (!hit) {
    try {
      hit = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as CachedInstruction;
    } catch {
      return undefined;
    }
  }
  remember(key, hit);
  return structuredClone(hit);
}

export function writeInstruction(key: string, entry: CachedInstruction): void {
  const dir = cacheDir();
  if (!dir) return;
  remember(key, structuredClone(entry));
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, JSON.stringify(entry));
    renameSync(tmp, join(dir, `${key}.json`));
  } catch {
    // A cache that cannot be written is only a slower run.
  }
}

/** Forget what is held in memory (tests of the disk level). */
export function forgetInMemory(): void {
  memory.clear();
}
