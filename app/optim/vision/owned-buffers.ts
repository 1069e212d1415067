/**
 * Buffers owned by one vision optimizer: every buffer it creates, released together, with the bytes
 * of its persistent state counted by memory category for `stateBytes()`.
 */
import type { GpuContext } from '../../../kernels/gpu/context';
import type { MemoryBytes, MemoryCategory } from '../../../kernels/gpu/pool';

/** Categories that hold an optimizer's persistent state, reported by `stateBytes()`. */
export const STATE_CATEGORIES = ['optimizer-state', 'preconditioner', 'quantization-scales'] as const satisfies readonly MemoryCategory[];

export type StateCategory = (typeof STATE_CATEGORIES)[number];

export class OwnedBuffers {
  private readonly buffers: GPUBuffer[] = [];
  private readonly persistent: Record<StateCategory, number> = { 'optimizer-state': 0, preconditioner: 0, 'quantization-scales': 0 };

  constructor(private readonly ctx: GpuContext) {}

  /** Creates a zero-filled storage buffer of `bytes` (rounded up to 4), counted as persistent state when its category is a state category. */
  storage(label: string, category: MemoryCategory, bytes: number): GPUBuffer {
    const buffer = this.ctx.pool.storage(label, category, bytes);
    this.buffers.push(buffer);
    if (isStateCategory(category)) this.persistent[category] += buffer.size;
    return buffer;
  }

  /** Creates a storage buffer holding `data`. */
  storageFrom(label: string, category: MemoryCategory, data: Float32Array | Uint32Array): GPUBuffer {
    const buffer = this.storage(label, category, data.byteLength);
    this.ctx.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /**
   * Runs `build` and takes ownership of every buffer the pool creates meanwhile (kernel uniforms, for
   * example). Storage made through this object inside `build` is owned only once.
   */
  capture<T>(build: () => T): T {
    const { result, buffers } = this.ctx.pool.capture(build);
    const known = new Set(this.buffers);
    for (const buffer of buffers) if (!known.has(buffer)) this.buffers.push(buffer);
    return result;
  }

  /** Bytes of persistent state by category. */
  stateBytes(): Partial<MemoryBytes> {
    return { ...this.persistent };
  }

  releaseAll(): void {
    for (const buffer of this.buffers) this.ctx.pool.release(buffer);
    this.buffers.length = 0;
    for (const category of STATE_CATEGORIES) this.persistent[category] = 0;
  }
}

function isStateCategory(category: MemoryCategory): category is StateCategory {
  return (STATE_CATEGORIES as readonly MemoryCategory[]).includes(category);
}
