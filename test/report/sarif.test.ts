import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SARIF_RULES, buildSarif, renderSarif } from '../../src/report/sarif.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';
import { analyseSpec, analysisAvailable, makeAjv } from './helpers.js';

// The official SARIF 2.1.0 schema (OASIS, draft-04: `id` read as `$id`). It lists `required` inside
// anyOf branches (message: text or id), which ajv's strictRequired rejects; every other strict
// check stays on.
const schema = JSON.parse(readFileSync(new URL('../../grammar/sarif-schema-2.1.0.json', import.meta.url), 'utf8'));
schema.$id = schema.id;
delete schema.id;
delete schema.$schema;
const validate = makeAjv({ strictRequired: false }).compile(schema);
const errorsOf = (log: unknown) => (validate(log) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

const withReplayError = { ...mini86, errors: ['POPF: mode-sensitivity witness did not replay', 'solver crashed'] };

describe('SARIF report', () => {
  it('validates against the official SARIF 2.1.0 schema', () => {
    expect(errorsOf(buildSarif([pgLike, mini86]))).toEqual([]);
    expect(errorsOf(buildSarif([withReplayError]))).toEqual([]);
    expect(errorsOf(JSON.parse(renderSarif([])))).toEqual([]);
  });

  it('the schema rejects malformed logs', () => {
    const log: any = buildSarif([mini86]);
    log.runs[0].results[0].level = 'fatal';
    expect(errorsOf(log)).not.toEqual([]);
    const log2: any = buildSarif([mini86]);
    log2.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
    expect(errorsOf(log2)).not.toEqual([]);
    const log3: any = buildSarif([mini86]);
    delete log3.runs[0].results[0].message.text;
    expect(errorsOf(log3)).not.toEqual([]);
  });

  it('has one run whose driver has one rule per finding kind', () => {
    const log: any = buildSarif([pgLike, mini86], { version: '9.9.9' });
    expect(log.version).toBe('2.1.0');
    expect(log.runs).toHaveLength(1);
    const driver = log.runs[0].tool.driver;
    expect(driver.name).toBe('isavirt');
    expect(driver.version).toBe('9.9.9');
    expect(driver.rules.map((r: any) => r.id)).toEqual(['ISA-T1', 'ISA-T3', 'ISA-T2', 'ISA-CLAIM', 'ISA-UNKNOWN', 'ISA-REPLAY', 'ISA-TE', 'ISA-HM']);
    expect(new Set(driver.rules.map((r: any) => r.id)).size).toBe(SARIF_RULES.length);
  });

  it('reports each offender at the offending instruction with its one-line reason', () => {
    const results: any[] = (buildSarif([mini86]) as any).runs[0].results;
    const popfT1 = results.find((r) => r.ruleId === 'ISA-T1' && r.properties.instruction === 'POPF');
    expect(popfT1.level).toBe('error');
    expect(popfT1.message.text).toBe('POPF: in user mode the write to FLAGS.IF is silently dropped; no trap');
    expect(popfT1.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'test/report/fixtures/mini86.isa', uriBaseId: '%SRCROOT%' },
      region: { startLine: 80, startColumn: 1, endLine: 92, endColumn: 2 },
    });
    const rule = (id: string) => results.filter((r) => r.ruleId === id).map((r) => r.properties.instruction);
    expect(rule('ISA-T1')).toEqual(['POPF', 'SGDT']);
    expect(rule('ISA-T3')).toEqual(['POPF', 'SGDT']);
    // Theorem 2 findings beyond Theorem 1 only: the clock read.
    expect(rule('ISA-T2')).toEqual(['RDTSC']);
    expect(rule('ISA-CLAIM')).toEqual(['SGDT']);
    expect(rule('ISA-UNKNOWN')).toEqual(['VERW']);
    for (const r of results) expect(r.ruleIndex).toBe(SARIF_RULES.findIndex((x) => x.id === r.ruleId));
  });

  it('places a contradicted claim at the claim, with warning level', () => {
    const claim: any = (buildSarif([mini86]) as any).runs[0].results.find((r: any) => r.ruleId === 'ISA-CLAIM');
    expect(claim.level).toBe('warning');
    expect(claim.locations[0].physicalLocation.region).toEqual({ startLine: 102, startColumn: 10, endLine: 102, endColumn: 19 });
    const unknown: any = (buildSarif([mini86]) as any).runs[0].results.find((r: any) => r.ruleId === 'ISA-UNKNOWN');
    expect(unknown.level).toBe('note');
    expect(unknown.message.text).toContain('location-sensitive');
  });

  it('reports replay failures as errors, at the instruction they name', () => {
    const results: any[] = (buildSarif([withReplayError]) as any).runs[0].results.filter((r: any) => r.ruleId === 'ISA-REPLAY');
    expect(results).toHaveLength(2);
    expect(results.every((r) => r.level === 'error')).toBe(true);
    expect(results[0].locations[0].physicalLocation.region.startLine).toBe(80);
    // Not about one instruction: the spec file, no region.
    expect(results[1].locations[0].physicalLocation).toEqual({ artifactLocation: { uri: 'test/report/fixtures/mini86.isa', uriBaseId: '%SRCROOT%' } });
  });

  it('an all-clear ISA has no results', () => {
    expect((buildSarif([pgLike]) as any).runs[0].results).toEqual([]);
  });

  it('uses URIs relative to %SRCROOT%, the base folder', () => {
    const abs = structuredClone(mini86);
    const file = path.join(process.cwd(), 'isas', 'my spec.isa');
    abs.source = file;
    for (const o of abs.theorem1.offenders) o.span = { ...o.span, file };
    const log: any = buildSarif([abs]);
    const t1 = log.runs[0].results.find((r: any) => r.ruleId === 'ISA-T1');
    expect(t1.locations[0].physicalLocation.artifactLocation.uri).toBe('isas/my%20spec.isa');
    expect(log.runs[0].artifacts[0].location).toEqual({ uri: 'isas/my%20spec.isa', uriBaseId: '%SRCROOT%' });
    expect(log.runs[0].originalUriBaseIds['%SRCROOT%'].uri).toBe(pathToFileURL(process.cwd() + path.sep).href);
    expect(errorsOf(log)).toEqual([]);
    // Outside %SRCROOT%: an absolute file URI.
    const out: any = buildSarif([abs], { base: path.join(process.cwd(), 'test') });
    expect(out.runs[0].artifacts[0].location).toEqual({ uri: pathToFileURL(file).href });
  });

  it.skipIf(!analysisAvailable)('a real analysis of isas/pg.isa gives valid SARIF', async () => {
    const pg = await analyseSpec('isas/pg.isa');
    expect(errorsOf(buildSarif([pg]))).toEqual([]);
  });
});
