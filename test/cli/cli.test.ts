// The built `isavirt` command end to end (spawned like a user runs it), plus the run loop in-process
// for what a child process cannot show (a TTY, an internal error).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { afterAll, describe, expect, it } from 'vitest';
import { defineCommand } from '../../src/cli/command.js';
import { colorWanted, type CliIO } from '../../src/cli/io.js';
import { runArgs } from '../../src/cli/run.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist/cli/main.js');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };

function isavirt(args: string[], env: Record<string, string | undefined> = { NO_COLOR: '1' }) {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (s: string) => expect(s).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
const noEscapes = (s: string) => expect(s).not.toMatch(/\x1b\[/);

const tmp = mkdtempSync(path.join(tmpdir(), 'isavirt-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const bad = path.join(tmp, 'bad.isa');
writeFileSync(bad, 'isa bad;\nregister A : 8\nfetch E at A;\n');

describe('global options', () => {
  it('--version prints the package version', () => {
    const r = isavirt(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('--help lists the commands and the exit codes', () => {
    const r = isavirt(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['parse', 'export', 'fmt']) expect(r.stdout).toMatch(new RegExp(`isavirt ${c}`));
    expect(r.stdout).toContain('Exit codes');
  });

  it("a command's --help shows its examples", () => {
    const r = isavirt(['fmt', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('isavirt fmt --check');
  });

  it.each([
    [['--bogus', 'parse', 'isas/pg.isa'], /bogus/],
    [['parse', 'isas/pg.isa', '--bogus'], /bogus/],
    [['frobnicate'], /frobnicate/],
    [[], /command/],
    [['parse'], /spec/],
    [['fmt', '--check', '--write', 'isas/pg.isa'], /check.*write|write.*check/],
  ])('bad arguments %j exit 2 with one message', (args, message) => {
    const r = isavirt(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/^error: /);
    expect(r.stdout).toBe('');
    noStack(r.stderr);
  });
});

describe('isavirt parse', () => {
  it('prints ok for a good spec', () => {
    const r = isavirt(['parse', 'isas/pg.isa']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok isas/pg.isa\n');
  });

  it('reports a bad spec at file:line:col with the source line, exit 2', () => {
    const r = isavirt(['parse', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${bad.replace(/[.\\/]/g, '\\$&')}:\\d+:\\d+: error ISA1\\d{3}`));
    expect(r.stderr).toContain('^');
    noStack(r.stderr);
  });

  it('checks every file even after a bad one', () => {
    const r = isavirt(['parse', bad, 'isas/pg.isa']);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('ok isas/pg.isa');
  });

  it('names a missing file, exit 2', () => {
    const r = isavirt(['parse', 'no/such.isa']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no/such.isa');
    noStack(r.stderr);
  });
});

describe('isavirt export', () => {
  it('--json prints the IR', () => {
    const r = isavirt(['export', '--json', 'isas/pg.isa']);
    expect(r.code).toBe(0);
    const ir = JSON.parse(r.stdout);
    expect(ir).toMatchObject({ format: 'isavirt-ir', version: 1, name: 'pg' });
    expect(ir.instructions.map((i: { mnemonic: string }) => i.mnemonic)).toContain('LPSW');
  });

  it('--output writes the file and prints nothing', () => {
    const out = path.join(tmp, 'pg.isa.json');
    const r = isavirt(['export', '--json', 'isas/pg.isa', '-o', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).name).toBe('pg');
  });

  it('without a format is bad input', () => {
    const r = isavirt(['export', 'isas/pg.isa']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--json');
  });

  it('a bad spec exits 2 with file:line:col', () => {
    const r = isavirt(['export', '--json', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.isa:\d+:\d+/);
    expect(r.stdout).toBe('');
  });
});

describe('isavirt fmt', () => {
  const messy = path.join(root, 'test/format/fixtures/messy.isa');
  const formatted = readFileSync(path.join(root, 'test/format/fixtures/messy.formatted.isa'), 'utf8');

  it('prints the canonical form', () => {
    const r = isavirt(['fmt', messy]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(formatted);
  });

  it('--check: exit 0 when formatted, 1 listing the files that are not', () => {
    expect(isavirt(['fmt', '--check', 'isas/pg.isa']).code).toBe(0);
    const r = isavirt(['fmt', '--check', 'isas/pg.isa', messy]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(messy);
    expect(r.stdout).not.toContain('pg.isa');
  });

  it('a folder stands for its .isa files', () => {
    const dir = path.join(tmp, 'lib');
    mkdirSync(dir);
    copyFileSync(path.join(root, 'isas/pg.isa'), path.join(dir, 'pg.isa'));
    copyFileSync(messy, path.join(dir, 'messy.isa'));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a spec');
    const r = isavirt(['fmt', '--check', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([`not formatted: ${path.join(dir, 'messy.isa')}`]);
    expect(isavirt(['fmt', '--check', path.join(tmp, 'no-such-dir')]).code).toBe(2);
  });

  it('--write rewrites in place, after which --check passes', () => {
    const copy = path.join(tmp, 'messy.isa');
    copyFileSync(messy, copy);
    const r = isavirt(['fmt', '--write', copy]);
    expect(r.code).toBe(0);
    expect(readFileSync(copy, 'utf8')).toBe(formatted);
    expect(isavirt(['fmt', '--check', copy]).code).toBe(0);
  });

  it('a spec that does not parse: exit 2 with file:line:col, file untouched', () => {
    const before = readFileSync(bad, 'utf8');
    const r = isavirt(['fmt', '--write', bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.isa:\d+:\d+: error/);
    expect(readFileSync(bad, 'utf8')).toBe(before);
    // With --check the other files are still checked and listed; bad input decides the exit code.
    const c = isavirt(['fmt', '--check', bad, messy]);
    expect(c.code).toBe(2);
    expect(c.stdout).toContain(`not formatted: ${messy}`);
  });
});

describe('colour', () => {
  it('never in a pipe, nor with NO_COLOR', () => {
    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: undefined, FORCE_COLOR: undefined }]) {
      const r = isavirt(['parse', bad, 'isas/pg.isa'], env);
      noEscapes(r.stdout);
      noEscapes(r.stderr);
    }
  });

  it('only on a TTY, and NO_COLOR (non-empty) turns it off', () => {
    expect(colorWanted({ isTTY: true }, {})).toBe(true);
    expect(colorWanted({ isTTY: false }, {})).toBe(false);
    expect(colorWanted({}, {})).toBe(false);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorWanted({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });
});

/** Run the CLI loop in-process with captured output. */
async function runInProcess(args: string[], commands: Parameters<typeof runArgs>[1], opts: { color?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    out: (t) => out.push(t + '\n'),
    err: (t) => err.push(t + '\n'),
    write: (t) => out.push(t),
    colorOut: opts.color ?? false,
    colorErr: opts.color ?? false,
    env: opts.env ?? {},
  };
  const code = await runArgs(yargs(args), commands, io, args);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('the run loop', () => {
  const boom = defineCommand<object>({
    command: 'boom',
    describe: 'fails',
    run() {
      throw new Error('kaboom');
    },
  });

  it('an unexpected error is an internal error: exit 3, no stack', async () => {
    const r = await runInProcess(['boom'], [boom]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('internal error: kaboom');
    expect(r.stderr).toContain('report');
    noStack(r.stderr);
  });

  it('ISAVIRT_DEBUG=1 adds the stack', async () => {
    const r = await runInProcess(['boom'], [boom], { env: { ISAVIRT_DEBUG: '1' } });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^\s+at /m);
  });

  it('a command module that fails to load leaves the others working and reports itself', async () => {
    const { load } = await import('../../src/cli/commands.js');
    const broken = await load('./no-such-command.js');
    const finding = defineCommand<object>({ command: 'finding', describe: 'negative', run: () => 1 });
    expect((await runInProcess(['finding'], [broken, finding])).code).toBe(1);
    const r = await runInProcess(['no-such-command', '--any'], [broken, finding]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("internal error: the 'no-such-command' command failed to load");
  });

  it('passes the exit code a command returns, and colour when asked', async () => {
    const finding = defineCommand<object>({ command: 'finding', describe: 'negative', run: () => 1 });
    expect((await runInProcess(['finding'], [finding])).code).toBe(1);
    const r = await runInProcess(['nope'], [finding], { color: true });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/\x1b\[/);
  });
});
