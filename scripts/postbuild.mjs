// After tsc: make the `isavirt` bin executable (tsc writes files without the x bit, and npm only
// sets it when installing from a tarball, not for `npm ci` in the repository itself).
import { chmodSync, existsSync } from 'node:fs';

const bin = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(bin)) {
  console.error('postbuild: dist/cli/main.js is missing; did tsc fail?');
  process.exit(1);
}
chmodSync(bin, 0o755);
