/**
 * CPU references of the perturbation kernels, with the same argument order as the GPU ops.
 *
 * Full rank:  dst[i] = (applyDecay ? keep · src[i] : src[i]) + c · gaussian(seed, stream, i)
 * Low rank:   dst = (applyDecay ? keep : 1) · src + c · scale · U Σ Vᵀ
 *   src, dst: [M, N], U: [M, R], V: [N, R], Σ (sigma): [R, R], all row-major f32.
 */
import { gaussianRef } from '../rng/rng.ref';
import type { StepParams } from './step-params';

/**
 * Full-rank perturbation of n elements, rounding in f32 after each operation as the GPU does.
 * Element i draws gaussian(seed, stream, indexOffset + i): a chunk of a tensor split by rows passes
 * its first element's index in the whole tensor.
 */
export function perturbFullRef(src: Float32Array, n: number, stream: number, applyDecay: boolean, p: StepParams, indexOffset = 0): Float32Array {
  if (src.length < n) throw new Error(`perturbFullRef: src has ${src.length} elements, fewer than n = ${n}`);
  const dst = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const base = applyDecay ? Math.fround(p.keep * src[i]) : src[i];
    dst[i] = base + Math.fround(p.c * gaussianRef(p.seed, stream, indexOffset + i));
  }
  return dst;
}

/**
 * Low-rank perturbation of an m×n matrix. The direction c · scale · U Σ Vᵀ is summed in f64, and
 * its sum with the f32 base (keep · src rounded to f32) is rounded once.
 */
export function perturbLowRankRef(
  src: Float32Array,
  u: Float32Array,
  v: Float32Array,
  sigma: Float32Array,
  m: number,
  n: number,
  r: number,
  scale: number,
  applyDecay: boolean,
  p: StepParams,
): Float32Array {
  checkLength('src', src, m * n);
  checkLength('u', u, m * r);
  checkLength('v', v, n * r);
  checkLength('sigma', sigma, r * r);

  // 1. Row i of (U Σ), [M, R].
  const uSigma = new Float64Array(m * r);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < r; k++) {
      let sum = 0;
      for (let l = 0; l < r; l++) sum += u[i * r + l] * sigma[l * r + k];
      uSigma[i * r + k] = sum;
    }
  }

  // 2. dst[i, j] = base + c · scale · (U Σ)[i, :] · V[j, :].
  const dst = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let z = 0;
      for (let k = 0; k < r; k++) z += uSigma[i * r + k] * v[j * r + k];
      const base = applyDecay ? Math.fround(p.keep * src[i * n + j]) : src[i * n + j];
      dst[i * n + j] = base + p.c * scale * z;
    }
  }
  return dst;
}

function checkLength(name: string, array: Float32Array, expected: number): void {
  if (array.length < expected) {
    throw new Error(`perturbLowRankRef: ${name} has ${array.length} elements, expected at least ${expected}`);
  }
}
