/**
 * CPU references of the reductions, with the same argument order as `makeSumSquares` and
 * `makeCountNonFinite`. The sum is exact up to f64 rounding, so it measures the GPU's f32 error.
 */

function checkRange(name: string, src: Float32Array, n: number, offset: number): void {
  if (src.length < offset + n) throw new Error(`${name}: src has ${src.length} elements, fewer than offset + n = ${offset + n}`);
}

/** Writes Σ x² over src[offset .. offset + n − 1] to results[index] (rounded to f32) and returns the f64 sum. */
export function sumSquaresRef(src: Float32Array, n: number, results: Float32Array, index: number, offset = 0): number {
  checkRange('sumSquaresRef', src, n, offset);
  let sum = 0;
  for (let i = offset; i < offset + n; i++) sum += src[i] * src[i];
  results[index] = sum;
  return sum;
}

/** Writes the number of NaN and ±Inf entries of src[offset .. offset + n − 1] to results[index] and returns it. */
export function countNonFiniteRef(src: Float32Array, n: number, results: Uint32Array, index: number, offset = 0): number {
  checkRange('countNonFiniteRef', src, n, offset);
  let count = 0;
  for (let i = offset; i < offset + n; i++) if (!Number.isFinite(src[i])) count++;
  results[index] = count;
  return count;
}
