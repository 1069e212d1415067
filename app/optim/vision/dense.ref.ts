/**
 * Small dense f64 helpers for the CPU references of the vision optimizers. Matrices are row-major
 * Float64Array; n×n unless a shape is given.
 */

export function identity(n: number, scale = 1): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = scale;
  return out;
}

/** Returns a·b for a (m×k) and b (k×n). */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aip * b[p * n + j];
    }
  }
  return out;
}

/** Returns aᵀ for a (m×n). */
export function transpose(a: ArrayLike<number>, m: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) out[j * m + i] = a[i * n + j];
  return out;
}

/** Returns G·Gᵀ (m×m) for 'left' or Gᵀ·G (n×n) for 'right', with G m×n. */
export function gram(g: ArrayLike<number>, m: number, n: number, side: 'left' | 'right'): Float64Array {
  if (side === 'left') return matmul(g, transpose(g, m, n), m, n, m);
  return matmul(transpose(g, m, n), g, n, m, n);
}

export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}

export function frobeniusNorm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}
