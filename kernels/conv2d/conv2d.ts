/**
 * 2-D convolution on NHWC images through im2col and matmul, on the GPU.
 *
 * Forward: cols = im2col(x) is [B·OH·OW, C·KH·KW], and out = cols · weightᵀ + bias (the NT matmul)
 * is [B·OH·OW, outChannels], which is the NHWC output [B, OH, OW, outChannels]. The weight is the
 * PyTorch (outChannels, C, KH, KW) kernel read as the (outChannels, C·KH·KW) matrix.
 * Backward: dWeight = dyᵀ · cols (TN matmul), dBias = the column sums of dy, dcols = dy · weight
 * (NN matmul) and dx = col2im(dcols).
 *
 * makeIm2col and makeCol2im are the building blocks. makeConv2dForward and makeConv2dBackward chain
 * them with the matmul and bias-grad kernels.
 */
import { makeBiasGrad } from '../bias-grad/bias-grad';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch, type UniformField } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements } from '../gpu/validate';
import { makeMatmul } from '../matmul/matmul';
import { conv2dSizes, type Conv2dShape, type Conv2dSizes } from './conv2d-shape';
import source from './conv2d.wgsl?raw';

export { conv2dSizes, type Conv2dShape, type Conv2dSizes } from './conv2d-shape';

const WORKGROUP_SIZE = 256;

const shader = () => wgslConstants({ WORKGROUP_SIZE }) + source;

export interface Im2colArgs {
  /** [B, H, W, C]. */
  x: GPUBuffer;
  /** [B·OH·OW, C·KH·KW], fully overwritten. */
  cols: GPUBuffer;
  shape: Conv2dShape;
}

export function makeIm2col(ctx: GpuContext, label: string, args: Im2colArgs): Dispatch {
  const { x, cols, shape } = args;
  const sizes = conv2dSizes(label, shape);
  const count = sizes.rows * sizes.patch;
  requireElements(label, 'im2col', 'x', x, inputElements(shape), 'B*H*W*C');
  requireElements(label, 'im2col', 'cols', cols, count, 'B*OH*OW*C*KH*KW');
  if (cols === x) throw new Error(`${label}: im2col cols must be a separate buffer from x`);

  const pipeline = ctx.pipelines.get('conv2d-im2col', shader, 'main_im2col');
  const params = makeUniform(ctx, `${label} params`, paramsFields(shape, sizes, count));
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [params, x, cols]),
    workgroups: workgroupGrid(ctx, count, WORKGROUP_SIZE),
  };
}

export interface Col2imArgs {
  /** [B·OH·OW, C·KH·KW], the gradient of the im2col columns. */
  dcols: GPUBuffer;
  /** [B, H, W, C], fully overwritten. */
  dx: GPUBuffer;
  shape: Conv2dShape;
}

export function makeCol2im(ctx: GpuContext, label: string, args: Col2imArgs): Dispatch {
  const { dcols, dx, shape } = args;
  const sizes = conv2dSizes(label, shape);
  const count = inputElements(shape);
  requireElements(label, 'col2im', 'dcols', dcols, sizes.rows * sizes.patch, 'B*OH*OW*C*KH*KW');
  requireElements(label, 'col2im', 'dx', dx, count, 'B*H*W*C');
  if (dx === dcols) throw new Error(`${label}: col2im dx must be a separate buffer from dcols`);

  const pipeline = ctx.pipelines.get('conv2d-col2im', shader, 'main_col2im');
  const params = makeUniform(ctx, `${label} params`, paramsFields(shape, sizes, count));
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [params, dcols, dx]),
    workgroups: workgroupGrid(ctx, count, WORKGROUP_SIZE),
  };
}

export interface Conv2dForwardArgs {
  /** [B, H, W, C]. */
  x: GPUBuffer;
  /** [outChannels, C, KH, KW]. */
  weight: GPUBuffer;
  /** [outChannels], or omitted for no bias. */
  bias?: GPUBuffer;
  /** [B·OH·OW, C·KH·KW] scratch for im2col; the backward reads it again, so keep it until then. */
  cols: GPUBuffer;
  /** [B, OH, OW, outChannels]. */
  out: GPUBuffer;
  shape: Conv2dShape;
}

/** Returns the forward dispatches, to run in order: im2col, then out = cols · weightᵀ + bias. */
export function makeConv2dForward(ctx: GpuContext, label: string, args: Conv2dForwardArgs): Dispatch[] {
  const { x, weight, bias, cols, out, shape } = args;
  const { rows, patch } = conv2dSizes(label, shape);
  return [
    makeIm2col(ctx, `${label} im2col`, { x, cols, shape }),
    makeMatmul(ctx, `${label} matmul`, { a: cols, b: weight, bias, out, M: rows, K: patch, N: shape.outChannels, transposeB: true }),
  ];
}

export interface Conv2dBackwardArgs {
  /** [B, OH, OW, outChannels], the gradient of the output. */
  dy: GPUBuffer;
  /** [outChannels, C, KH, KW]. */
  weight: GPUBuffer;
  /** [B·OH·OW, C·KH·KW], the im2col columns of the forward. */
  cols: GPUBuffer;
  /**
   * [B·OH·OW, C·KH·KW] scratch for the column gradients, unused when dx is omitted. May be cols,
   * because the dispatches read cols for dWeight before they overwrite it.
   */
  dcols: GPUBuffer;
  /** [B, H, W, C], or omitted when the input needs no gradient (the first layer). */
  dx?: GPUBuffer;
  /** [outChannels, C, KH, KW], overwritten. */
  dWeight: GPUBuffer;
  /** [outChannels], overwritten; omitted for a convolution without bias. */
  dBias?: GPUBuffer;
  shape: Conv2dShape;
}

/**
 * Returns the backward dispatches, to run in order: dWeight = dyᵀ · cols, dBias = the column sums of
 * dy, then (when dx is given) dcols = dy · weight and dx = col2im(dcols).
 */
export function makeConv2dBackward(ctx: GpuContext, label: string, args: Conv2dBackwardArgs): Dispatch[] {
  const { dy, weight, cols, dcols, dx, dWeight, dBias, shape } = args;
  const { rows, patch } = conv2dSizes(label, shape);
  const O = shape.outChannels;
  const dispatches = [
    makeMatmul(ctx, `${label} weight gradient`, { a: dy, b: cols, out: dWeight, M: O, K: rows, N: patch, transposeA: true, transposeB: false }),
  ];
  if (dBias) dispatches.push(...makeBiasGrad(ctx, `${label} bias gradient`, { dy, out: dBias, N: rows, M: O }));
  if (dx) {
    dispatches.push(
      makeMatmul(ctx, `${label} column gradient`, { a: dy, b: weight, out: dcols, M: rows, K: O, N: patch, transposeB: false }),
      makeCol2im(ctx, `${label} col2im`, { dcols, dx, shape }),
    );
  }
  return dispatches;
}

function inputElements(shape: Conv2dShape): number {
  return shape.B * shape.H * shape.W * shape.C;
}

function paramsFields(shape: Conv2dShape, sizes: Conv2dSizes, count: number): UniformField[] {
  return [
    ['u32', shape.B],
    ['u32', shape.H],
    ['u32', shape.W],
    ['u32', shape.C],
    ['u32', shape.KH],
    ['u32', shape.KW],
    ['u32', shape.stride],
    ['u32', shape.padding],
    ['u32', sizes.OH],
    ['u32', sizes.OW],
    ['u32', count],
  ];
}
