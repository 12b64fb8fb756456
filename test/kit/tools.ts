// External tools the kit tests need, installed in the test's setup when missing (Debian packages,
// `apt-get update` first). When one cannot be had, `missing` says so in one line and the test that
// needs it fails with that line instead of passing silently.
import { spawnSync } from 'node:child_process';

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Make sure each command exists, installing its Debian package when not; undefined when all are
 *  there, else one line naming what is missing. */
export function ensureTools(tools: Record<string, string>): string | undefined {
  const absent = Object.entries(tools).filter(([cmd]) => !has(cmd));
  if (absent.length === 0) return undefined;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
  spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...absent.map(([, pkg]) => pkg)], { encoding: 'utf8', env });
  const still = absent.filter(([cmd]) => !has(cmd)).map(([cmd, pkg]) => `${cmd} (Debian package ${pkg})`);
  return still.length ? `missing ${still.join(', ')}: apt-get install failed` : undefined;
}
