// analyzeIsas (worker threads) gives what sequential analyzeIsa gives, and a chunk of instructions
// classified on its own gives what it gives inside a whole run: witnesses do not depend on history.
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { loadIsaFile } from '../../src/ir/index.js';
import type { Isa } from '../../src/ir/types.js';
import { CHUNK, analyzeIsa, analyzeIsas, classifyRange } from '../../src/analysis/index.js';

function load(name: string): Isa {
  const r = loadIsaFile(fileURLToPath(new URL(`../../isas/${name}`, import.meta.url)));
  if (!r.ok) throw new Error(`${name} does not load`);
  return r.isa;
}

/** JSON without timing: the analysis statistics and each proof's solver time. */
const untimed = (x: unknown) => JSON.parse(JSON.stringify(x, (k, v) => (k === 'stats' || k === 'ms' ? undefined : v)));

describe('solving in chunks', () => {
  it('instructions classified first, alone, equal the same instructions of a whole run done after other work', async () => {
    const riscv = load('riscv.isa');
    // The CSR instructions near the end: solver questions with witnesses found in models.
    const from = 2 * 16,
      to = 3 * 16;
    expect(from % CHUNK).toBe(0);
    expect(riscv.instructions.length).toBeGreaterThan(to);
    const alone = await classifyRange(riscv, from, to, { cache: false });
    await analyzeIsa(load('armv7.isa'), { cache: false });
    const whole = await analyzeIsa(riscv, { cache: false });
    expect(alone.instructions.map((c) => c.mnemonic)).toEqual(riscv.instructions.slice(from, to).map((i) => i.mnemonic));
    // This compares solver models, not just syntactic verdicts.
    expect(alone.solverQueries).toBeGreaterThan(0);
    expect(alone.instructions.some((c) => c.locationSensitive.evidence.k === 'witness')).toBe(true);
    expect(untimed(alone.instructions)).toEqual(untimed(whole.instructions.slice(from, to)));
  });
});

describe('analyzeIsas', () => {
  it('from sources (no compiled worker) analyses in this thread, in order, equal to analyzeIsa', async () => {
    const isas = [load('pg.isa'), load('m68000.isa')];
    const seen: string[] = [];
    const par = await analyzeIsas(isas, { cache: false, onInstruction: (i, done, total) => done === total && seen.push(isas[i]!.name) });
    expect(seen).toEqual(isas.map((i) => i.name));
    const seq = [await analyzeIsa(isas[0]!, { cache: false }), await analyzeIsa(isas[1]!, { cache: false })];
    expect(untimed(par)).toEqual(untimed(seq));
  });

  it('in worker threads (the compiled build) equals sequential analyzeIsa: order, verdicts, witnesses', async () => {
    // globalSetup builds dist/ before the suite; the workers can only load compiled JavaScript.
    const dist = (await import(new URL('../../dist/analysis/index.js', import.meta.url).href)) as typeof import('../../src/analysis/index.js');
    // Chunks of several specs, interleaved across two workers: riscv has more than two chunks.
    const isas = [load('riscv.isa'), load('pg.isa'), load('pdp10.isa')];
    const progress = isas.map(() => 0);
    const par = await dist.analyzeIsas(isas, { workers: 2, cache: false, onInstruction: (i) => progress[i]!++ });
    // Nothing ran in this thread: its Z3 was never started.
    expect(dist.solverHeapBytes()).toBe(0);
    expect(progress).toEqual(isas.map((i) => i.instructions.length));
    expect(par.map((a) => a.isa)).toEqual(isas.map((i) => i.name));
    expect(par.map((a) => a.stats.instructions)).toEqual(isas.map((i) => i.instructions.length));
    const seq = [];
    for (const isa of isas) seq.push(await dist.analyzeIsa(isa, { cache: false }));
    expect(untimed(par)).toEqual(untimed(seq));
  });

  it('keeps `only` and empty specs', async () => {
    const pg = load('pg.isa');
    const [a, b] = await analyzeIsas([pg, pg], { only: ['LPSW'], cache: false });
    expect(a!.instructions.map((c) => c.mnemonic)).toEqual(['LPSW']);
    expect(untimed(b)).toEqual(untimed(a));
    const [none] = await analyzeIsas([pg], { only: [] });
    expect(none!.instructions).toEqual([]);
    expect(none!.theorem1.value).toBe('holds');
  });
});
