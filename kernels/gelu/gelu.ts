/** GELU (GPT-2's tanh form) on the GPU, element-wise over n floats, out of place or in place. */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { GELU_CUBIC, GELU_SCALE } from './gelu.ref';
import source from './gelu.wgsl?raw';

const WORKGROUP_SIZE = 256;

/**
 * |x| beyond which the shader stops evaluating the formula. At x = -10, u ≈ -43.6 and
 * exp(-2u) ≈ 8.6e37, still below f32's max of 3.4e38, and |gelu(-10)| ≈ 1e-37.
 */
const GELU_SATURATION = 10;

export interface GeluArgs {
  /** n floats. */
  x: GPUBuffer;
  /** n floats; may be x, which selects the in-place pipeline. */
  out: GPUBuffer;
  n: number;
}

export function makeGelu(ctx: GpuContext, label: string, args: GeluArgs): Dispatch {
  const { x, out, n } = args;
  requirePositiveDims(label, 'gelu', { n });
  requireElements(label, 'gelu', 'x', x, n, `n = ${n}`);
  requireElements(label, 'gelu', 'out', out, n, `n = ${n}`);

  const inPlace = out === x;
  const shader = () => wgslConstants({ WORKGROUP_SIZE, GELU_SCALE, GELU_CUBIC, GELU_SATURATION: { f32: GELU_SATURATION } }) + source;
  const pipeline = inPlace
    ? ctx.pipelines.get('gelu-in-place', shader, 'main_in_place')
    : ctx.pipelines.get('gelu', shader, 'main');
  const params = makeUniform(ctx, `${label} params`, [['u32', n]]);
  const buffers = inPlace ? [params, x] : [params, x, out];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups: workgroupGrid(ctx, n, WORKGROUP_SIZE),
  };
}
