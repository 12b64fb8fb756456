// Bad input at the command line, each from the issue that found it: exit 2 with one message,
// never a silent exit 0, never a stack trace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { exponentialCalls } from '../ir/hostile.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist/cli/main.js');
const tmp = mkdtempSync(path.join(tmpdir(), 'isavirt-bounds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function isavirt(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', input: input ?? '', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const noStack = (s: string) => expect(s).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe('standard input', () => {
  it('parse - checks the spec on standard input', () => {
    const pg = spawnSync('cat', ['isas/pg.isa'], { cwd: root, encoding: 'utf8' }).stdout;
    const r = isavirt(['parse', '-'], pg);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ok <stdin>');
  });

  it('parse - with a bad spec names <stdin>:line:col and exits 2', () => {
    const r = isavirt(['parse', '-'], 'isa t;\nregister A : 8\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^<stdin>:\d+:\d+: error ISA1/m);
  });

  it('check - reads standard input too; an empty one is a bad spec, not a pass', () => {
    const r = isavirt(['check', '-'], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ISA1015');
  });

  it("'-' where a spec cannot come from standard input is refused", () => {
    const r = isavirt(['asm', 'isas/pg.isa', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('standard input');
    noStack(r.stderr);
  });
});

describe('hostile specs stop at the checker, for every command', () => {
  it('2^40 inlined calls: check and run exit 2 with ISA3020 instead of never finishing', () => {
    const spec = path.join(tmp, 'exp.isa');
    writeFileSync(spec, exponentialCalls(40));
    writeFileSync(path.join(tmp, 'p.s'), 'NOP\n');
    for (const args of [
      ['check', spec],
      ['run', spec, path.join(tmp, 'p.s')],
    ]) {
      const r = isavirt(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/error ISA3020: function 'f\d+' expands to/);
      noStack(r.stderr);
    }
  });
});

describe('flags', () => {
  it('--format with no value exits 2', () => {
    for (const cmd of [
      ['check', 'isas/pg.isa', '--format'],
      ['doc', 'isas/pg.isa', '--format'],
      ['check', 'isas/pg.isa', '-f'],
    ]) {
      const r = isavirt(cmd);
      expect(r.code, cmd.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/Not enough arguments following: (format|f)\b/);
    }
  });

  it('--monitor-control with a value wider than the element exits 2', () => {
    const r = isavirt(['run', 'isas/x86-386.isa', 'isas/x86-386/redpill.s', '--compare', '--monitor-control', 'IDTR=0x' + 'f'.repeat(31)]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/IDTR has 48 bits, and 0xf+ needs 124/);
  });

  it("a spec whose memories exceed the machine's cap names the spec and the option run --help lists", () => {
    const spec = path.join(tmp, 'bigmem.isa');
    writeFileSync(
      spec,
      'isa b;\nmemory E : 8 [1073741824];\nregister PC : 30;\nregister M : 1 mode;\nmodes { sup when M == 1; }\nfetch E at PC;\ninstruction NOP() { encoding 0:8; }\n',
    );
    writeFileSync(path.join(tmp, 'nop.s'), 'NOP\n');
    const r = isavirt(['run', spec, path.join(tmp, 'nop.s')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${spec}: the memories of b need`);
    expect(r.stderr).toContain('--memory-cap');
    expect(isavirt(['run', '--help']).stdout).toContain('--memory-cap');
    expect(isavirt(['run', spec, path.join(tmp, 'nop.s'), '--memory-cap', '0']).code).toBe(2);
  });

  it('run: a guest that loops forever under a huge --max-steps is stopped by the clock, exit 2', () => {
    writeFileSync(path.join(tmp, 'forever.s'), 'loop: ADDI r1, 1\n      JMP loop\n');
    for (const extra of [[], ['--compare'], ['--monitor', 'hybrid', '--format', 'json']]) {
      const r = isavirt(['run', 'isas/pg.isa', path.join(tmp, 'forever.s'), '--max-steps', '1000000000', '--time-limit', '0.2', ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /forever\.s: (on the bare machine|under the \w+ monitor), stopped by the time limit of 0\.2 s at pc=0x[01] after [1-9]\d* instructions$/m,
      );
      expect(r.stderr).toContain('hint: --time-limit S');
      noStack(r.stderr);
    }
    const help = isavirt(['run', '--help']).stdout;
    expect(help).toContain('--time-limit');
    expect(help).toMatch(/default: 60/);
  });

  it('run --time-limit out of range or without a value exits 2', () => {
    for (const v of [['0'], ['-1'], ['86401'], ['soon'], []]) {
      const r = isavirt(['run', 'isas/pg.isa', 'nothing.s', '--time-limit', ...v]);
      expect(r.code, v.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/time-limit/);
      noStack(r.stderr);
    }
  });

  it('run --max-steps beyond the cap exits 2 with the limit', () => {
    const r = isavirt(['run', 'isas/pg.isa', 'nothing.s', '--max-steps', '1e15']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-steps .* limit of 1000000000/);
  });
});

describe('extends is confined to the spec folder tree', () => {
  const dir = path.join(tmp, 'course');
  mkdirSync(path.join(dir, 'sub'), { recursive: true });
  writeFileSync(path.join(tmp, 'passwd'), 'root:x:0:0:SECRET-LINE:/root:/bin/bash\n');
  writeFileSync(path.join(dir, 'notspec.txt'), 'SECRET-LINE of a text file\n');
  const spec = path.join(dir, 'sub', 'a.isa');

  it('a path out of the tree is ISA5007 and the file is not read', () => {
    writeFileSync(spec, 'isa a;\nextends "../../passwd";\n');
    const r = isavirt(['parse', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ISA5007');
    expect(r.stderr).not.toContain('SECRET');
  });

  it('a symbolic link inside the tree that points out of it is outside too', () => {
    symlinkSync(path.join(tmp, 'passwd'), path.join(dir, 'sub', 'link.isa'));
    writeFileSync(spec, 'isa a;\nextends "link.isa";\n');
    const r = isavirt(['parse', spec]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ISA5007');
    expect(r.stderr).not.toContain('SECRET');
  });

  it('--allow-extends-outside widens it, and a file that is not a spec is named, never quoted', () => {
    writeFileSync(spec, 'isa a;\nextends "../../passwd";\n');
    const r = isavirt(['parse', spec, '--allow-extends-outside']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ISA5008');
    expect(r.stderr).not.toContain('SECRET');
    // check loads specs the same way, with the same option.
    const c = isavirt(['check', spec, '--allow-extends-outside']);
    expect(c.code).toBe(2);
    expect(c.stderr).toContain('ISA5008');
    writeFileSync(path.join(dir, 'top.isa'), 'isa top;\nextends "notspec.txt";\n');
    const t = isavirt(['parse', path.join(dir, 'top.isa')]);
    expect(t.stderr).toContain('ISA5008');
    expect(t.stderr).not.toContain('SECRET');
  });
});

describe("'-' as an output file", () => {
  it('export -o - is refused instead of writing a file named <stdin>', () => {
    const r = isavirt(['export', '--json', 'isas/pg.isa', '-o', '-']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('leave out --output');
  });
});
