/**
 * CPU reference of the Shampoo factor EMA in f64, rounded once to f32:
 * left L ← β·L + (1 − β)·G·Gᵀ, right R ← β·R + (1 − β)·Gᵀ·G, G = the rows×cols block at
 * g[offset + i·rowStride + j].
 */
export function gramEmaRef(
  g: ArrayLike<number>,
  rows: number,
  cols: number,
  factor: ArrayLike<number>,
  side: 'left' | 'right',
  beta: number,
  rowStride = cols,
  offset = 0,
): Float32Array {
  const order = side === 'left' ? rows : cols;
  const inner = side === 'left' ? cols : rows;
  const at = (i: number, k: number) => (side === 'left' ? g[offset + i * rowStride + k] : g[offset + k * rowStride + i]);
  const out = new Float32Array(order * order);
  for (let i = 0; i < order; i++) {
    for (let j = 0; j < order; j++) {
      let sum = 0;
      for (let k = 0; k < inner; k++) sum += at(i, k) * at(j, k);
      out[i * order + j] = beta * factor[i * order + j] + (1 - beta) * sum;
    }
  }
  return out;
}

/** value·I as f32. */
export function scaledIdentityRef(n: number, value: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = value;
  return out;
}
