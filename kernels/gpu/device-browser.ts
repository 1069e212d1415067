/** Device acquisition in the browser (page or Web Worker) through `navigator.gpu`. */
import { createContext, describeAdapter, requestDevice, type GpuContext } from './context';

export const WEBGPU_HELP =
  'WebGPU is not available in this browser. Use a recent Chrome or Edge (version 113 or later) on a ' +
  'machine with a supported GPU, or enable it: in Chrome open chrome://flags and turn on ' +
  '"Unsafe WebGPU Support"; in Firefox Nightly set dom.webgpu.enabled; in Safari 18+ turn on WebGPU under ' +
  'Develop > Feature Flags. On Linux, Chrome may also need --enable-features=Vulkan.';

export async function acquireBrowserContext(): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new Error(WEBGPU_HELP);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) {
    throw new Error(`No WebGPU adapter was found: the browser supports WebGPU but offered no GPU. ${WEBGPU_HELP}`);
  }
  const device = await requestDevice(adapter);
  return createContext(device, describeAdapter(adapter));
}
