import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJsonReport, renderJson } from '../../src/report/json.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';
import { analyseSpec, analysisAvailable, makeAjv } from './helpers.js';

const schema = JSON.parse(readFileSync(new URL('../../grammar/report.schema.json', import.meta.url), 'utf8'));
const validate = makeAjv().compile(schema);
const check = (report: unknown) => {
  const ok = validate(report);
  return ok ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`);
};

describe('JSON report', () => {
  it('is { tool: { name, version }, isas, failed } exactly', () => {
    const r = JSON.parse(renderJson([pgLike, mini86]));
    expect(Object.keys(r)).toEqual(['tool', 'isas', 'failed']);
    expect(r.failed).toEqual([]);
    expect(r.tool.name).toBe('isavirt');
    expect(r.tool.version).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
    expect(r.isas).toEqual([pgLike, mini86]);
  });

  it('validates against grammar/report.schema.json (ajv strict)', () => {
    expect(check(JSON.parse(renderJson([pgLike, mini86])))).toEqual([]);
    expect(check(buildJsonReport([], '1.2.3'))).toEqual([]);
    expect(check(buildJsonReport([{ ...mini86, errors: ['POPF: witness did not replay'] }]))).toEqual([]);
    // The analysis' instance splits and exact monitor verdicts (optional in the types).
    const exact: any = structuredClone(mini86);
    exact.instructions[0].instances = [
      {
        condition: 'true',
        privileged: 'no',
        controlSensitive: 'no',
        modeSensitive: 'no',
        locationSensitive: 'no',
        sensitive: 'no',
        userSensitive: 'no',
        timingDependent: 'no',
        summary: 'innocuous',
      },
    ];
    exact.instructions[0].breaksMonitor = { value: 'no', evidence: { k: 'syntactic', text: 'never reads or writes mode or control state' } };
    exact.instructions[0].breaksHybrid = { value: 'no', evidence: { k: 'syntactic', text: 'never reads or writes mode or control state' } };
    exact.trapAndEmulate = {
      ...structuredClone(mini86.theorem1),
      note: 'why',
      offenders: mini86.theorem1.offenders.map((o: any) => ({ ...o, condition: 'true' })),
    };
    exact.hybridMonitor = structuredClone(mini86.theorem3);
    expect(check(buildJsonReport([exact]))).toEqual([]);
    exact.trapAndEmulate.value = 'maybe';
    expect(check(buildJsonReport([exact]))).not.toEqual([]);
    const trapped: any = structuredClone(mini86);
    trapped.instructions[1].modeSensitive.evidence.witness.outcomes[1] = { kind: 'trap', trap: 'gp_fault', values: {} };
    expect(check(buildJsonReport([trapped]))).toEqual([]);
  });

  it('the schema rejects what the types forbid', () => {
    const bad = (mutate: (r: any) => void) => {
      const r: any = structuredClone(buildJsonReport([mini86], '0.0.0'));
      mutate(r);
      return check(r);
    };
    expect(bad((r) => (r.extra = 1))).not.toEqual([]);
    expect(bad((r) => (r.isas[0].theorem1.value = 'maybe'))).not.toEqual([]);
    expect(bad((r) => (r.isas[0].instructions[1].controlSensitive.evidence.k = 'hunch'))).not.toEqual([]);
    expect(bad((r) => delete r.isas[0].instructions[0].reason)).not.toEqual([]);
    expect(bad((r) => (r.isas[0].instructions[0].span.line = 0))).not.toEqual([]);
    expect(bad((r) => (r.isas[0].instructions[1].modeSensitive.evidence.witness.states = []))).not.toEqual([]);
    expect(bad((r) => (r.isas[0].instructions[2].claimFindings[0].claim.claim = 'fast'))).not.toEqual([]);
    expect(bad((r) => (r.isas[0].instructions[3].privileged.value = 'sometimes'))).not.toEqual([]);
  });

  it.skipIf(!analysisAvailable)('real analyses of isas/pg.isa validate', async () => {
    const pg = await analyseSpec('isas/pg.isa');
    expect(check(JSON.parse(renderJson([pg])))).toEqual([]);
  });
});
