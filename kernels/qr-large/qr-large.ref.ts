/**
 * CPU reference of the large QR in f64: the GPU's algorithm without the blocking. It runs modified
 * Gram–Schmidt QR_LARGE_PASSES times, each pass re-orthogonalising the previous pass's Q. Every
 * column is normalised by its positive norm, so R's diagonal is non-negative. A numerically
 * dependent column (see QR_RELATIVE_FLOOR) is replaced by the fixed vector qrFallbackEntry(·, j),
 * orthogonalised twice against the columns before it, and its R diagonal entry is 0.
 *
 * layout 'columns': a is m×k row-major and its k columns are orthonormalised.
 * layout 'rows':    a is k×m row-major and its k rows are orthonormalised (the Q of aᵀ, stored
 *                   transposed).
 * Returns Q in the layout of a.
 */
import { hash32, hashToUnit } from '../linalg/common';
import { QR_ABSOLUTE_FLOOR, QR_FALLBACK_SEED, QR_LARGE_PASSES, QR_RELATIVE_FLOOR } from './constants';

export type QrLayout = 'columns' | 'rows';

/** Entry i of the replacement vector for a dependent column j. */
export function qrFallbackEntry(i: number, j: number): number {
  return hashToUnit(hash32((hash32(j + QR_FALLBACK_SEED) + i) >>> 0));
}

export function qrLargeRef(a: ArrayLike<number>, m: number, k: number, layout: QrLayout, passes = QR_LARGE_PASSES): Float64Array {
  if (!(k >= 1 && m >= k)) throw new Error(`qrLargeRef: expected 1 ≤ k ≤ m, got m = ${m}, k = ${k}`);
  // Work on columns: columns[j][i] = element i of vector j.
  const columns = Array.from({ length: k }, (_, j) => Float64Array.from({ length: m }, (_, i) => (layout === 'columns' ? a[i * k + j] : a[j * m + i])));

  for (let pass = 0; pass < passes; pass++) {
    const original = columns.map((column) => dot(column, column));
    for (let j = 0; j < k; j++) {
      let column = columns[j];
      let squared = dot(column, column);
      if (isDependent(squared, original[j])) {
        column = Float64Array.from({ length: m }, (_, i) => qrFallbackEntry(i, j));
        for (let round = 0; round < 2; round++) {
          const coefficients = columns.slice(0, j).map((q) => dot(q, column));
          for (let q = 0; q < j; q++) for (let i = 0; i < m; i++) column[i] -= coefficients[q] * columns[q][i];
        }
        columns[j] = column;
        squared = dot(column, column);
      }
      const inverse = squared > QR_ABSOLUTE_FLOOR ? 1 / Math.sqrt(squared) : 0;
      for (let i = 0; i < m; i++) column[i] *= inverse;
      for (let t = j + 1; t < k; t++) {
        const coefficient = dot(column, columns[t]);
        for (let i = 0; i < m; i++) columns[t][i] -= coefficient * column[i];
      }
    }
  }

  const out = new Float64Array(m * k);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < m; i++) out[layout === 'columns' ? i * k + j : j * m + i] = columns[j][i];
  }
  return out;
}

/** Returns whether a squared residual norm counts as zero, relative to the vector's squared norm at the start of the pass. */
export function isDependent(squared: number, original: number): boolean {
  return !(squared > QR_RELATIVE_FLOOR ** 2 * original) || !(squared > QR_ABSOLUTE_FLOOR);
}

function dot(x: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * y[i];
  return sum;
}
