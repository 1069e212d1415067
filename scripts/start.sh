#!/usr/bin/env bash
# Starts the playground on 127.0.0.1:5173, installing the npm packages first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
exec node node_modules/vite/bin/vite.js --host 127.0.0.1 --port "${PORT:-5173}" "$@"
