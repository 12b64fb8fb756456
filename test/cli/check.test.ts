// End to end: the built `isavirt check` on the real front end and analysis.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeAjv } from '../report/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist/cli/main.js');
const TOY = 'test/report/fixtures/toypopf.isa';
const BAD = 'test/report/fixtures/bad.isa';

function isavirt(...args: string[]) {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStackTrace = (s: string) => expect(s).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

const tmp = mkdtempSync(path.join(tmpdir(), 'isavirt-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('isavirt check', () => {
  it('pg.isa satisfies Theorem 1: exit 0, an 80-column text report', () => {
    const r = isavirt('check', 'isas/pg.isa');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ISA pg (isas/pg.isa)');
    expect(r.stdout).toMatch(/Theorem 1 \(sensitive ⊆ privileged\): holds/);
    expect(r.stdout.split('\n').filter((l) => l.length > 80)).toEqual([]);
    expect(r.stdout).not.toContain('Summary');
  });

  it('a POPF-like machine is not virtualizable: exit 1, POPF is the offender', () => {
    const r = isavirt('check', TOY);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Theorem 1 \(sensitive ⊆ privileged\): FAILS/);
    expect(r.stdout).toMatch(/^ {2}POPF +T1 /m);
    // POPF claims innocuous; the derivation contradicts it.
    expect(r.stdout).toContain('POPF claims innocuous');
    // The table and the evidence only when asked.
    expect(r.stdout).not.toMatch(/^CLI +yes +yes/m);
    const v = isavirt('check', TOY, '--verbose');
    expect(v.stdout).toMatch(/^POPF +no +yes/m);
    expect(v.stdout).toMatch(/^CLI +yes +yes/m);
    expect(v.stdout).toMatch(/POPF \(test\/report\/fixtures\/toypopf\.isa:\d+:\d+\)/);
  });

  it('a bad spec prints diagnostics and exits 2, without a stack trace', () => {
    const r = isavirt('check', BAD);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.isa:');
    noStackTrace(r.stderr);
  });

  it('a missing file exits 2 with one clear message', () => {
    const r = isavirt('check', 'no/such/spec.isa');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such/spec.isa: no such file or folder');
    noStackTrace(r.stderr);
  });

  it('a folder: every spec in it, sorted; a bad one exits 2 after the rest are analysed', () => {
    const dir = path.join(tmp, 'lib');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(root, TOY), path.join(dir, 'b-toypopf.isa'));
    copyFileSync(path.join(root, 'isas/pg.isa'), path.join(dir, 'a-pg.isa'));
    copyFileSync(path.join(root, BAD), path.join(dir, 'c-bad.isa'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a spec');
    const r = isavirt('check', dir);
    expect(r.code).toBe(2);
    const out = r.stdout;
    expect(out.indexOf('ISA pg ')).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('ISA pg ')).toBeLessThan(out.indexOf('ISA toypopf '));
    expect(out).toMatch(/Summary \(3 specs\)/);
    expect(out).toMatch(/pg\s+T1 holds/);
    // POPF misbehaves only through the mode, which the hybrid monitor's user mode shares with the
    // bare machine: Theorem 3 holds.
    expect(out).toMatch(/toypopf\s+T1 fails\s+T2 \w+\s+T3 holds\s+1 offender/);
    expect(out).toContain('bad spec:');
    expect(r.stderr).toContain('c-bad.isa:');
  });

  it('--format json validates against grammar/report.schema.json', () => {
    const r = isavirt('check', 'isas/pg.isa', TOY, '--format', 'json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    const schema = JSON.parse(readFileSync(path.join(root, 'grammar/report.schema.json'), 'utf8'));
    const validate = makeAjv().compile(schema);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
    expect(report.isas.map((a: any) => a.isa)).toEqual(['pg', 'toypopf']);
  });

  it('--format sarif places the offender at the instruction; --output writes a file', () => {
    const file = path.join(tmp, 'toy.sarif');
    const r = isavirt('check', TOY, '--format', 'sarif', '--output', file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    const log = JSON.parse(readFileSync(file, 'utf8'));
    const t1 = log.runs[0].results.filter((x: any) => x.ruleId === 'ISA-T1');
    expect(t1.map((x: any) => x.properties.instruction)).toEqual(['POPF']);
    const loc = t1[0].locations[0].physicalLocation;
    expect(loc.artifactLocation.uri).toBe(TOY);
    const line =
      readFileSync(path.join(root, TOY), 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('instruction POPF')) + 1;
    // The span may start at the doc comment above the instruction.
    expect(loc.region.startLine).toBeLessThanOrEqual(line);
    expect(loc.region.endLine).toBeGreaterThan(line);
  });

  it('--format markdown contains the classification table', () => {
    const r = isavirt('check', TOY, '--format', 'markdown');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('| instruction | privileged | control | mode | location | user | verdict | line |');
    expect(r.stdout).toMatch(/^\| POPF \| no \| yes \|/m);
  });

  it('--explain prints the explanation; an unknown mnemonic suggests the closest and exits 2', () => {
    const ok = isavirt('check', TOY, '--explain', 'POPF');
    expect(ok.code).toBe(1);
    expect(ok.stdout).toContain('POPF');
    const bad = isavirt('check', TOY, '--explain', 'POPX');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no instruction POPX in toypopf; did you mean POPF?');
  });

  it('--summary without --format markdown is a usage error', () => {
    const r = isavirt('check', 'isas/pg.isa', '--summary');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--summary goes with --format markdown');
  });

  it('prints no progress in a pipe: stderr stays empty', () => {
    const r = isavirt('check', TOY);
    expect(r.stderr).toBe('');
  });

  it('rejects an unknown format with exit 2', () => {
    const r = isavirt('check', 'isas/pg.isa', '--format', 'pdf');
    expect(r.code).toBe(2);
    noStackTrace(r.stderr);
  });
});

describe('isavirt check on the 386', () => {
  const text = isavirt('check', 'isas/x86-386.isa');
  const summary = isavirt('check', 'isas/x86-386.isa', '--format', 'markdown', '--summary');

  it('fits two screens: at most 80 lines of at most 80 columns, nothing cut short', () => {
    expect(text.code).toBe(1);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(80);
    expect(lines.filter((l) => l.length > 80)).toEqual([]);
    expect(text.stdout).not.toContain('…');
  });

  it('states the theorems first, then lists each offender exactly once with a reason in words', () => {
    const lines = text.stdout.split('\n');
    expect(lines[2]).toMatch(/^ {2}Theorem 1 \(sensitive ⊆ privileged\): FAILS — \d+ offenders/);
    expect(lines[3]).toMatch(/^ {2}Theorem 2 /);
    expect(lines[4]).toMatch(/^ {2}Theorem 3 /);
    for (const m of ['POPF', 'PUSHF', 'SGDT', 'SMSW', 'MOV_SS_R', 'IRET']) {
      expect(
        lines.filter((l) => new RegExp(`^ {2}${m} `).test(l)),
        m,
      ).toHaveLength(1);
    }
    const flat = text.stdout.replace(/\s+/g, ' ');
    expect(flat).toMatch(/POPF T1 T2 T3 M H in ring3 EFLAGS\.IF depends on EFLAGS\.IOPL, which is control state; not privileged/);
    // SMSW breaks Theorem 1 but not the exact monitor, which mirrors CR0 (no trap entry, timer or
    // assumption reads it; DESIGN.md, the control state the monitor owns).
    expect(flat).toContain('SMSW T1 T2 T3 in ring3 gpr[0] depends on CR0, which is control state; not privileged');
    // An offender whose witness traps in one mode is "not privileged", never "...traps GP; no trap".
    expect(flat).not.toContain('; no trap');
    // A split instruction says where it offends, not its whole split.
    expect(flat).toMatch(/JMPF T1 T2 T3 M H .*; not privileged where sel_null\(sel\) != 1/);
  });

  it('the Markdown summary fits a pull-request comment, details folded', () => {
    expect(summary.code).toBe(1);
    expect(summary.stdout.length).toBeLessThan(60_000);
    expect(summary.stdout).toContain('<details>');
    expect(summary.stdout).toContain('<summary><b>POPF</b>: breaks T1, T2, T3</summary>');
    expect(summary.stdout.match(/<details>/g)!.length).toBe(summary.stdout.match(/<\/details>/g)!.length);
    expect(summary.stdout).not.toContain('…');
  });

  it('--explain shows a witness a student can follow: operands by name, what differs, the rest summarised', () => {
    const r = isavirt('check', 'isas/x86-386.isa', '--explain', 'SMSW');
    expect(r.stdout).toContain('instance: rd = 0 (eax)');
    expect(r.stdout).toMatch(/given CR0 0x[0-9a-f]{8} \(state A\) vs 0x[0-9a-f]{8} \(state B\)/);
    expect(r.stdout).toMatch(/all other state equal \(\d+ more elements\)/);
  });
});

describe('check helpers', async () => {
  const { didYouMean, editDistance, expandSpecs } = await import('../../src/cli/check.js');

  it('expands a folder to its specs, sorted, and reports what is not there', () => {
    const dir = path.join(tmp, 'expand');
    mkdirSync(path.join(dir, 'sub.isa'), { recursive: true });
    for (const f of ['z.isa', 'a.isa.json', 'm.isa', 'readme.md']) writeFileSync(path.join(dir, f), '');
    const r = expandSpecs([dir, 'no/such.isa', path.join(dir, 'readme.md')]);
    expect(r.files).toEqual([path.join(dir, 'a.isa.json'), path.join(dir, 'm.isa'), path.join(dir, 'z.isa'), path.join(dir, 'readme.md')]);
    expect(r.bad.map((b) => b.path)).toEqual(['no/such.isa']);
    expect(r.folders).toBe(1);
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    expect(expandSpecs([empty]).bad[0]!.message).toContain('no .isa or .isa.json files');
  });

  it('suggests the closest mnemonics', () => {
    expect(editDistance('POPF', 'popf')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(didYouMean('POPX', ['POPF', 'PUSHF', 'CLI'])).toEqual(['POPF']);
    expect(didYouMean('LSPW', ['LPSW', 'SETR', 'GETR'])).toEqual(['LPSW']);
    expect(didYouMean('ZZZZZZ', ['POPF', 'CLI'])).toEqual([]);
    // Only the best distance: NOP is two edits from POPX, POPF one.
    expect(didYouMean('POPX', ['NOP', 'POPF'])).toEqual(['POPF']);
  });
});
