#!/usr/bin/env bash
# Gradescope autograder setup (runs once, when the autograder image is built).
# Installs Node 20 and isavirt; the course files (assignment, reference spec, cached analysis)
# come in this zip and land in /autograder/source.
set -euo pipefail
apt-get update
apt-get install -y curl ca-certificates
curl -fsSL https://deb.nodesource.com/setup_20.x | bash -
apt-get install -y nodejs
cd /autograder/source
npm install --no-audit --no-fund isavirt
# Analyse the reference once now, so each student's run starts from the cached answer key.
npx isavirt grade --assignment assignment.json /autograder/source/sample --format gradescope --output /tmp/sample.json || true
