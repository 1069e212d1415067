#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs system packages (Chromium, a CPU Vulkan
# driver) and npm packages when missing, then runs the typecheck, the Node tests (kernels on Dawn)
# and the browser tests (headless Chromium). The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  if ! command -v chromium >/dev/null 2>&1 || [ ! -e /usr/share/vulkan/icd.d/lvp_icd.json ]; then
    bash .ci/install-system.sh
  fi
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund || exit 1
fi
. scripts/vulkan-env.sh
echo "Vulkan driver for Dawn: ${VK_ICD_FILENAMES:-system default}"

results=$(mktemp -d)
passed=0
failed=0

echo "== typecheck"
if npx tsc -p tsconfig.json; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

count_json() {
  # Adds the pass and fail counts of a vitest JSON report; a missing report counts as one failure.
  if [ -s "$1" ]; then
    read -r p f < <(node -e 'const r=require(process.argv[1]); console.log(r.numPassedTests, r.numFailedTests + (r.success || r.numFailedTests ? 0 : 1))' "$1")
    passed=$((passed + p))
    failed=$((failed + f))
  else
    failed=$((failed + 1))
  fi
}

echo "== unit and kernel tests (Node, Dawn)"
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/unit.json"
count_json "$results/unit.json"

echo "== browser tests (headless Chromium)"
npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json="$results/e2e.json"
count_json "$results/e2e.json"

rm -rf "$results"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
