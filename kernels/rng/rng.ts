/**
 * Host side of the counter-based Gaussian generator: the WGSL snippet other kernels include, the
 * inverse-CDF table buffer it reads, and a fill kernel.
 *
 * Binding contract: a kernel that includes `rngWgsl()` declares `gaussian_table` at group 0,
 * binding GAUSSIAN_TABLE_BINDING (0), and must bind `getGaussianTable(ctx)` there, i.e. pass it
 * first to `makeBindGroup`. Its own bindings start at 1.
 */
import { requireElements } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { stepParamsWgsl } from '../perturb/step-params';
import {
  GAUSSIAN_DIRECT_ENTRIES,
  GAUSSIAN_SCALE,
  GAUSSIAN_SEGMENT_BITS,
  GAUSSIAN_SEGMENTS,
  GAUSSIAN_TABLE_ENTRIES,
  GAUSSIAN_WEIGHT_BITS,
  PHILOX_M0,
  PHILOX_M1,
  PHILOX_ROUNDS,
  PHILOX_W0,
  PHILOX_W1,
} from './constants';
import { gaussianTable } from './gaussian-table';
import fillSource from './gaussian-fill.wgsl?raw';
import rngSource from './rng.wgsl?raw';

/** Binding (group 0) of the inverse-CDF table in every kernel that includes `rngWgsl()`. */
export const GAUSSIAN_TABLE_BINDING = 0;

const WORKGROUP_SIZE = 256;

/**
 * Returns the WGSL that defines `fn gaussian(seed: u32, stream: u32, index: u32) -> f32` and
 * declares the table binding, with the constants it needs.
 */
export function rngWgsl(): string {
  const constants = wgslConstants({
    PHILOX_M0,
    PHILOX_M1,
    PHILOX_W0,
    PHILOX_W1,
    PHILOX_ROUNDS,
    GAUSSIAN_TABLE_BINDING,
    GAUSSIAN_SEGMENT_BITS,
    GAUSSIAN_SEGMENTS,
    GAUSSIAN_DIRECT_ENTRIES,
    GAUSSIAN_TABLE_ENTRIES,
    GAUSSIAN_WEIGHT_BITS,
    GAUSSIAN_SCALE: { f32: GAUSSIAN_SCALE },
  });
  return constants + rngSource;
}

// NOTE: `pool.releaseAll()` destroys the table too, so kernels built afterwards on the same
// context would bind a destroyed buffer. The table is created outside any `pool.capture`, so
// releasing a plan or an optimizer never frees it.
const tables = new WeakMap<GpuContext, GPUBuffer>();

/** Returns the context's inverse-CDF table buffer (GAUSSIAN_TABLE_ENTRIES u32), uploaded on first use. */
export function getGaussianTable(ctx: GpuContext): GPUBuffer {
  let buffer = tables.get(ctx);
  if (!buffer) {
    buffer = ctx.pool.outsideCapture(() => ctx.pool.storageFrom('gaussian inverse-CDF table', 'perturbation', gaussianTable()));
    tables.set(ctx, buffer);
  }
  return buffer;
}

export interface GaussianFillArgs {
  /** [n] f32, receives gaussian(seed, stream, indexOffset + i) for i < n. */
  out: GPUBuffer;
  n: number;
  /** u32 stream id, static per tensor. */
  stream: number;
  /** StepParams uniform (see perturb/step-params.ts); only its seed is read. */
  step: GPUBuffer;
  /** Index of out[0] in the stream (default 0), for a tensor split over several buffers. */
  indexOffset?: number;
}

/** Builds the dispatch that fills `out[0..n)` with samples indexOffset.. of (step seed, stream). */
export function makeGaussianFill(ctx: GpuContext, label: string, args: GaussianFillArgs): Dispatch {
  const indexOffset = args.indexOffset ?? 0;
  checkU32(`${label}: stream`, args.stream);
  checkU32(`${label}: n`, args.n);
  checkU32(`${label}: indexOffset`, indexOffset);
  if (indexOffset + args.n > 2 ** 32) {
    throw new Error(`${label}: indexOffset + n = ${indexOffset + args.n} exceeds the last u32 index 2^32 − 1`);
  }
  requireElements(label, 'gaussian fill', 'out', args.out, args.n, `n = ${args.n}`);

  const pipeline = ctx.pipelines.get('gaussian-fill', () => wgslConstants({ WORKGROUP_SIZE }) + rngWgsl() + stepParamsWgsl() + fillSource);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', args.n],
    ['u32', args.stream],
    ['u32', indexOffset],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [getGaussianTable(ctx), params, args.step, args.out]),
    workgroups: workgroupGrid(ctx, args.n, WORKGROUP_SIZE),
  };
}

/** Throws unless `value` is an integer in [0, 2^32). */
export function checkU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new Error(`${name} must be an integer in [0, 2^32), got ${value}`);
  }
}
