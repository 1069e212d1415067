/**
 * ReLU on the GPU, element-wise over n floats. makeRelu computes out = relu(x), in place when
 * out is x. makeReluBackward computes dx = dy where x > 0 and 0 elsewhere, in place when dx is dy;
 * its x may be the forward output, so the forward can run in place.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './relu.wgsl?raw';

const WORKGROUP_SIZE = 256;

const shader = () => wgslConstants({ WORKGROUP_SIZE }) + source;

export interface ReluArgs {
  /** n floats. */
  x: GPUBuffer;
  /** n floats; may be x, which selects the in-place pipeline. */
  out: GPUBuffer;
  n: number;
}

export function makeRelu(ctx: GpuContext, label: string, args: ReluArgs): Dispatch {
  const { x, out, n } = args;
  requirePositiveDims(label, 'relu', { n });
  requireElements(label, 'relu', 'x', x, n, `n = ${n}`);
  requireElements(label, 'relu', 'out', out, n, `n = ${n}`);

  const inPlace = out === x;
  const pipeline = inPlace ? ctx.pipelines.get('relu-in-place', shader, 'main_in_place') : ctx.pipelines.get('relu', shader, 'main');
  const params = makeUniform(ctx, `${label} params`, [['u32', n]]);
  const buffers = inPlace ? [params, x] : [params, x, out];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups: workgroupGrid(ctx, n, WORKGROUP_SIZE),
  };
}

export interface ReluBackwardArgs {
  /** n floats: the forward input, or the forward output (relu(x) > 0 exactly where x > 0). */
  x: GPUBuffer;
  /** n floats, the gradient of the forward output. */
  dy: GPUBuffer;
  /** n floats; may be dy, which selects the in-place pipeline. Must not be x. */
  dx: GPUBuffer;
  n: number;
}

export function makeReluBackward(ctx: GpuContext, label: string, args: ReluBackwardArgs): Dispatch {
  const { x, dy, dx, n } = args;
  requirePositiveDims(label, 'relu backward', { n });
  requireElements(label, 'relu backward', 'x', x, n, `n = ${n}`);
  requireElements(label, 'relu backward', 'dy', dy, n, `n = ${n}`);
  requireElements(label, 'relu backward', 'dx', dx, n, `n = ${n}`);
  if (dx === x || dy === x) throw new Error(`${label}: relu backward dy and dx must be separate buffers from x`);

  const inPlace = dx === dy;
  const pipeline = inPlace
    ? ctx.pipelines.get('relu-backward-in-place', shader, 'main_backward_in_place')
    : ctx.pipelines.get('relu-backward', shader, 'main_backward');
  const params = makeUniform(ctx, `${label} params`, [['u32', n]]);
  const buffers = inPlace ? [params, x, dy] : [params, x, dy, dx];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups: workgroupGrid(ctx, n, WORKGROUP_SIZE),
  };
}
