// Analyses cached on disk by content: the key is a hash of the checked spec (the IR, which is
// everything an analysis depends on), the options that change results and the analysis code
// itself, so an edited spec, another bound or another isavirt build never reads a stale result.
// The folder is safe to delete at any time; `ISAVIRT_CACHE_DIR` moves it, `ISAVIRT_CACHE=0` turns
// it off. Writes are atomic (a temporary file renamed), so concurrent runs never read half a file.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Isa } from '../ir/index.js';
import type { IsaAnalysis } from './types.js';

let codeHash: string | undefined;

/** A hash of the analysis code as built (every module of this folder), computed once. */
function code(): string {
  if (codeHash) return codeHash;
  const h = createHash('sha256');
  const dir = fileURLToPath(new URL('.', import.meta.url));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.js') || x.endsWith('.ts')).sort()) h.update(f).update(readFileSync(join(dir, f)));
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
  only?: string[];
}

export function cacheKey(isa: Isa, options: CacheKeyOptions): string {
  return createHash('sha256')
    .update(code())
    .update(JSON.stringify({ timeoutMs: options.timeoutMs ?? null, rlimit: options.rlimit ?? null, only: options.only ?? null }))
    .update(JSON.stringify(isa))
    .digest('hex');
}

export function readCached(key: string): IsaAnalysis | undefined {
  const dir = cacheDir();
  if (!dir) return undefined;
  try {
    return JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as IsaAnalysis;
  } catch {
    return undefined;
  }
}

export function writeCached(key: string, a: IsaAnalysis): void {
  const dir = cacheDir();
  if (!dir) return;
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = join(dir, `${key}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`);
    writeFileSync(tmp, JSON.stringify(a));
    renameSync(tmp, join(dir, `${key}.json`));
  } catch {
    // A cache that cannot be written is only a slower run.
  }
}
