/**
 * CPU references of the non-overlapping 2-D max pooling on NHWC images, in f64.
 * The forward scans each window in row-major order (ki, then kj) and keeps the first maximum, so a
 * tie goes to the earliest element in that order. The argmax is the flat index of that element in x.
 */
import { maxPoolSizes, type MaxPoolShape } from './max-pool-shape';

export interface MaxPoolResult {
  /** [B, OH, OW, C]. */
  out: Float64Array;
  /** [B, OH, OW, C] flat indices into x ([B, H, W, C]) of the selected elements. */
  argmax: Uint32Array;
}

export function maxPoolRef(x: ArrayLike<number>, shape: MaxPoolShape): MaxPoolResult {
  const { B, H, W, C, kernel } = shape;
  const { OH, OW, inputs, outputs } = maxPoolSizes('maxPoolRef', shape);
  if (x.length < inputs) throw new Error(`maxPoolRef: x has ${x.length} elements, expected B*H*W*C = ${inputs}`);

  const out = new Float64Array(outputs);
  const argmax = new Uint32Array(outputs);
  for (let b = 0; b < B; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        for (let c = 0; c < C; c++) {
          let bestIndex = ((b * H + oh * kernel) * W + ow * kernel) * C + c;
          let best = x[bestIndex];
          for (let ki = 0; ki < kernel; ki++) {
            for (let kj = 0; kj < kernel; kj++) {
              const index = ((b * H + oh * kernel + ki) * W + ow * kernel + kj) * C + c;
              if (x[index] > best) {
                best = x[index];
                bestIndex = index;
              }
            }
          }
          const o = ((b * OH + oh) * OW + ow) * C + c;
          out[o] = best;
          argmax[o] = bestIndex;
        }
      }
    }
  }
  return { out, argmax };
}

/**
 * Returns dx [B, H, W, C]: dy[o] at argmax[o] for every output o, and 0 elsewhere (including the
 * rows and columns that floor(H / kernel) drops).
 */
export function maxPoolBackwardRef(dy: ArrayLike<number>, argmax: Uint32Array, shape: MaxPoolShape): Float64Array {
  const { inputs, outputs } = maxPoolSizes('maxPoolBackwardRef', shape);
  if (dy.length < outputs || argmax.length < outputs) {
    throw new Error(`maxPoolBackwardRef: dy has ${dy.length} and argmax ${argmax.length} elements, expected B*OH*OW*C = ${outputs}`);
  }
  const dx = new Float64Array(inputs);
  for (let o = 0; o < outputs; o++) {
    if (argmax[o] >= inputs) throw new Error(`maxPoolBackwardRef: argmax[${o}] = ${argmax[o]} is outside x (${inputs} elements)`);
    dx[argmax[o]] += dy[o];
  }
  return dx;
}
