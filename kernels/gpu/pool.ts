/**
 * Buffer pool with byte accounting per memory category.
 *
 * WebGPU has no memory query, so the pool's running totals are the memory figures that the
 * UI plots and the benchmark reports. Every GPU buffer of the engine is created here.
 */

export const MEMORY_CATEGORIES = [
  'weights',
  'gradients',
  'activations',
  /** First-order optimizer state: momentum, Adam moments. */
  'optimizer-state',
  /** Second-order state: Shampoo factors, eigenvectors, eigenvalues and inverse roots (codes when quantized). */
  'preconditioner',
  'perturbation',
  'quantization-scales',
  'staging',
] as const;

export type MemoryCategory = (typeof MEMORY_CATEGORIES)[number];

/** Bytes per memory category. */
export type MemoryBytes = Record<MemoryCategory, number>;

export function emptyMemoryBytes(): MemoryBytes {
  const bytes = {} as MemoryBytes;
  for (const category of MEMORY_CATEGORIES) bytes[category] = 0;
  return bytes;
}

export function totalBytes(bytes: MemoryBytes): number {
  let sum = 0;
  for (const category of MEMORY_CATEGORIES) sum += bytes[category];
  return sum;
}

interface PooledBuffer {
  category: MemoryCategory;
  size: number;
}

export class BufferPool {
  private readonly live = new Map<GPUBuffer, PooledBuffer>();
  private readonly current = emptyMemoryBytes();
  private readonly peak = emptyMemoryBytes();
  private peakTotal = 0;
  /** Open `capture` calls; each collects the buffers created while it runs. */
  private readonly captures: GPUBuffer[][] = [];
  private bindingLimit: number;

  constructor(private readonly device: GPUDevice) {
    this.bindingLimit = device.limits.maxStorageBufferBindingSize;
  }

  /**
   * Largest storage buffer the pool creates, in bytes: the adapter's maxStorageBufferBindingSize
   * unless lowered. Tensors above it are split by rows (kernels/gpu/split.ts). Tests lower it to a
   * few KiB so that small models exercise the split paths. It can never exceed the adapter's limit.
   */
  get maxBindingBytes(): number {
    return this.bindingLimit;
  }

  set maxBindingBytes(bytes: number) {
    const adapterLimit = this.device.limits.maxStorageBufferBindingSize;
    if (!Number.isInteger(bytes) || bytes < 4 || bytes > adapterLimit) {
      throw new Error(`maxBindingBytes must be an integer from 4 to this adapter's maxStorageBufferBindingSize of ${adapterLimit} bytes, got ${bytes}.`);
    }
    this.bindingLimit = bytes;
  }

  /**
   * Creates a buffer of `size` bytes (rounded up to a multiple of 4) counted under `category`.
   * Storage buffers larger than the binding limit (`maxBindingBytes`) are rejected here with the
   * label and sizes, because binding them later fails with a far less useful validation error.
   */
  create(label: string, category: MemoryCategory, size: number, usage: GPUBufferUsageFlags): GPUBuffer {
    if (!Number.isFinite(size) || size < 0) {
      throw new Error(`Buffer "${label}": invalid size ${size} bytes.`);
    }
    const padded = Math.max(4, Math.ceil(size / 4) * 4);
    if (usage & GPUBufferUsage.STORAGE && padded > this.bindingLimit) {
      throw new Error(`Buffer "${label}" needs ${padded} bytes, above ${this.describeLimit()}. Use a smaller model or batch, or a GPU with higher limits.`);
    }
    const buffer = this.device.createBuffer({ label, size: padded, usage });
    this.live.set(buffer, { category, size: padded });
    for (const captured of this.captures) captured.push(buffer);
    this.current[category] += padded;
    this.updatePeak();
    return buffer;
  }

  /** Creates a storage buffer that can also be copied to and from. */
  storage(label: string, category: MemoryCategory, size: number, extraUsage: GPUBufferUsageFlags = 0): GPUBuffer {
    return this.create(
      label,
      category,
      size,
      GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST | extraUsage,
    );
  }

  /** Creates a storage buffer holding `data`. */
  storageFrom(label: string, category: MemoryCategory, data: ArrayBufferView): GPUBuffer {
    const buffer = this.storage(label, category, data.byteLength);
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    return buffer;
  }

  /** Creates a uniform buffer, counted as staging (a host-written parameter block). */
  uniform(label: string, size: number): GPUBuffer {
    return this.create(label, 'staging', Math.ceil(size / 16) * 16, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
  }

  /** Creates a buffer the CPU maps for reading. */
  readback(label: string, size: number): GPUBuffer {
    return this.create(label, 'staging', size, GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
  }

  /**
   * Runs `build` and returns its result with every buffer created meanwhile (kernel uniforms, for
   * example), so the owner of a prepared plan can release them together. If `build` throws, those
   * buffers are released.
   */
  capture<T>(build: () => T): { result: T; buffers: GPUBuffer[] } {
    const buffers: GPUBuffer[] = [];
    this.captures.push(buffers);
    try {
      return { result: build(), buffers };
    } catch (error) {
      // A failed build leaves nothing behind: its buffers are freed before the error propagates.
      for (const buffer of buffers) this.release(buffer);
      throw error;
    } finally {
      this.captures.pop();
    }
  }

  /** Runs `build` with captures paused, for buffers shared across plans (cached tables, for example). */
  outsideCapture<T>(build: () => T): T {
    const paused = this.captures.splice(0);
    try {
      return build();
    } finally {
      this.captures.push(...paused);
    }
  }

  /** Names the binding limit for error messages, saying when it was lowered below the adapter's. */
  describeLimit(): string {
    const adapterLimit = this.device.limits.maxStorageBufferBindingSize;
    if (this.bindingLimit === adapterLimit) return `this adapter's maxStorageBufferBindingSize of ${adapterLimit} bytes`;
    return `the binding limit of ${this.bindingLimit} bytes (lowered from this adapter's maxStorageBufferBindingSize of ${adapterLimit})`;
  }

  release(buffer: GPUBuffer): void {
    const entry = this.live.get(buffer);
    if (!entry) return;
    this.live.delete(buffer);
    this.current[entry.category] -= entry.size;
    buffer.destroy();
  }

  releaseAll(): void {
    for (const buffer of [...this.live.keys()]) this.release(buffer);
  }

  /** Bytes currently allocated, by category. */
  bytes(): MemoryBytes {
    return { ...this.current };
  }

  /** Bytes by category at the moment the total was highest, since creation or the last reset. */
  peakBytes(): MemoryBytes {
    return { ...this.peak };
  }

  resetPeak(): void {
    Object.assign(this.peak, this.current);
    this.peakTotal = totalBytes(this.current);
  }

  private updatePeak(): void {
    const total = totalBytes(this.current);
    if (total >= this.peakTotal) {
      this.peakTotal = total;
      Object.assign(this.peak, this.current);
    }
  }
}
