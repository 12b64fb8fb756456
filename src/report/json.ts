// The JSON report: `{ tool: { name, version }, isas: IsaAnalysis[] }`, exactly; its schema is
// grammar/report.schema.json. The analysis result is already plain data, so this only wraps it.

import { readFileSync } from 'node:fs';
import type { IsaAnalysis } from '../analysis/types.js';

export interface JsonReport {
  tool: { name: string; version: string };
  isas: IsaAnalysis[];
}

let cachedVersion: string | undefined;

/** isavirt's version from package.json (two levels up from both src/report/ and dist/report/). */
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    cachedVersion = pkg.version;
  }
  return cachedVersion;
}

export function buildJsonReport(analyses: IsaAnalysis[], version: string = toolVersion()): JsonReport {
  return { tool: { name: 'isavirt', version }, isas: analyses };
}

/** The report as text: two-space indented, ending in a newline. */
export function renderJson(analyses: IsaAnalysis[], version?: string): string {
  return JSON.stringify(buildJsonReport(analyses, version), null, 2) + '\n';
}
