// SARIF fit for GitHub code scanning: valid against the official SARIF 2.1.0 schema (OASIS,
// vendored as grammar/sarif-schema-2.1.0.json from oasis-tcs/sarif-spec, sarif-2.1/schema), and
// clean under Microsoft's SARIF Multitool `validate` with its SARIF and GitHub ingestion rules
// (`--rule-kind "Sarif;Gh"`; GH2012 is "rule has no help"), which runs offline from the npm
// package @microsoft/sarif-multitool. A spec that fails to load is a tool execution notification
// of an unsuccessful invocation, never an empty all-clear; so is it in the JSON report.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { IsaAnalysis } from '../../src/analysis/types.js';
import { buildJsonReport } from '../../src/report/json.js';
import { SARIF_RULES, buildSarif } from '../../src/report/sarif.js';
import { mini86 } from './fixtures/mini86.js';
import { pgLike } from './fixtures/pgLike.js';
import { makeAjv } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');

// The official schema is draft-04 (`id`); ajv reads it as draft-07 once `id` is `$id`, which is
// the only draft-04 feature it uses (no boolean exclusiveMinimum).
const official = JSON.parse(readFileSync(path.join(ROOT, 'grammar/sarif-schema-2.1.0.json'), 'utf8'));
official.$id = official.id;
delete official.id;
delete official.$schema;
const validate = makeAjv({ strictRequired: false }).compile({ ...official });
const schemaErrors = (log: unknown) => (validate(log) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message}`));

/** The Multitool's binary for this platform (its package's own way of finding it). */
function multitool(): { bin?: string; missing?: string } {
  try {
    const bin = createRequire(import.meta.url)('@microsoft/sarif-multitool') as string;
    if (!existsSync(bin)) return { missing: `the SARIF Multitool binary ${bin} is missing` };
    chmodSync(bin, 0o755); // its postinstall sets the x bit; npm may have skipped install scripts
    return { bin };
  } catch (e) {
    return { missing: `@microsoft/sarif-multitool is not installed for ${process.platform} (${(e as Error).message.split('\n')[0]})` };
  }
}

/** The Multitool's complaints (errors and warnings) about a log, as "RULE: message" lines. */
function multitoolFindings(log: unknown): string[] {
  const { bin, missing } = multitool();
  expect(missing).toBeUndefined();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'isavirt-sarif-'));
  const input = path.join(dir, 'in.sarif');
  const output = path.join(dir, 'out.sarif');
  writeFileSync(input, JSON.stringify(log, null, 2));
  // A self-contained .NET program: invariant globalisation, so it needs no libicu on the machine.
  const r = spawnSync(bin!, ['validate', input, '--rule-kind', 'Sarif;Gh', '--output', output, '--log', 'ForceOverwrite'], {
    encoding: 'utf8',
    env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1', DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' },
  });
  expect(existsSync(output), `${r.stdout}\n${r.stderr}`).toBe(true);
  const out = JSON.parse(readFileSync(output, 'utf8')) as {
    runs: { results?: { ruleId: string; level?: string; message: { text?: string; id?: string; arguments?: string[] } }[] }[];
  };
  return (out.runs[0]!.results ?? [])
    .filter((x) => x.level === 'error' || x.level === 'warning')
    .map((x) => `${x.ruleId}: ${x.message.text ?? `${x.message.id} ${(x.message.arguments ?? []).join(' | ')}`}`);
}

const exact: IsaAnalysis = {
  ...structuredClone(mini86),
  trapAndEmulate: {
    value: 'fails',
    offenders: [
      { mnemonic: 'POPF', reason: 'POPF: in user mode the write to FLAGS.IF is silently dropped; no trap', span: mini86.theorem1.offenders[0]!.span },
    ],
    undecided: [],
    statement: 'a trap-and-emulate monitor exists',
  },
};
const failed = [
  {
    source: 'test/report/fixtures/bad.isa',
    diagnostics: [
      {
        code: 'ISA1010',
        severity: 'error' as const,
        message: "expected ';' but found end of file",
        span: { file: 'test/report/fixtures/bad.isa', line: 4, col: 16, endLine: 4, endCol: 17 },
      },
    ],
  },
];

describe('SARIF for GitHub code scanning', () => {
  it('validates against the official SARIF 2.1.0 schema', () => {
    expect(schemaErrors(buildSarif([pgLike, mini86]))).toEqual([]);
    expect(schemaErrors(buildSarif([exact], { failed }))).toEqual([]);
    expect(schemaErrors(buildSarif([], { failed }))).toEqual([]);
    const bad: any = buildSarif([mini86]);
    bad.runs[0].invocations[0].executionSuccessful = 'no';
    expect(schemaErrors(bad)).not.toEqual([]);
  });

  it('every rule has help in text and Markdown and a helpUri', () => {
    const rules: any[] = (buildSarif([]) as any).runs[0].tool.driver.rules;
    expect(rules).toHaveLength(SARIF_RULES.length);
    for (const r of rules) {
      expect(r.help.text.length, r.id).toBeGreaterThan(40);
      expect(r.help.markdown, r.id).toContain('**');
      expect(r.helpUri, r.id).toMatch(/^https:\/\//);
    }
  });

  it("the Multitool with GitHub's rules finds nothing to complain about, failed specs included", () => {
    expect(multitoolFindings(buildSarif([pgLike, mini86]))).toEqual([]);
    expect(multitoolFindings(buildSarif([exact], { failed }))).toEqual([]);
  }, 60_000);

  it('the Multitool does catch what GitHub rejects (a rule without help)', () => {
    const log: any = buildSarif([mini86]);
    delete log.runs[0].tool.driver.rules[0].help;
    expect(multitoolFindings(log).some((f) => f.startsWith('GH2012'))).toBe(true);
  }, 60_000);

  it('partial fingerprints name the finding, not its line: stable when the spec moves, distinct per finding', () => {
    const moved = structuredClone(mini86);
    for (const o of moved.theorem1.offenders) o.span = { ...o.span, line: o.span.line + 10, endLine: o.span.endLine + 10 };
    const fp = (a: IsaAnalysis) =>
      (buildSarif([a]) as any).runs[0].results.filter((r: any) => r.ruleId === 'ISA-T1').map((r: any) => r.partialFingerprints['isavirtFinding/v1']);
    expect(fp(moved)).toEqual(fp(mini86));
    const all: string[] = (buildSarif([mini86]) as any).runs[0].results.map((r: any) => r.partialFingerprints['isavirtFinding/v1']);
    expect(new Set(all).size).toBe(all.length);
  });

  it('has automationDetails, and one invocation that succeeded when every spec loaded', () => {
    const run: any = (buildSarif([mini86], { category: 'isa-specs' }) as any).runs[0];
    expect(run.automationDetails).toEqual({ id: 'isa-specs/' });
    expect(run.invocations).toEqual([{ executionSuccessful: true }]);
  });

  it('a spec that failed to load: executionSuccessful false, one notification per error, at its place', () => {
    const run: any = (buildSarif([], { failed }) as any).runs[0];
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications).toEqual([
      {
        level: 'error',
        message: { text: "test/report/fixtures/bad.isa: expected ';' but found end of file" },
        descriptor: { id: 'ISA1010' },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: 'test/report/fixtures/bad.isa', uriBaseId: '%SRCROOT%' },
              region: { startLine: 4, startColumn: 16, endLine: 4, endColumn: 17 },
            },
          },
        ],
        properties: { spec: 'test/report/fixtures/bad.isa', code: 'ISA1010' },
      },
    ]);
    expect(run.artifacts.map((a: any) => a.location.uri)).toEqual(['test/report/fixtures/bad.isa']);
  });

  it('reports each offender of the exact trap-and-emulate verdict under its own rule', () => {
    const te = (buildSarif([exact]) as any).runs[0].results.filter((r: any) => r.ruleId === 'ISA-TE');
    expect(te.map((r: any) => r.properties.instruction)).toEqual(['POPF']);
    expect(te[0].level).toBe('error');
    expect(te[0].ruleIndex).toBe(SARIF_RULES.findIndex((r) => r.id === 'ISA-TE'));
  });
});

describe('isavirt check with a spec that fails to load', () => {
  const good = path.join(ROOT, 'isas/pg.isa');
  const bad = path.join(ROOT, 'test/report/fixtures/bad.isa');

  it('SARIF: exit 2, the good spec analysed, the bad one a notification; clean under the Multitool', () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'isavirt-check-')), 'r.sarif');
    const r = spawnSync(process.execPath, [CLI, 'check', good, bad, '--format', 'sarif', '--output', out], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    const log: any = JSON.parse(readFileSync(out, 'utf8'));
    const run = log.runs[0];
    expect(run.invocations[0].executionSuccessful).toBe(false);
    expect(run.invocations[0].toolExecutionNotifications.length).toBeGreaterThan(0);
    expect(run.invocations[0].toolExecutionNotifications[0].message.text).toMatch(/bad\.isa: /);
    expect(run.artifacts.map((a: any) => a.location)).toEqual([
      { uri: 'isas/pg.isa', uriBaseId: '%SRCROOT%' },
      { uri: 'test/report/fixtures/bad.isa', uriBaseId: '%SRCROOT%' },
    ]);
    expect(schemaErrors(log)).toEqual([]);
    expect(multitoolFindings(log)).toEqual([]);
  }, 120_000);

  it('JSON: the failed spec with its diagnostics beside the analysed one; a missing file too', () => {
    const r = spawnSync(process.execPath, [CLI, 'check', good, bad, path.join(ROOT, 'nope.isa'), '--format', 'json'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    const report = JSON.parse(r.stdout);
    expect(report.isas.map((a: any) => a.isa)).toEqual(['pg']);
    expect(report.failed.map((f: any) => path.basename(f.source))).toEqual(['nope.isa', 'bad.isa']);
    for (const f of report.failed) expect(f.diagnostics.length).toBeGreaterThan(0);
    expect(report.failed[1].diagnostics[0].code).toMatch(/^ISA\d{4}$/);
    const schema = makeAjv().compile(JSON.parse(readFileSync(path.join(ROOT, 'grammar/report.schema.json'), 'utf8')));
    expect(schema(report), JSON.stringify(schema.errors)).toBe(true);
    expect(schema(buildJsonReport([], '1.0.0', failed))).toBe(true);
  }, 120_000);
});
