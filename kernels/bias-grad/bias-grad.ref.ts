/** CPU reference of the bias gradient: the column sums of dy [N, M], in f64. */
export function biasGradRef(dy: ArrayLike<number>, N: number, M: number): Float64Array {
  if (dy.length < N * M) throw new Error(`biasGradRef: dy has ${dy.length} elements, expected N*M = ${N}*${M} = ${N * M}`);
  const out = new Float64Array(M);
  for (let row = 0; row < N; row++) {
    for (let col = 0; col < M; col++) out[col] += dy[row * M + col];
  }
  return out;
}
