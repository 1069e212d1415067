/**
 * CPU reference of the eigen inverse root in f64: Â = V·diag(f(S))·Vᵀ with f(s) =
 * (max(s, 0) + ε·max S)^(−1/4), `vt` n×n row-major with eigenvectors as rows. Returns null where
 * the GPU keeps the previous root (non-finite input, or ε·max S ≤ 0).
 */
import { ROOT_EPSILON, ROOT_ORDER } from './constants';

export function eigenRootWeightsRef(values: ArrayLike<number>, n: number, epsilon = ROOT_EPSILON): Float64Array | null {
  let largest = 0;
  for (let k = 0; k < n; k++) {
    if (!Number.isFinite(values[k])) return null;
    largest = Math.max(largest, values[k]);
  }
  const ridge = epsilon * largest;
  if (!(ridge > 0)) return null;
  const weights = new Float64Array(n);
  for (let k = 0; k < n; k++) weights[k] = (Math.max(values[k], 0) + ridge) ** (-1 / ROOT_ORDER);
  return weights;
}

export function eigenRootRef(vt: ArrayLike<number>, values: ArrayLike<number>, n: number, epsilon = ROOT_EPSILON): Float64Array | null {
  for (let i = 0; i < n * n; i++) if (!Number.isFinite(vt[i])) return null;
  const weights = eigenRootWeightsRef(values, n, epsilon);
  if (!weights) return null;
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const scaled = weights[k] * vt[k * n + i];
      for (let j = 0; j < n; j++) out[i * n + j] += scaled * vt[k * n + j];
    }
  }
  return out;
}
