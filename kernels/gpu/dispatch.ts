/**
 * Prepared dispatches: a kernel's host code builds its bind group and uniforms once, and the step
 * loop only records the resulting `Dispatch` objects into a compute pass. Nothing is allocated per step.
 */
import type { GpuContext } from './context';

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  /** Workgroup counts along x, y, z. */
  workgroups: [number, number, number];
}

/** Records `dispatches` in order into one compute pass. WebGPU orders storage writes between dispatches. */
export function encodeDispatches(encoder: GPUCommandEncoder, dispatches: readonly Dispatch[], label = 'compute'): void {
  const pass = encoder.beginComputePass({ label });
  for (const dispatch of dispatches) {
    pass.setPipeline(dispatch.pipeline);
    pass.setBindGroup(0, dispatch.bindGroup);
    const [x, y, z] = dispatch.workgroups;
    if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  }
  pass.end();
}

/** Submits `dispatches` in one command buffer. */
export function runDispatches(ctx: GpuContext, dispatches: readonly Dispatch[], label = 'compute'): void {
  const encoder = ctx.device.createCommandEncoder({ label });
  encodeDispatches(encoder, dispatches, label);
  ctx.device.queue.submit([encoder.finish()]);
}

/** Creates a bind group for group 0 with `buffers[i]` at binding i. */
export function makeBindGroup(ctx: GpuContext, pipeline: GPUComputePipeline, label: string, buffers: readonly GPUBuffer[]): GPUBindGroup {
  return ctx.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
}

export type UniformField = ['u32' | 'i32' | 'f32', number];

/** Packs scalar fields (4 bytes each, in order) into a buffer padded to 16 bytes, as WGSL uniform structs of scalars expect. */
export function packUniform(fields: readonly UniformField[]): ArrayBuffer {
  const data = new ArrayBuffer(Math.max(16, Math.ceil((fields.length * 4) / 16) * 16));
  const view = new DataView(data);
  fields.forEach(([type, value], i) => {
    if (type === 'u32') view.setUint32(i * 4, value >>> 0, true);
    else if (type === 'i32') view.setInt32(i * 4, value | 0, true);
    else view.setFloat32(i * 4, value, true);
  });
  return data;
}

/** Creates a uniform buffer holding `fields`. */
export function makeUniform(ctx: GpuContext, label: string, fields: readonly UniformField[]): GPUBuffer {
  const data = packUniform(fields);
  const buffer = ctx.pool.uniform(label, data.byteLength);
  ctx.device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/** Rewrites a uniform buffer made by `makeUniform`; queue order puts the write before later submits. */
export function writeUniform(ctx: GpuContext, buffer: GPUBuffer, fields: readonly UniformField[]): void {
  ctx.device.queue.writeBuffer(buffer, 0, packUniform(fields));
}

/**
 * Splits `count` workgroups over x and y so neither passes maxComputeWorkgroupsPerDimension.
 * Shaders rebuild the flat index as `id.x + id.y * (num_workgroups.x * WORKGROUP_SIZE)`.
 */
export function workgroupGrid(ctx: GpuContext, invocations: number, workgroupSize: number): [number, number, number] {
  const groups = Math.ceil(invocations / workgroupSize);
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * Copies `buffer` to the CPU as f32. For tests, setup and end-of-run reads only: it allocates a
 * staging buffer per call. The step loop keeps its own persistent readback buffer instead.
 */
export async function readF32(ctx: GpuContext, buffer: GPUBuffer, count?: number, offsetElements = 0): Promise<Float32Array> {
  const bytes = await readBytes(ctx, buffer, (count ?? buffer.size / 4 - offsetElements) * 4, offsetElements * 4);
  return new Float32Array(bytes);
}

export async function readU32(ctx: GpuContext, buffer: GPUBuffer, count?: number): Promise<Uint32Array> {
  return new Uint32Array(await readBytes(ctx, buffer, (count ?? buffer.size / 4) * 4, 0));
}

async function readBytes(ctx: GpuContext, buffer: GPUBuffer, size: number, offset: number): Promise<ArrayBuffer> {
  const staging = ctx.pool.readback(`${buffer.label} readback`, size);
  try {
    const encoder = ctx.device.createCommandEncoder({ label: `${buffer.label} readback` });
    encoder.copyBufferToBuffer(buffer, offset, staging, 0, Math.ceil(size / 4) * 4);
    ctx.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const copy = staging.getMappedRange(0, size).slice(0);
    staging.unmap();
    return copy;
  } finally {
    ctx.pool.release(staging);
  }
}
