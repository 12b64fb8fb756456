// The JSON report: `{ tool: { name, version }, isas: IsaAnalysis[], failed: FailedSpec[] }`,
// exactly; its schema is grammar/report.schema.json. The analysis result is already plain data, so
// this only wraps it. A spec that failed to load is carried with its diagnostics: a report of zero
// ISAs is never mistaken for "all clear".

import { readFileSync } from 'node:fs';
import type { IsaAnalysis } from '../analysis/index.js';
import type { Diagnostic } from '../ir/index.js';

/** A spec named for checking that did not load (a syntax or type error, a missing file). */
export interface FailedSpec {
  /** The spec's path as given. */
  source: string;
  /** Why, at least one error. */
  diagnostics: Diagnostic[];
}

export interface JsonReport {
  tool: { name: string; version: string };
  isas: IsaAnalysis[];
  failed: FailedSpec[];
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

/** A failure that is only a message (a file that cannot be read): one error diagnostic. */
export function failedSpec(source: string, diagnostics: Diagnostic[] | string): FailedSpec {
  const list = typeof diagnostics === 'string' ? [{ code: 'ISA5001', severity: 'error' as const, message: diagnostics, file: source }] : diagnostics;
  return { source, diagnostics: list };
}

export function buildJsonReport(analyses: IsaAnalysis[], version: string = toolVersion(), failed: FailedSpec[] = []): JsonReport {
  return { tool: { name: 'isavirt', version }, isas: analyses, failed };
}

/** The report as text: two-space indented, ending in a newline. */
export function renderJson(analyses: IsaAnalysis[], version?: string, failed: FailedSpec[] = []): string {
  return JSON.stringify(buildJsonReport(analyses, version, failed), null, 2) + '\n';
}
