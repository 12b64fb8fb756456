// Every example under "Examples:" in `isavirt <command> --help` runs as written: from a folder that
// holds a copy of the ISA library (so examples that write files or caches leave the repository
// alone), through a shell (so `isas/*.isa` expands as it does for a user), with `isavirt` the built
// command. An example may report a finding (exit 1: that is what many of them show); it must not
// fail on bad input (2) or crash (3), and a file it names with -o must exist afterwards.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist/cli/main.js');
const work = mkdtempSync(path.join(tmpdir(), 'isavirt-examples-'));
cpSync(path.join(root, 'isas'), path.join(work, 'isas'), { recursive: true });
// `isavirt` on the PATH of the example's shell: the built command, as `npm ci` installs it.
const bin = path.join(work, '.bin');
mkdirSync(bin);
writeFileSync(path.join(bin, 'isavirt'), `#!/bin/sh\nexec "${process.execPath}" "${main}" "$@"\n`, { mode: 0o755 });
afterAll(() => rmSync(work, { recursive: true, force: true }));

const env = { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH ?? ''}`, NO_COLOR: '1' };
const examples = commands.flatMap((c) => (c.examples ?? []).map(([line, what]) => ({ command: c.command.split(' ')[0]!, line, what })));

/** The file an example writes with -o / --output, if any. */
function outputOf(line: string): string | undefined {
  const m = /(?:^|\s)(?:-o|--output)\s+(\S+)/.exec(line);
  return m?.[1];
}

describe('help examples', () => {
  it('every command has examples, and --help shows them', () => {
    for (const c of commands) {
      const name = c.command.split(' ')[0]!;
      expect(c.examples?.length ?? 0, name).toBeGreaterThan(0);
      const r = spawnSync(process.execPath, [main, name, '--help'], { cwd: work, encoding: 'utf8', env });
      expect(r.status, name).toBe(0);
      expect(r.stdout, name).toContain('Examples:');
      for (const [line] of c.examples ?? []) expect(r.stdout.replace(/\s+/g, ' '), name).toContain(line.split(' ').slice(0, 3).join(' '));
    }
  });

  for (const ex of examples.filter((e) => e.command !== 'lsp')) {
    it(`${ex.line}`, () => {
      const out = outputOf(ex.line);
      if (out) rmSync(path.join(work, out), { force: true });
      const r = spawnSync('sh', ['-c', ex.line], { cwd: work, encoding: 'utf8', env, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
      const said = `${ex.line}\n${r.stderr}`;
      expect([0, 1], said).toContain(r.status);
      expect(r.stderr, said).not.toMatch(/no such file|not a file|internal error|error:/i);
      // fmt --write and --check say nothing when every file is formatted; the rest print a result.
      if (out) {
        expect(existsSync(path.join(work, out)), `${ex.line} wrote ${out}`).toBe(true);
        expect(statSync(path.join(work, out)).size).toBeGreaterThan(0);
      } else if (ex.command !== 'fmt' || !/--write|--check/.test(ex.line)) {
        expect(r.stdout.length, said).toBeGreaterThan(0);
      }
    }, 600_000);
  }

  it('isavirt lsp --stdio answers an editor that says initialize', async () => {
    const ex = examples.find((e) => e.command === 'lsp')!;
    const child = spawn('sh', ['-c', ex.line], { cwd: work, env });
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
    child.stdin.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    let got = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no answer to initialize; got ${got}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        got += d.toString();
        if (got.includes('"capabilities"')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    child.kill();
    expect(got).toContain('"hoverProvider"');
  }, 90_000);
});
