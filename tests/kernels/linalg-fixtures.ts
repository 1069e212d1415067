/**
 * Test matrices and f64 matrix helpers shared by the linalg kernel tests.
 */
import { fromEigen, symmetricEigen } from '../../app/optim/shampoo/eigen';
import { randomArray } from '../helpers/gpu';

/** Returns an n×n orthogonal matrix (rows orthonormal, f64): the eigenvectors of a random symmetric matrix. */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const g = randomArray(n * n, seed);
  const s = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = g[i * n + j] + g[j * n + i];
      s[i * n + j] = value;
      s[j * n + i] = value;
    }
  }
  return symmetricEigen(s, n).vectors;
}

/** Eigenvalues scale·cond^(−i/(n−1)), i = 0..n−1: log-spaced from scale down to scale/cond. */
export function logSpectrum(n: number, cond: number, scale = 1): Float64Array {
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = scale * cond ** (n === 1 ? 0 : -i / (n - 1));
  return values;
}

/** A symmetric positive definite f32 matrix Vᵀ diag(values) V (exactly symmetric after rounding), with V. */
export function spdMatrix(values: ArrayLike<number>, n: number, seed: number): { a: Float32Array; vectors: Float64Array } {
  const vectors = randomOrthogonal(n, seed);
  const product = fromEigen(vectors, values, n);
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      a[i * n + j] = product[i * n + j];
      a[j * n + i] = product[i * n + j];
    }
  }
  return { a, vectors };
}

/** Returns A·B in f64 for n×n row-major matrices. */
export function multiply(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

/** Returns max|M − I|. */
export function distanceFromIdentity(m: ArrayLike<number>, n: number): number {
  let max = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) max = Math.max(max, Math.abs(m[i * n + j] - (i === j ? 1 : 0)));
  }
  return max;
}

/** Returns ‖a − b‖_F / ‖b‖_F. */
export function relativeFrobenius(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < b.length; i++) {
    difference += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(difference / norm);
}

/** Returns the n×n identity as f32. */
export function identity(n: number, scale = 1): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = scale;
  return out;
}
