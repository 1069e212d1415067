#!/usr/bin/env bash
# Runs a TypeScript entry point in Node with WebGPU (Dawn): picks a CPU Vulkan driver when none is
# set (see vulkan-env.sh), and registers tsx and the `?raw` WGSL import hook.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/vulkan-env.sh
exec node --import tsx --import ./cli/raw-loader.mjs "$@"
