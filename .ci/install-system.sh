#!/usr/bin/env bash
# Installs the Debian packages the tests need: Chromium (with its SwiftShader Vulkan driver),
# the Vulkan loader, Mesa's lavapipe from bookworm-backports (a faster CPU Vulkan driver that Dawn
# accepts from Mesa 25 on), and PyTorch for the optional pretraining script.
# The backports source is derived from the machine's existing apt source, so no host is named here.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -e /usr/lib/x86_64-linux-gnu/libvulkan.so.1 ] || need+=(libvulkan1)

backports=/etc/apt/sources.list.d/playground-backports.sources
if [ ! -e "$backports" ] && [ -e /etc/apt/sources.list.d/debian.sources ]; then
  awk 'BEGIN { RS=""; ORS="\n\n" } /Suites:[^\n]*bookworm( |\n|$)/ && !/security/ {
         sub(/Suites:[^\n]*/, "Suites: bookworm-backports"); print; exit }' \
    /etc/apt/sources.list.d/debian.sources > "$backports"
  [ -s "$backports" ] || rm -f "$backports"
fi

apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
if [ -e "$backports" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers || \
    echo "install-system: lavapipe from backports not available, tests use SwiftShader"
fi
