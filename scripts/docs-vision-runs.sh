#!/usr/bin/env bash
# Reproduces the vision curves in docs/RESULTS-VISION.md: the CNN on the embedded Fashion-MNIST
# subset with SGD, AdamW, 32-bit Shampoo, 4-bit Shampoo and the naive 4-bit variant (quantized
# factors), one seed, the same steps, then plots held-out accuracy and loss. ONLY="shampoo4 sgd"
# reruns just those runs and replots with the other runs' saved lines.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${STEPS:-600}
common=(--task vision --model cnn --steps "$steps" --seed 1 --eval-every 50 --eval-examples 2000)
shampoo=(--t1 "${T1:-10}" --t2 "${T2:-50}")
mkdir -p docs/runs
run() {
  local name=$1
  shift
  if [[ -n "${ONLY:-}" && " $ONLY " != *" $name "* ]]; then return; fi
  nice -n 10 npm run --silent train -- "${common[@]}" "$@" --out "docs/runs/vision-$name-seed1.jsonl" 2> "docs/runs/vision-$name-seed1.log"
}
run sgd --optimizer sgd
run adamw --optimizer adamw
run shampoo32 --optimizer shampoo32 "${shampoo[@]}"
run shampoo4 --optimizer shampoo4 "${shampoo[@]}"
run shampoo4-factor --optimizer shampoo4 --quantize factor "${shampoo[@]}"
specs=()
for name in sgd adamw shampoo32 shampoo4 shampoo4-factor; do specs+=("$name=docs/runs/vision-$name-seed1.jsonl"); done
npm run --silent plot -- --metric accuracy docs/runs/vision-accuracy.svg "${specs[@]}"
npm run --silent plot -- docs/runs/vision-loss.svg "${specs[@]}"
