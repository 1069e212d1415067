/**
 * The GPU context every kernel receives: the device, its limits, the buffer pool, the pipeline
 * cache and the error channel. Browser and Node code build it the same way from a GPUDevice.
 */
import { BufferPool } from './pool';
import { PipelineCache } from './pipelines';

export interface GpuError {
  kind: 'device-lost' | 'validation' | 'out-of-memory' | 'internal';
  message: string;
}

export interface GpuContext {
  device: GPUDevice;
  limits: GPUSupportedLimits;
  /** Adapter description for logs and benchmark records, e.g. "llvmpipe (Vulkan)". */
  adapterName: string;
  hasF16: boolean;
  pool: BufferPool;
  /**
   * Largest storage buffer in bytes. Larger tensors are split by rows. Defaults to the adapter's
   * maxStorageBufferBindingSize and can only be lowered (tests set a few KiB). Reads and writes
   * `pool.maxBindingBytes`.
   */
  maxBindingBytes: number;
  pipelines: PipelineCache;
  /** Set once the device is lost; every later GPU call is pointless. */
  lost: GpuError | null;
  /** Listeners for uncaptured errors and device loss. */
  onError: Set<(error: GpuError) => void>;
}

export function createContext(device: GPUDevice, adapterName: string): GpuContext {
  const pool = new BufferPool(device);
  const ctx: GpuContext = {
    device,
    limits: device.limits,
    adapterName,
    hasF16: device.features.has('shader-f16'),
    pool,
    get maxBindingBytes() {
      return pool.maxBindingBytes;
    },
    set maxBindingBytes(bytes: number) {
      pool.maxBindingBytes = bytes;
    },
    pipelines: new PipelineCache(device),
    lost: null,
    onError: new Set(),
  };

  const report = (error: GpuError) => {
    for (const listener of ctx.onError) listener(error);
  };

  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    const kind = error instanceof GPUOutOfMemoryError ? 'out-of-memory' : error instanceof GPUValidationError ? 'validation' : 'internal';
    report({ kind, message: `GPU ${kind} error: ${error.message}` });
  });

  void device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    ctx.lost = {
      kind: 'device-lost',
      message: `The GPU device was lost (${info.reason || 'unknown reason'}: ${info.message}). ` +
        'Results recorded so far are kept. Reload the page or restart the run to get a new device.',
    };
    report(ctx.lost);
  });

  return ctx;
}

/** Describes an adapter in one line for logs and benchmark records. */
export function describeAdapter(adapter: GPUAdapter): string {
  const info = adapter.info;
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((part) => part);
  return parts.join(' ') || 'unknown adapter';
}

/** Requests a device with the adapter's own limits, so large-binding and invocation limits are usable. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const limits = adapter.limits;
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');
  return adapter.requestDevice({
    label: 'playground device',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeWorkgroupSizeY: limits.maxComputeWorkgroupSizeY,
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    },
  });
}
