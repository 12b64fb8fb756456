// Progress on long work: a bar on a terminal, nothing in a pipe, in CI, or when turned off.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { outputWidth, progressWanted, startProgress, type ProgressStream } from '../../src/cli/progress.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const main = path.join(root, 'dist/cli/main.js');

/** A terminal that records what is drawn on it (cli-progress moves the cursor on a TTY). */
function fakeTerminal(isTTY: boolean) {
  let drawn = '';
  const stream = {
    isTTY,
    columns: 100,
    write(s: string) {
      drawn += s;
      return true;
    },
    cursorTo() {
      return true;
    },
    clearLine() {
      return true;
    },
    moveCursor() {
      return true;
    },
    on() {
      return stream;
    },
    removeListener() {
      return stream;
    },
  };
  return { stream: stream as unknown as ProgressStream, drawn: () => drawn };
}

describe('progress', () => {
  it('is wanted on a terminal only, never in CI or with ISAVIRT_PROGRESS=0', () => {
    expect(progressWanted({ isTTY: true, write: () => true }, {})).toBe(true);
    expect(progressWanted({ isTTY: false, write: () => true }, {})).toBe(false);
    expect(progressWanted({ write: () => true }, {})).toBe(false);
    expect(progressWanted({ isTTY: true, write: () => true }, { CI: 'true' })).toBe(false);
    expect(progressWanted({ isTTY: true, write: () => true }, { ISAVIRT_PROGRESS: '0' })).toBe(false);
  });

  it('draws a bar per instruction on a terminal and nothing on a pipe', async () => {
    const tty = fakeTerminal(true);
    const bar = await startProgress('analysing toy', { env: {} }, tty.stream);
    for (let i = 1; i <= 5; i++) bar.update(i, 5, `I${i}`);
    bar.stop();
    expect(tty.drawn()).toContain('analysing toy');
    expect(tty.drawn()).toMatch(/\d\/5/);

    const pipe = fakeTerminal(false);
    const none = await startProgress('analysing toy', { env: {} }, pipe.stream);
    for (let i = 1; i <= 5; i++) none.update(i, 5, `I${i}`);
    none.stop();
    expect(pipe.drawn()).toBe('');
  });

  it('fits the terminal width, 80 in a pipe', () => {
    expect(outputWidth({ isTTY: false, columns: 200 })).toBe(80);
    expect(outputWidth({ isTTY: true, columns: 120 })).toBe(120);
    expect(outputWidth({ isTTY: true, columns: 20 })).toBe(40);
  });

  it('check on a real terminal (a pseudo-terminal from script(1)) shows the bar, per instruction', () => {
    const r = spawnSync('script', ['-qec', `"${process.execPath}" "${main}" check test/report/fixtures/toypopf.isa`, '/dev/null'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CI: undefined, NO_COLOR: '1' } as NodeJS.ProcessEnv,
    });
    expect(r.stdout).toMatch(/analysing toypopf \[[^\]]*\] 0\/3/);
    expect(r.stdout).toMatch(/analysing toypopf \[[^\]]*\] 3\/3/);
    // The report follows the bar on the same terminal.
    expect(r.stdout).toContain('Theorem 1 (sensitive ⊆ privileged): FAILS');
  });

  it('check, doc and demo print nothing but their report in a pipe', () => {
    for (const args of [
      ['check', 'test/report/fixtures/toypopf.isa'],
      ['doc', 'test/report/fixtures/toypopf.isa'],
      ['demo', 'test/report/fixtures/toypopf.isa'],
    ]) {
      const r = spawnSync(process.execPath, [main, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CI: undefined } as NodeJS.ProcessEnv });
      expect(r.stderr, args.join(' ')).toBe('');
      expect(r.stdout.length).toBeGreaterThan(0);
      expect(r.stdout).not.toContain('analysing');
    }
  });
});
