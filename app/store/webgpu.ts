/**
 * WebGPU availability as seen from the page. The worker acquires its own device; this check only
 * decides whether to offer Run and, when it cannot, shows how to enable WebGPU.
 */
import { create } from 'zustand';
import { WEBGPU_HELP } from '../../kernels/gpu/device-browser';
import { describeAdapter } from '../../kernels/gpu/context';

export type WebGpuState =
  | { status: 'checking' }
  | { status: 'available'; adapterName: string }
  | { status: 'unavailable'; message: string };

export const useWebGpuStore = create<WebGpuState>()(() => ({ status: 'checking' }));

/** Requests an adapter on the page and records whether WebGPU can run here. */
export async function checkWebGpu(): Promise<void> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) {
    useWebGpuStore.setState({ status: 'unavailable', message: WEBGPU_HELP });
    return;
  }

  try {
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) {
      useWebGpuStore.setState({
        status: 'unavailable',
        message: `The browser supports WebGPU but returned no adapter. ${WEBGPU_HELP}`,
      });
      return;
    }
    useWebGpuStore.setState({ status: 'available', adapterName: describeAdapter(adapter) });
  } catch (error) {
    useWebGpuStore.setState({
      status: 'unavailable',
      message: `Requesting a WebGPU adapter failed: ${errorMessage(error)}. ${WEBGPU_HELP}`,
    });
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
