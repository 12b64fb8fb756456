// vitest globalSetup: one analysis cache for the whole run, new each run. Test files that analyse
// the same spec share one analysis (the results are the same by construction: the key is the
// spec and the analysis code), and no run reads results an earlier one left behind: every verdict
// of the library is derived afresh in each run. Tests of the analysis machinery itself (parallel
// workers, memory, solver bounds) pass `cache: false`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'isavirt-test-cache-'));
  process.env.ISAVIRT_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
