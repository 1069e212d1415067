/**
 * CPU reference of LayerNorm over the last dimension, as PyTorch computes it (biased variance):
 * out[n, c] = (x[n, c] - mean_n) / sqrt(var_n + eps) * gamma[c] + beta[c], with f64 statistics.
 */
export function layerNormRef(
  x: Float32Array, // N×C
  gamma: Float32Array, // C
  beta: Float32Array, // C
  N: number,
  C: number,
  eps = 1e-5,
): Float32Array {
  if (x.length < N * C) throw new Error(`layerNormRef: x has ${x.length} elements, expected N*C = ${N}*${C} = ${N * C}`);
  if (gamma.length < C || beta.length < C) {
    throw new Error(`layerNormRef: gamma has ${gamma.length} and beta ${beta.length} elements, expected C = ${C}`);
  }

  const out = new Float32Array(N * C);
  for (let row = 0; row < N; row++) {
    const offset = row * C;

    let sum = 0;
    for (let c = 0; c < C; c++) sum += x[offset + c];
    const mean = sum / C;

    let squares = 0;
    for (let c = 0; c < C; c++) squares += (x[offset + c] - mean) ** 2;
    const rstd = 1 / Math.sqrt(squares / C + eps);

    for (let c = 0; c < C; c++) out[offset + c] = (x[offset + c] - mean) * rstd * gamma[c] + beta[c];
  }
  return out;
}
