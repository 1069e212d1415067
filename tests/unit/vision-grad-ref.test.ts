import { describe, expect, it } from 'vitest';
import { col2imRef, conv2dBackwardRef, conv2dForwardRef, im2colRef } from '../../kernels/conv2d/conv2d.ref';
import { conv2dSizes, type Conv2dShape } from '../../kernels/conv2d/conv2d-shape';
import { linearBackwardRef, linearForwardRef } from '../../kernels/matmul/matmul.ref';
import { maxPoolBackwardRef, maxPoolRef } from '../../kernels/pool/max-pool.ref';
import { reluBackwardRef, reluRef } from '../../kernels/relu/relu.ref';
import { softmaxCrossEntropyRef } from '../../kernels/softmax-xent/softmax-xent.ref';

// Every backward CPU reference against central finite differences in f64 of the scalar
// L = Σ r · forward(...), with r a fixed random projection, so that dL/dy = r is the upstream
// gradient handed to the backward reference (for softmax cross-entropy L is the mean loss itself).
// Step H = 1e-6. Away from kinks these ops are piecewise linear in each input (the softmax is
// smooth), so the difference quotient is wrong only by the f64 rounding of L, about
// 2⁻⁵²·|L|/H ≈ 1e-9 for |L| ≈ 10, and by H²·|L'''|/6 ≈ 1e-13 for the softmax. The tolerance
// 1e-7 sits far above both and far below the error of a missing or misplaced term (about 0.01).
const H = 1e-6;
const TOLERANCE = 1e-7;

/** Deterministic pseudo-random values in [-scale, scale) (xorshift32), as f64. */
function randomValues(n: number, seed: number, scale = 1): Float64Array {
  let state = (seed * 2654435761) >>> 0 || 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = ((state / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

/**
 * Returns the central difference (L(p + H·e_i) − L(p − H·e_i)) / (2H) for every element i of
 * `param`, which `loss` reads. `param` is restored afterwards.
 */
function finiteDifferences(param: Float64Array, loss: () => number): Float64Array {
  const gradient = new Float64Array(param.length);
  for (let i = 0; i < param.length; i++) {
    const saved = param[i];
    param[i] = saved + H;
    const plus = loss();
    param[i] = saved - H;
    const minus = loss();
    param[i] = saved;
    gradient[i] = (plus - minus) / (2 * H);
  }
  return gradient;
}

/** Largest |a − b|, for a failure message that shows by how much. */
function maxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

const CONV_SHAPES: [string, Conv2dShape][] = [
  ['3x3, stride 1, padding 1', { B: 2, H: 5, W: 4, C: 2, outChannels: 3, KH: 3, KW: 3, stride: 1, padding: 1 }],
  ['3x2, stride 2, padding 1', { B: 2, H: 5, W: 6, C: 2, outChannels: 3, KH: 3, KW: 2, stride: 2, padding: 1 }],
  ['2x2, stride 1, no padding', { B: 1, H: 4, W: 3, C: 3, outChannels: 2, KH: 2, KW: 2, stride: 1, padding: 0 }],
];

describe('conv2d references', () => {
  it.each(CONV_SHAPES)('backward matches finite differences, %s', (_name, shape) => {
    const { OH, OW } = conv2dSizes('test', shape);
    const x = randomValues(shape.B * shape.H * shape.W * shape.C, 1);
    const weight = randomValues(shape.outChannels * shape.C * shape.KH * shape.KW, 2);
    const bias = randomValues(shape.outChannels, 3);
    const r = randomValues(shape.B * OH * OW * shape.outChannels, 4);
    const loss = () => dot(r, conv2dForwardRef(x, weight, bias, shape));

    const { dx, dWeight, dBias } = conv2dBackwardRef(x, weight, r, shape);

    expect(maxError(dx, finiteDifferences(x, loss))).toBeLessThan(TOLERANCE);
    expect(maxError(dWeight, finiteDifferences(weight, loss))).toBeLessThan(TOLERANCE);
    expect(maxError(dBias, finiteDifferences(bias, loss))).toBeLessThan(TOLERANCE);
  });

  it.each(CONV_SHAPES)('im2col times weightᵀ is the forward, %s', (_name, shape) => {
    const { rows, patch } = conv2dSizes('test', shape);
    const x = randomValues(shape.B * shape.H * shape.W * shape.C, 5);
    const weight = randomValues(shape.outChannels * patch, 6);
    const cols = im2colRef(x, shape);
    const viaColumns = linearForwardRef(cols, weight, null, rows, patch, shape.outChannels);

    expect(maxError(viaColumns, conv2dForwardRef(x, weight, null, shape))).toBeLessThan(1e-12);
  });

  it.each(CONV_SHAPES)('col2im is the adjoint of im2col, %s', (_name, shape) => {
    const { rows, patch } = conv2dSizes('test', shape);
    const x = randomValues(shape.B * shape.H * shape.W * shape.C, 7);
    const dcols = randomValues(rows * patch, 8);

    expect(Math.abs(dot(im2colRef(x, shape), dcols) - dot(x, col2imRef(dcols, shape)))).toBeLessThan(1e-12);
  });

  it('im2col places one patch by hand', () => {
    // x is 1×3×3×1 with values 1..9; a 2×2 kernel, stride 2, padding 1 gives OH = OW = 2.
    const shape: Conv2dShape = { B: 1, H: 3, W: 3, C: 1, outChannels: 1, KH: 2, KW: 2, stride: 2, padding: 1 };
    const cols = im2colRef([1, 2, 3, 4, 5, 6, 7, 8, 9], shape);

    expect(Array.from(cols)).toEqual([0, 0, 0, 1, 0, 0, 2, 3, 0, 4, 0, 7, 5, 6, 8, 9]);
  });

  it('rejects a kernel larger than the padded input', () => {
    const shape: Conv2dShape = { B: 1, H: 2, W: 5, C: 1, outChannels: 1, KH: 5, KW: 3, stride: 1, padding: 1 };

    expect(() => conv2dSizes('small input', shape)).toThrow(/kernel 5x3 is larger than the padded input 4x7/);
  });
});

describe('linear references', () => {
  it('backward matches finite differences', () => {
    const [N, inFeatures, outFeatures] = [3, 4, 5];
    const x = randomValues(N * inFeatures, 11);
    const weight = randomValues(outFeatures * inFeatures, 12);
    const bias = randomValues(outFeatures, 13);
    const r = randomValues(N * outFeatures, 14);
    const loss = () => dot(r, linearForwardRef(x, weight, bias, N, inFeatures, outFeatures));

    const { dx, dWeight, dBias } = linearBackwardRef(x, weight, r, N, inFeatures, outFeatures);

    expect(maxError(dx, finiteDifferences(x, loss))).toBeLessThan(TOLERANCE);
    expect(maxError(dWeight, finiteDifferences(weight, loss))).toBeLessThan(TOLERANCE);
    expect(maxError(dBias, finiteDifferences(bias, loss))).toBeLessThan(TOLERANCE);
  });
});

describe('relu references', () => {
  it('backward matches finite differences', () => {
    // |x| >= 0.05 keeps every x ± H on one side of the kink at 0.
    const x = randomValues(40, 21).map((value) => (value < 0 ? value - 0.05 : value + 0.05));
    const r = randomValues(40, 22);
    const loss = () => dot(r, reluRef(x, x.length));

    expect(maxError(reluBackwardRef(x, r, x.length), finiteDifferences(x, loss))).toBeLessThan(TOLERANCE);
  });

  it('backward from the output equals backward from the input', () => {
    const x = randomValues(40, 23);
    const dy = randomValues(40, 24);

    expect(Array.from(reluBackwardRef(reluRef(x, 40), dy, 40))).toEqual(Array.from(reluBackwardRef(x, dy, 40)));
  });

  it('passes zero and NaN as the shader does', () => {
    expect(Array.from(reluRef([-2, -0, 0, 3, NaN], 5))).toEqual([0, -0, 0, 3, NaN]);
    expect(Array.from(reluBackwardRef([-2, 0, 3, NaN], [1, 1, 1, 1], 4))).toEqual([0, 0, 1, 0]);
  });
});

describe('max pool references', () => {
  it.each([
    ['2x2 windows, 4x4 input', { B: 2, H: 4, W: 4, C: 3, kernel: 2 }],
    ['2x2 windows, 5x7 input (floor)', { B: 1, H: 5, W: 7, C: 2, kernel: 2 }],
    ['3x3 windows, 7x6 input', { B: 2, H: 7, W: 6, C: 1, kernel: 3 }],
  ])('backward matches finite differences, %s', (_name, shape) => {
    const n = shape.B * shape.H * shape.W * shape.C;
    // Distinct values 0.01 apart in shuffled order: no two elements of a window come within 2H,
    // so the argmax is the same at x ± H·e_i.
    const order = randomValues(n, 31);
    const ranks = Array.from(order.keys()).sort((a, b) => order[a] - order[b]);
    const x = new Float64Array(n);
    ranks.forEach((index, rank) => (x[index] = rank * 0.01 - 1));
    const { out, argmax } = maxPoolRef(x, shape);
    const r = randomValues(out.length, 32);
    const loss = () => dot(r, maxPoolRef(x, shape).out);

    expect(maxError(maxPoolBackwardRef(r, argmax, shape), finiteDifferences(x, loss))).toBeLessThan(TOLERANCE);
  });

  it('breaks ties at the first element in window order', () => {
    // One 2×2 window of a 2×2×2 input: channel 0 is [1, 3; 3, 0], channel 1 is all 5.
    const x = [1, 5, 3, 5, 3, 5, 0, 5];
    const { out, argmax } = maxPoolRef(x, { B: 1, H: 2, W: 2, C: 2, kernel: 2 });

    expect(Array.from(out)).toEqual([3, 5]);
    expect(Array.from(argmax)).toEqual([2, 1]);
  });

  it('rejects stride different from kernel', () => {
    expect(() => maxPoolRef(new Float64Array(16), { B: 1, H: 4, W: 4, C: 1, kernel: 2, stride: 1 })).toThrow(
      /supports only stride = kernel \(non-overlapping windows\), got kernel 2 and stride 1/,
    );
  });
});

describe('softmax cross-entropy reference', () => {
  it('dlogits matches finite differences of the mean loss', () => {
    const [B, K] = [4, 7];
    const logits = randomValues(B * K, 41, 3);
    const labels = [0, 6, 3, 3];
    const meanLoss = () => softmaxCrossEntropyRef(logits, labels, B, K).losses.reduce((sum, value) => sum + value, 0) / B;

    const { dlogits } = softmaxCrossEntropyRef(logits, labels, B, K);

    expect(maxError(dlogits, finiteDifferences(logits, meanLoss))).toBeLessThan(TOLERANCE);
  });

  it('is unchanged by a large common offset', () => {
    const logits = randomValues(10, 42, 3);
    const shifted = logits.map((value) => value + 1000);
    const base = softmaxCrossEntropyRef(logits, [4], 1, 10);
    const moved = softmaxCrossEntropyRef(shifted, [4], 1, 10);

    expect(Math.abs(base.losses[0] - moved.losses[0])).toBeLessThan(1e-10);
    expect(maxError(base.dlogits, moved.dlogits)).toBeLessThan(1e-12);
  });

  it('counts ties as the lowest index', () => {
    // Row 0: max 2 at indices 1 and 2, so the prediction is 1. Row 1: same logits, label 2.
    const { correct } = softmaxCrossEntropyRef([0, 2, 2, 0, 2, 2], [1, 2], 2, 3);

    expect(Array.from(correct)).toEqual([1, 0]);
  });

  it('gives NaN for a label outside the classes', () => {
    const { losses, dlogits, correct } = softmaxCrossEntropyRef([0, 1, 2, 0, 1, 2], [3, 2], 2, 3);

    expect(Number.isNaN(losses[0])).toBe(true);
    expect(Array.from(dlogits.subarray(0, 3)).every(Number.isNaN)).toBe(true);
    expect(correct[0]).toBe(0);
    expect(Number.isFinite(losses[1])).toBe(true);
    expect(correct[1]).toBe(1);
  });
});
