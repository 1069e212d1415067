/**
 * Device acquisition in Node through the `webgpu` package (Dawn). Only the CLI, benchmarks and
 * tests import this file, so the browser bundle never includes the native module.
 */
import { createContext, describeAdapter, requestDevice, type GpuContext } from './context';

export const NODE_WEBGPU_HELP =
  'No WebGPU adapter was found by Dawn. On a machine without a GPU, install a CPU Vulkan driver ' +
  '(Debian: chromium ships SwiftShader; mesa-vulkan-drivers 25+ ships lavapipe) and set ' +
  'VK_ICD_FILENAMES to its ICD file, for example /usr/lib/chromium/vk_swiftshader_icd.json. ' +
  'scripts/vulkan-env.sh does this for the npm scripts.';

// Dawn's instance lives as long as the object returned by `create` is referenced. While it is
// alive, Node does not exit on its own, so entry points call `releaseNodeGpu` (or process.exit).
let instance: GPU | null = null;

export async function acquireNodeContext(): Promise<GpuContext> {
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  instance ??= create([]);
  const gpu = instance;
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error(NODE_WEBGPU_HELP);
  const device = await requestDevice(adapter);
  return createContext(device, describeAdapter(adapter));
}

/** Drops the reference to Dawn's instance, so Node can exit once no device is in use. */
export function releaseNodeGpu(): void {
  instance = null;
}
