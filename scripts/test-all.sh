#!/usr/bin/env bash
# `npm run test:all`: start the real services, type-check, lint (architecture rules included), build, then run
# every jest test (unit + e2e). Ends with one plain summary line: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

npm run services:up
npm run typecheck
npm run lint
npm run build

results=.services/jest-results.json
mkdir -p .services
rm -f "$results"
status=0
# PGlite (the embedded store) loads its WebAssembly with a dynamic import(), which jest's VM needs this flag for.
NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' \
  npx jest --runInBand --json --outputFile="$results" "$@" || status=$?
if [[ -f "$results" ]]; then
  node -e '
    const r = require(process.argv[1]);
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  ' "$(pwd)/$results"
fi
exit "$status"
