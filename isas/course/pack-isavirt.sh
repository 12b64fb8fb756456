#!/usr/bin/env bash
# `npm pack` of isavirt with its production dependencies bundled inside, so that
# `npm install --offline ./isavirt.tgz` works on a machine with no registry and an empty cache (a
# Gradescope image, a Classroom runner). isavirt is not on the npm registry; this is how the course
# kits ship it.
#
#   isas/course/pack-isavirt.sh <out.tgz>
#
# Run it from a checkout where `npm ci` has run (the dependencies come from its npm cache).
# ISAVIRT_PACK_IGNORE_SCRIPTS=1 packs dist/ as built instead of rebuilding it.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 <out.tgz>" >&2
  exit 2
fi
PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$(mkdir -p "$(dirname "$1")" && cd "$(dirname "$1")" && pwd)/$(basename "$1")"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ignore=()
if [ "${ISAVIRT_PACK_IGNORE_SCRIPTS:-}" = 1 ]; then ignore=(--ignore-scripts); fi
(cd "$PKG" && npm pack --silent "${ignore[@]}" --pack-destination "$WORK" >/dev/null)
mkdir -p "$WORK/bundle"
tar -xzf "$WORK"/isavirt-*.tgz -C "$WORK/bundle"
cd "$WORK/bundle/package"
node -e '
  const fs = require("node:fs");
  const p = JSON.parse(fs.readFileSync("package.json", "utf8"));
  p.bundleDependencies = Object.keys(p.dependencies ?? {});
  delete p.devDependencies;
  delete p.scripts;
  fs.writeFileSync("package.json", JSON.stringify(p, null, 2) + "\n");
'
npm install --omit=dev --prefer-offline --ignore-scripts --no-audit --no-fund --no-package-lock --silent
npm pack --silent --ignore-scripts --pack-destination "$WORK/bundle" >/dev/null
mv "$WORK"/bundle/isavirt-*.tgz "$OUT"
echo "$OUT"
