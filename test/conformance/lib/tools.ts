// The outside tools the co-simulation needs (QEMU user mode, GNU binutils for each target), found on
// PATH or installed from Debian's packages, and small helpers to run them.
//
// A test calls `needTools` at module level and skips its suite when something is missing: it prints
// ONE line naming the Debian package, and vitest reports the suite as skipped, never as passed.
// Set ISAVIRT_NO_INSTALL=1 to forbid the apt-get attempt.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface Tool {
  /** The command looked up on PATH. */
  bin: string;
  /** The Debian package that provides it. */
  pkg: string;
}

export function onPath(bin: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const missingOf = (tools: Tool[]): Tool[] => tools.filter((t) => !onPath(t.bin));

function aptInstall(pkgs: string[]): boolean {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...pkgs], {
      encoding: 'utf8',
      env,
      timeout: 600_000,
    });
  let r = install();
  if (r.error || r.status !== 0) {
    spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update'], { encoding: 'utf8', env, timeout: 600_000 });
    r = install();
  }
  return !r.error && r.status === 0;
}

/**
 * Undefined when every tool is on PATH (after trying to install the missing ones' packages as root);
 * otherwise the one line saying what is missing, which has been printed.
 */
export function needTools(suite: string, tools: Tool[]): string | undefined {
  let missing = missingOf(tools);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (missing.length > 0 && root && process.env.ISAVIRT_NO_INSTALL !== '1') {
    aptInstall([...new Set(missing.map((t) => t.pkg))]);
    missing = missingOf(tools);
  }
  if (missing.length === 0) return undefined;
  const what = missing.map((t) => `${t.bin} (Debian package ${t.pkg})`).join(', ');
  const line = `${suite}: skipped: missing ${what}`;
  console.warn(line);
  return line;
}

/** Run a command; throw with its output when it fails (or, with `allowFail`, return the result). */
export function run(cmd: string, args: string[], opts: { cwd?: string; timeout?: number; allowFail?: boolean; input?: string } = {}): SpawnSyncReturns<Buffer> {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, timeout: opts.timeout ?? 60_000, input: opts.input, maxBuffer: 256 << 20 });
  if (!opts.allowFail && (r.error || r.status !== 0)) {
    const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
    throw new Error(`${cmd} ${args.join(' ')}: ${why}\n${r.stderr?.toString().slice(-4000) ?? ''}`);
  }
  return r;
}

/** A fresh temporary directory and a function that removes it. */
export function scratchDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `isavirt-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
