# Sourced by the test and benchmark scripts: picks a CPU Vulkan driver for Dawn when no other is set.
# Mesa 25 lavapipe (from bookworm-backports) is preferred because it is about 4x faster than
# SwiftShader; Debian 12's own Mesa 22 lavapipe is rejected by Dawn, so its ICD file is not used.
if [ -z "${VK_ICD_FILENAMES:-}" ]; then
  if [ -e /usr/share/vulkan/icd.d/lvp_icd.json ] && dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q '^2[5-9]\.'; then
    export VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json
  elif [ -e /usr/lib/chromium/vk_swiftshader_icd.json ]; then
    export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
  fi
fi
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}
