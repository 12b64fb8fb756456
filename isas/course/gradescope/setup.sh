#!/usr/bin/env bash
# Gradescope autograder setup (runs once, when the autograder image is built; the zip's files are
# in $AUTOGRADER_ROOT/source). Installs isavirt from the tarball inside this zip (dependencies
# bundled by build-autograder.sh): nothing is downloaded, so the build cannot break on a registry.
# AUTOGRADER_ROOT (default /autograder) lets the kit's own test run it in a temporary folder.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"

# Node 20 or later. Gradescope's Ubuntu images have none; a machine that has one keeps it.
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  apt-get update
  apt-get install -y curl ca-certificates
  curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
  apt-get install -y nodejs
fi

cd "$SOURCE"
npm install --offline --no-audit --no-fund ./isavirt.tgz
./node_modules/.bin/isavirt --version

# The answer key (assignment.analysis.json) normally comes in the zip; if it does not, analyse the
# reference now, once, rather than for every student.
if [ ! -f assignment.analysis.json ] && [ -d sample ]; then
  ./node_modules/.bin/isavirt grade --assignment assignment.json sample --format gradescope --output "$(mktemp -d)/sample.json" || true
fi
