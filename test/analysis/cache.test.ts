// The per-instruction analysis cache (src/analysis/cache.ts): an edit re-analyses only the
// instructions it changed, a hit is the instruction's own (current position, its claims checked
// afresh), the theorems are recombined, and every level (memory, disk, workers) gives what a
// fresh analysis gives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadIsaSource } from '../../src/ir/index.js';
import { analyzeIsa, analyzeIsas } from '../../src/analysis/index.js';
import { forgetInMemory } from '../../src/analysis/cache.js';
import type { IsaAnalysis } from '../../src/analysis/types.js';

const PG = fileURLToPath(new URL('../../isas/pg.isa', import.meta.url));
const text = readFileSync(PG, 'utf8');
const load = (t: string) => {
  const r = loadIsaSource(t, PG);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.isa;
};
/** Everything but timings and cache counts. */
const verdicts = (a: IsaAnalysis) => JSON.parse(JSON.stringify(a, (k, v: unknown) => (k === 'stats' || k === 'ms' ? undefined : v))) as unknown;

let dir: string;
const saved = process.env.ISAVIRT_CACHE_DIR;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'isavirt-cache-test-'));
  process.env.ISAVIRT_CACHE_DIR = dir;
  forgetInMemory();
});
afterAll(() => {
  process.env.ISAVIRT_CACHE_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe('the per-instruction analysis cache', () => {
  let fresh: IsaAnalysis;
  it('a second analysis comes wholly from the cache, equal to the first', async () => {
    fresh = await analyzeIsa(load(text));
    expect(fresh.stats.cached).toBe(0);
    expect(fresh.stats.solverQueries).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toHaveLength(fresh.instructions.length);
    const again = await analyzeIsa(load(text));
    expect(again.stats.cached).toBe(again.instructions.length);
    expect(again.stats.solverQueries).toBe(0);
    expect(verdicts(again)).toEqual(verdicts(fresh));
  });

  it('from disk alone (a new process) it is the same', async () => {
    forgetInMemory();
    const again = await analyzeIsa(load(text));
    expect(again.stats.cached).toBe(again.instructions.length);
    expect(verdicts(again)).toEqual(verdicts(fresh));
  });

  it('an edit to one instruction re-analyses that instruction only, and the theorems follow it', async () => {
    // ADD made to write the mode: control-sensitive and not privileged, so Theorem 1 now fails.
    const edited = text.replace('    r[rd] = r[rd] + r[rs];', '    r[rd] = r[rd] + r[rs];\n    M = 1;');
    expect(edited).not.toBe(text);
    const a = await analyzeIsa(load(edited));
    expect(a.stats.cached).toBe(a.instructions.length - 1);
    const add = a.instructions.find((c) => c.mnemonic === 'ADD')!;
    expect(add.controlSensitive.value).toBe('yes');
    expect(a.theorem1.value).toBe('fails');
    expect(a.theorem1.offenders.map((o) => o.mnemonic)).toEqual(['ADD']);
    expect(fresh.theorem1.value).toBe('holds');
  });

  it('moving instructions (lines added above them) changes no key, and each hit has its new position', async () => {
    const moved = text.replace('/// Load a word', '// a comment\n\n\n/// Load a word');
    const a = await analyzeIsa(load(moved));
    expect(a.stats.cached).toBe(a.instructions.length);
    const before = fresh.instructions.find((c) => c.mnemonic === 'ADD')!.span;
    const after = a.instructions.find((c) => c.mnemonic === 'ADD')!.span;
    expect(after.line).toBe(before.line + 3);
  });

  it('a claim edited is checked against the cached verdicts without re-analysis', async () => {
    const claimed = text.replace('  claims innocuous;', '  claims privileged;');
    const a = await analyzeIsa(load(claimed));
    expect(a.stats.cached).toBe(a.instructions.length);
    const load_ = a.instructions.find((c) => c.mnemonic === 'LOAD')!;
    expect(load_.claimFindings).toHaveLength(1);
    expect(load_.claimFindings[0]!.message).toMatch(/LOAD is claimed privileged, but it is not privileged/);
    expect(load_.claimFindings[0]!.claim.span.line).toBe(load_.span.line + 3);
  });

  it('a change to the machine (a new register) re-analyses every instruction', async () => {
    const machine = text.replace('register M : 1 mode;', 'register M : 1 mode;\nregister EXTRA : 8 control;');
    expect(machine).not.toBe(text);
    const a = await analyzeIsa(load(machine));
    expect(a.stats.cached).toBe(0);
  });

  it('the parallel entry takes hits in the main thread and equals the sequential analysis', async () => {
    const [a] = await analyzeIsas([load(text)], { workers: 2 });
    expect(a!.stats.cached).toBe(a!.instructions.length);
    expect(verdicts(a!)).toEqual(verdicts(fresh));
  });

  it('cache: false reads nothing and writes nothing', async () => {
    const files = readdirSync(dir).length;
    const a = await analyzeIsa(load(text.replace('instruction ADD(', 'instruction ADDX(')), { cache: false });
    expect(a.stats.cached).toBe(0);
    expect(readdirSync(dir).length).toBe(files);
  });

  it('a deleted cache folder is only a slower run', async () => {
    rmSync(dir, { recursive: true, force: true });
    forgetInMemory();
    const a = await analyzeIsa(load(text));
    expect(a.stats.cached).toBe(0);
    expect(verdicts(a)).toEqual(verdicts(fresh));
  });
});
