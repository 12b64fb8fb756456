#!/usr/bin/env bash
# Build the Gradescope autograder zip of an isavirt assignment:
#
#   isas/course/gradescope/build-autograder.sh <assignment.json> <autograder.zip> [sample-submission]
#
# The zip holds setup.sh and run_autograder, the assignment with its reference spec beside it
# ("reference" rewritten to the file's name), the cached answer key (analysed now), the sample
# submission if given, and isavirt itself as isavirt.tgz (isas/course/pack-isavirt.sh: `npm pack`
# of this package with its production dependencies bundled), so setup.sh installs it offline. Run
# it from a checkout where `npm ci` has run. ISAVIRT_PACK_IGNORE_SCRIPTS=1 packs dist/ as built
# instead of rebuilding it.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 <assignment.json> <autograder.zip> [sample-submission]" >&2
  exit 2
fi
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PKG="$(cd "$KIT/../../.." && pwd)"
ASSIGNMENT="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
OUT="$(mkdir -p "$(dirname "$2")" && cd "$(dirname "$2")" && pwd)/$(basename "$2")"
SAMPLE="${3:-}"
if [ -n "$SAMPLE" ]; then SAMPLE="$(cd "$SAMPLE" && pwd)"; fi
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
STAGE="$WORK/zip"
mkdir -p "$STAGE"

# isavirt, packed as npm would publish it, with its dependencies inside.
"$KIT/../pack-isavirt.sh" "$STAGE/isavirt.tgz" >/dev/null

# The assignment, its reference beside it, and the cached answer key when there is a fresh one.
node -e '
  const fs = require("node:fs");
  const path = require("node:path");
  const [file, stage] = process.argv.slice(1);
  const a = JSON.parse(fs.readFileSync(file, "utf8"));
  const ref = path.resolve(path.dirname(file), a.reference);
  fs.copyFileSync(ref, path.join(stage, path.basename(ref)));
  a.reference = path.basename(ref);
  delete a.$schema;
  fs.writeFileSync(path.join(stage, "assignment.json"), JSON.stringify(a, null, 2) + "\n");
  const cache = file.replace(/(\.json)?$/, ".analysis.json");
  if (fs.existsSync(cache)) fs.copyFileSync(cache, path.join(stage, "assignment.analysis.json"));
' "$ASSIGNMENT" "$STAGE"
if [ -n "$SAMPLE" ]; then cp -R "$SAMPLE" "$STAGE/sample"; fi
cp "$KIT/setup.sh" "$KIT/run_autograder" "$STAGE/"
chmod +x "$STAGE/setup.sh" "$STAGE/run_autograder"

# Analyse the reference now (or check the cached key is fresh), so no student waits for it.
if [ -f "$PKG/dist/cli/main.js" ]; then
  target="$STAGE/sample"
  [ -d "$target" ] || target="$WORK/no-submission" # the key is written before the submission is looked for
  node "$PKG/dist/cli/main.js" grade --assignment "$STAGE/assignment.json" "$target" --format gradescope --output "$WORK/sample.json" >/dev/null 2>&1 || true
fi

rm -f "$OUT"
(cd "$STAGE" && zip -qr "$OUT" .)
echo "$OUT"
