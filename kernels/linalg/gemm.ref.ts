/**
 * CPU reference of the strided GEMM: out = alpha · A · diag(w) · B + beta · C, accumulated in f64
 * and rounded once to f32. Views use the same (offset, rowStride, colStride) as gemm.ts.
 */
export interface MatrixViewRef {
  data: ArrayLike<number>;
  offset?: number;
  rowStride: number;
  colStride: number;
}

/** Returns the view of a row-major matrix with `cols` columns, or of its transpose when `transposed`. */
export function rowMajorRef(data: ArrayLike<number>, cols: number, transposed = false, offset = 0): MatrixViewRef {
  return transposed ? { data, offset, rowStride: 1, colStride: cols } : { data, offset, rowStride: cols, colStride: 1 };
}

export function gemmRef(
  a: MatrixViewRef,
  b: MatrixViewRef,
  m: number,
  k: number,
  n: number,
  alpha = 1,
  weights?: ArrayLike<number>,
  addend?: ArrayLike<number>,
  beta = 1,
): Float32Array {
  const out = new Float32Array(m * n);
  const aOffset = a.offset ?? 0;
  const bOffset = b.offset ?? 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const product = a.data[aOffset + i * a.rowStride + p * a.colStride] * b.data[bOffset + p * b.rowStride + j * b.colStride];
        sum += weights ? product * weights[p] : product;
      }
      out[i * n + j] = alpha * sum + (addend ? beta * addend[i * n + j] : 0);
    }
  }
  return out;
}
