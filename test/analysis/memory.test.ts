// The solver's memory over many analyses in one process. z3-solver frees terms when JavaScript
// finalizes their wrappers; a finalizer that ran while a query was being solved on the worker
// thread used to corrupt Z3's heap ("memory access out of bounds", or a heap that grows past its
// 2 GiB bound), which aborted runs that analysed the whole library in one process.
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadIsaFile } from '../../src/ir/index.js';
import { analyzeIsa, solverHeapBytes } from '../../src/analysis/index.js';

const isas = fileURLToPath(new URL('../../isas/', import.meta.url));
const specs = readdirSync(isas)
  .filter((f) => f.endsWith('.isa'))
  .sort();

function load(file: string) {
  const r = loadIsaFile(isas + file);
  if (!r.ok) throw new Error(`${file} does not load`);
  return r.isa;
}

describe('solver memory', () => {
  it('survives garbage collections during solver queries', async () => {
    // Collect garbage every few milliseconds, so finalizers run while queries are being solved.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const timer = setInterval(gc, 3);
    try {
      for (const file of ['armv7.isa', 'pdp10.isa']) {
        const a = await analyzeIsa(load(file), { cache: false });
        expect(a.errors).toEqual([]);
        expect(a.theorem1.undecided).toEqual([]);
      }
    } finally {
      clearInterval(timer);
    }
    // Per-instance analysis of two whole specs, uncached, with collections every 3 ms.
  }, 300_000);

  it('stays bounded while every spec of the library is analysed in one process', async () => {
    const heap: number[] = [];
    for (const file of specs) {
      const a = await analyzeIsa(load(file), { cache: false });
      expect(a.errors, file).toEqual([]);
      heap.push(solverHeapBytes());
    }
    expect(heap.length).toBe(specs.length);
    // Z3's WebAssembly heap is 2 GiB; the library needs a small part of it, and what one spec
    // leaves behind does not pile up (the last spec's figure is not far above the first's).
    expect(Math.max(...heap)).toBeLessThan(256 * 2 ** 20);
    expect(heap.at(-1)!).toBeLessThan(heap[0]! + 128 * 2 ** 20);
    // The whole library, uncached, in one process.
  }, 600_000);
});
