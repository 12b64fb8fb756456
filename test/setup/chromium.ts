// vitest globalSetup: make sure Debian's chromium is at /usr/bin/chromium for the tests that render
// HTML in a real browser. Idempotent: does nothing when it is there. When it cannot be installed the
// setup does not fail the whole run; it records why, and the browser tests fail with that message.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

export default function setup(): void {
  if (existsSync(CHROMIUM)) return;
  const steps: string[][] = [
    ['apt-get', 'update'],
    ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
  ];
  const log: string[] = [];
  for (const [cmd, ...args] of steps) {
    const r = spawnSync(cmd!, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    log.push(`$ ${cmd} ${args.join(' ')} -> ${r.error ? r.error.message : `exit ${r.status}`}\n${(r.stderr ?? '').slice(-2000)}`);
    if (r.error || r.status !== 0) break;
  }
  if (!existsSync(CHROMIUM)) process.env.ISAVIRT_CHROMIUM_SETUP = `could not install chromium at ${CHROMIUM}:\n${log.join('\n')}`;
}
