/**
 * Non-overlapping 2-D max pooling on NHWC images, on the GPU. makeMaxPool writes the window maxima
 * and, per output, the flat index into x of the element chosen (the first maximum in row-major
 * window order, so ties go to the earliest element). makeMaxPoolBackward routes each output
 * gradient to that element and writes 0 everywhere else in dx.
 */
import { requireElements } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch, type UniformField } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { maxPoolSizes, type MaxPoolShape } from './max-pool-shape';
import source from './max-pool.wgsl?raw';

export { maxPoolSizes, type MaxPoolShape, type MaxPoolSizes } from './max-pool-shape';

const WORKGROUP_SIZE = 256;

const shader = () => wgslConstants({ WORKGROUP_SIZE }) + source;

export interface MaxPoolArgs {
  /** [B, H, W, C]. */
  x: GPUBuffer;
  /** [B, OH, OW, C] maxima. */
  out: GPUBuffer;
  /** [B, OH, OW, C] u32 flat indices into x of the maxima, read by makeMaxPoolBackward. */
  argmax: GPUBuffer;
  shape: MaxPoolShape;
}

export function makeMaxPool(ctx: GpuContext, label: string, args: MaxPoolArgs): Dispatch {
  const { x, out, argmax, shape } = args;
  const { OH, OW, inputs, outputs } = maxPoolSizes(label, shape);
  requireElements(label, 'max pool', 'x', x, inputs, 'B*H*W*C');
  requireElements(label, 'max pool', 'out', out, outputs, 'B*OH*OW*C');
  requireElements(label, 'max pool', 'argmax', argmax, outputs, 'B*OH*OW*C');
  if (out === x || argmax === x || argmax === out) throw new Error(`${label}: max pool x, out and argmax must be three separate buffers`);

  const pipeline = ctx.pipelines.get('max-pool-forward', shader, 'main_forward');
  const params = makeUniform(ctx, `${label} params`, paramsFields(shape, OH, OW, outputs));
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [params, x, out, argmax]),
    workgroups: workgroupGrid(ctx, outputs, WORKGROUP_SIZE),
  };
}

export interface MaxPoolBackwardArgs {
  /** [B, OH, OW, C], the gradient of the pooled output. */
  dy: GPUBuffer;
  /** [B, OH, OW, C] u32, as written by makeMaxPool for the same shape. */
  argmax: GPUBuffer;
  /** [B, H, W, C], fully overwritten. */
  dx: GPUBuffer;
  shape: MaxPoolShape;
}

export function makeMaxPoolBackward(ctx: GpuContext, label: string, args: MaxPoolBackwardArgs): Dispatch {
  const { dy, argmax, dx, shape } = args;
  const { OH, OW, inputs, outputs } = maxPoolSizes(label, shape);
  requireElements(label, 'max pool backward', 'dy', dy, outputs, 'B*OH*OW*C');
  requireElements(label, 'max pool backward', 'argmax', argmax, outputs, 'B*OH*OW*C');
  requireElements(label, 'max pool backward', 'dx', dx, inputs, 'B*H*W*C');
  if (dx === dy || dx === argmax) throw new Error(`${label}: max pool backward dx must be a separate buffer from dy and argmax`);

  const pipeline = ctx.pipelines.get('max-pool-backward', shader, 'main_backward');
  const params = makeUniform(ctx, `${label} params`, paramsFields(shape, OH, OW, inputs));
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [params, dy, argmax, dx]),
    workgroups: workgroupGrid(ctx, inputs, WORKGROUP_SIZE),
  };
}

function paramsFields(shape: MaxPoolShape, OH: number, OW: number, count: number): UniformField[] {
  return [
    ['u32', shape.B],
    ['u32', shape.H],
    ['u32', shape.W],
    ['u32', shape.C],
    ['u32', shape.kernel],
    ['u32', OH],
    ['u32', OW],
    ['u32', count],
  ];
}
