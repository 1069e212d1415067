/** Elementwise helpers of the linalg ops: a scaled identity fill and a buffer copy as dispatches. */
import type { GpuContext } from '../gpu/context';
import { makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { bindBuffers } from './common';
import source from './elementwise.wgsl?raw';

const WORKGROUP_SIZE = 256;

function pipeline(ctx: GpuContext, entry: string): GPUComputePipeline {
  return ctx.pipelines.get(`linalg-elementwise:${entry}`, () => wgslConstants({ WORKGROUP_SIZE }) + source, entry);
}

/** Builds the dispatch that writes value·I to the n×n row-major `out` (Shampoo's L₀ = R₀ = ε·I). */
export function makeScaledIdentity(ctx: GpuContext, label: string, args: { out: GPUBuffer; n: number; value: number }): Dispatch {
  const { out, n, value } = args;
  requirePositiveDims(label, 'scaled identity', { n });
  requireElements(label, 'scaled identity', 'out', out, n * n, `n*n = ${n}*${n}`);
  const p = pipeline(ctx, 'scaled_identity');
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', n],
    ['u32', n * n],
    ['f32', value],
  ]);
  return { label, pipeline: p, bindGroup: bindBuffers(ctx, p, label, { 0: params, 1: out }), workgroups: workgroupGrid(ctx, n * n, WORKGROUP_SIZE) };
}

/** Builds the dispatch that copies `count` f32 from src to out (a compute copy, recordable in a pass). */
export function makeCopy(ctx: GpuContext, label: string, args: { src: GPUBuffer; out: GPUBuffer; count: number }): Dispatch {
  const { src, out, count } = args;
  requirePositiveDims(label, 'copy', { count });
  requireElements(label, 'copy', 'src', src, count, `count = ${count}`);
  requireElements(label, 'copy', 'out', out, count, `count = ${count}`);
  if (src === out) throw new Error(`${label}: copy src and out must be separate buffers`);
  const p = pipeline(ctx, 'copy');
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', 0],
    ['u32', count],
    ['f32', 0],
  ]);
  return { label, pipeline: p, bindGroup: bindBuffers(ctx, p, label, { 0: params, 1: out, 2: src }), workgroups: workgroupGrid(ctx, count, WORKGROUP_SIZE) };
}
