// Shared by the report tests: an ajv instance (strict mode) with the formats our schemas use, and
// a way to get real analyses of the ISA library once the front end and the analysis exist.
import { existsSync } from 'node:fs';
import { Ajv } from 'ajv';
import type { IsaAnalysis } from '../../src/analysis/types.js';

export function makeAjv(options: { strictRequired?: boolean } = {}) {
  const ajv = new Ajv({ strict: true, allErrors: true, ...options });
  // ajv-formats is not a dependency; these checks are what SARIF consumers rely on.
  ajv.addFormat('uri', (s: string) => /^[a-zA-Z][a-zA-Z0-9+.-]*:[^\s]*$/.test(s));
  ajv.addFormat('uri-reference', (s: string) => !/\s|\\/.test(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv;
}

/** True once src/analysis/index.ts and the front end have landed. */
export const analysisAvailable =
  existsSync(new URL('../../src/analysis/index.ts', import.meta.url)) && existsSync(new URL('../../src/ir/index.ts', import.meta.url));

/** Load and analyse a spec through the real pipeline (only call when analysisAvailable). */
export async function analyseSpec(file: string): Promise<IsaAnalysis> {
  const ir = (await import('../../src/ir/index.js' as string)) as {
    loadIsaFile(path: string): Promise<{ ok: boolean; isa?: unknown; diagnostics: unknown[] }>;
  };
  const an = (await import('../../src/analysis/index.js' as string)) as { analyzeIsa(isa: unknown): Promise<IsaAnalysis> };
  const loaded = await ir.loadIsaFile(file);
  if (!loaded.ok) throw new Error(`${file} did not load: ${JSON.stringify(loaded.diagnostics)}`);
  return an.analyzeIsa(loaded.isa);
}
