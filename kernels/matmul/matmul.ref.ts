/**
 * CPU reference of the matmul: out[M,N] = a[M,K] · b (+ bias[N]), row-major, accumulated in f64
 * and rounded once to f32. b is K×N (GPT-2 Conv1D layout) unless `transposeB`, then it is N×K
 * (a Linear weight or the tied wte used by the LM head) and enters the product transposed.
 * With `transposeA`, a is K×M and enters transposed (weight gradients dW = dYᵀ·X).
 */
export function matmulRef(
  a: Float32Array, // M×K, or K×M when transposeA
  b: Float32Array, // K×N, or N×K when transposeB
  bias: Float32Array | null | undefined, // N
  M: number,
  K: number,
  N: number,
  transposeB: boolean,
  transposeA = false,
): Float32Array {
  if (transposeA && transposeB) throw new Error('matmulRef: transposeA and transposeB cannot both be set');
  if (a.length < M * K) throw new Error(`matmulRef: a has ${a.length} elements, expected M*K = ${M}*${K} = ${M * K}`);
  if (b.length < K * N) throw new Error(`matmulRef: b has ${b.length} elements, expected K*N = ${K}*${N} = ${K * N}`);
  if (bias && bias.length < N) throw new Error(`matmulRef: bias has ${bias.length} elements, expected N = ${N}`);

  const out = new Float32Array(M * N);
  for (let row = 0; row < M; row++) {
    for (let col = 0; col < N; col++) {
      let sum = bias ? bias[col] : 0;
      for (let k = 0; k < K; k++) {
        const bValue = transposeB ? b[col * K + k] : b[k * N + col];
        const aValue = transposeA ? a[k * M + row] : a[row * K + k];
        sum += aValue * bValue;
      }
      out[row * N + col] = sum;
    }
  }
  return out;
}
