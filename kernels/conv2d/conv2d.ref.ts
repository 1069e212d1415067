/**
 * CPU references of the 2-D convolution on NHWC images, in f64. im2colRef and col2imRef mirror the
 * GPU building blocks. conv2dForwardRef and conv2dBackwardRef are direct loops over the
 * convolution sum that do not use im2col, so a test can check the GPU composition against them.
 * Inputs may be any numeric arrays (Float64Array for finite-difference checks).
 */
import { conv2dSizes, type Conv2dShape } from './conv2d-shape';

export interface Conv2dGradients {
  /** [B, H, W, C]. */
  dx: Float64Array;
  /** [outChannels, C, KH, KW]. */
  dWeight: Float64Array;
  /** [outChannels]. */
  dBias: Float64Array;
}

function requireLength(name: string, values: ArrayLike<number>, count: number, formula: string): void {
  if (values.length < count) throw new Error(`${name} has ${values.length} elements, expected ${formula} = ${count}`);
}

/**
 * Returns the im2col matrix [B·OH·OW, C·KH·KW] of x [B, H, W, C]. Row (b, oh, ow) is the input
 * patch under output position (oh, ow). Its column c·KH·KW + ki·KW + kj is
 * x[b, oh·stride − padding + ki, ow·stride − padding + kj, c], or 0 where that lies in the padding.
 */
export function im2colRef(x: ArrayLike<number>, shape: Conv2dShape): Float64Array {
  const { B, H, W, C, KH, KW, stride, padding } = shape;
  const { OH, OW, rows, patch } = conv2dSizes('im2colRef', shape);
  requireLength('im2colRef: x', x, B * H * W * C, 'B*H*W*C');

  const cols = new Float64Array(rows * patch);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = (b * OH + oh) * OW + ow;
        for (let c = 0; c < C; c++) {
          for (let ki = 0; ki < KH; ki++) {
            for (let kj = 0; kj < KW; kj++) {
              const h = oh * stride - padding + ki;
              const w = ow * stride - padding + kj;
              if (h < 0 || h >= H || w < 0 || w >= W) continue;
              cols[row * patch + (c * KH + ki) * KW + kj] = x[((b * H + h) * W + w) * C + c];
            }
          }
        }
      }
    }
  }
  return cols;
}

/**
 * Returns the adjoint of im2col: dx [B, H, W, C] where every column entry of dcols
 * [B·OH·OW, C·KH·KW] is added to the input element it was copied from. Entries that came from
 * the padding are dropped.
 */
export function col2imRef(dcols: ArrayLike<number>, shape: Conv2dShape): Float64Array {
  const { B, H, W, C, KH, KW, stride, padding } = shape;
  const { OH, OW, rows, patch } = conv2dSizes('col2imRef', shape);
  requireLength('col2imRef: dcols', dcols, rows * patch, 'B*OH*OW*C*KH*KW');

  const dx = new Float64Array(B * H * W * C);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const row = (b * OH + oh) * OW + ow;
        for (let c = 0; c < C; c++) {
          for (let ki = 0; ki < KH; ki++) {
            for (let kj = 0; kj < KW; kj++) {
              const h = oh * stride - padding + ki;
              const w = ow * stride - padding + kj;
              if (h < 0 || h >= H || w < 0 || w >= W) continue;
              dx[((b * H + h) * W + w) * C + c] += dcols[row * patch + (c * KH + ki) * KW + kj];
            }
          }
        }
      }
    }
  }
  return dx;
}

/**
 * Returns y [B, OH, OW, outChannels] with
 * y[b, oh, ow, o] = bias[o] + Σ_{c, ki, kj} x[b, oh·stride − padding + ki, ow·stride − padding + kj, c] · weight[o, c, ki, kj],
 * where input positions in the padding read 0. `bias` may be null (no bias).
 */
export function conv2dForwardRef(
  x: ArrayLike<number>, // [B, H, W, C]
  weight: ArrayLike<number>, // [outChannels, C, KH, KW]
  bias: ArrayLike<number> | null, // [outChannels]
  shape: Conv2dShape,
): Float64Array {
  const { B, H, W, C, outChannels, KH, KW, stride, padding } = shape;
  const { OH, OW } = conv2dSizes('conv2dForwardRef', shape);
  requireLength('conv2dForwardRef: x', x, B * H * W * C, 'B*H*W*C');
  requireLength('conv2dForwardRef: weight', weight, outChannels * C * KH * KW, 'outChannels*C*KH*KW');
  if (bias) requireLength('conv2dForwardRef: bias', bias, outChannels, 'outChannels');

  const y = new Float64Array(B * OH * OW * outChannels);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let o = 0; o < outChannels; o++) {
          let sum = bias ? bias[o] : 0;
          for (let ki = 0; ki < KH; ki++) {
            const h = oh * stride - padding + ki;
            if (h < 0 || h >= H) continue;
            for (let kj = 0; kj < KW; kj++) {
              const w = ow * stride - padding + kj;
              if (w < 0 || w >= W) continue;
              for (let c = 0; c < C; c++) {
                sum += x[((b * H + h) * W + w) * C + c] * weight[((o * C + c) * KH + ki) * KW + kj];
              }
            }
          }
          y[((b * OH + oh) * OW + ow) * outChannels + o] = sum;
        }
      }
    }
  }
  return y;
}

/**
 * Returns the gradients of Σ dy · conv2dForwardRef(x, weight, bias) with respect to x, weight and
 * bias, for dy [B, OH, OW, outChannels], by the same direct loops as the forward.
 */
export function conv2dBackwardRef(
  x: ArrayLike<number>, // [B, H, W, C]
  weight: ArrayLike<number>, // [outChannels, C, KH, KW]
  dy: ArrayLike<number>, // [B, OH, OW, outChannels]
  shape: Conv2dShape,
): Conv2dGradients {
  const { B, H, W, C, outChannels, KH, KW, stride, padding } = shape;
  const { OH, OW } = conv2dSizes('conv2dBackwardRef', shape);
  requireLength('conv2dBackwardRef: x', x, B * H * W * C, 'B*H*W*C');
  requireLength('conv2dBackwardRef: weight', weight, outChannels * C * KH * KW, 'outChannels*C*KH*KW');
  requireLength('conv2dBackwardRef: dy', dy, B * OH * OW * outChannels, 'B*OH*OW*outChannels');

  const dx = new Float64Array(B * H * W * C);
  const dWeight = new Float64Array(outChannels * C * KH * KW);
  const dBias = new Float64Array(outChannels);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let o = 0; o < outChannels; o++) {
          const g = dy[((b * OH + oh) * OW + ow) * outChannels + o];
          dBias[o] += g;
          for (let ki = 0; ki < KH; ki++) {
            const h = oh * stride - padding + ki;
            if (h < 0 || h >= H) continue;
            for (let kj = 0; kj < KW; kj++) {
              const w = ow * stride - padding + kj;
              if (w < 0 || w >= W) continue;
              for (let c = 0; c < C; c++) {
                const xIndex = ((b * H + h) * W + w) * C + c;
                const wIndex = ((o * C + c) * KH + ki) * KW + kj;
                dx[xIndex] += g * weight[wIndex];
                dWeight[wIndex] += g * x[xIndex];
              }
            }
          }
        }
      }
    }
  }
  return { dx, dWeight, dBias };
}
