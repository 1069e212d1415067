#!/usr/bin/env bash
# Reproduces the curves in docs/RESULTS.md: 100 steps of SubZero and of MeZO from one seed on the
# embedded model and dataset, with the default hyperparameters, then plots them.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-100}
mkdir -p docs/runs
for optimizer in subzero mezo; do
  nice -n 10 npm run --silent train -- --optimizer "$optimizer" --steps "$steps" --seed 1 --eval-every 10 \
    --out "docs/runs/$optimizer-seed1.jsonl" 2> "docs/runs/$optimizer-seed1.log" &
done
wait
npm run --silent plot -- docs/runs/subzero-vs-mezo.svg SubZero=docs/runs/subzero-seed1.jsonl MeZO=docs/runs/mezo-seed1.jsonl
