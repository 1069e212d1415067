/**
 * CPU reference of the per-row cross-entropy: losses[i] = mask[i] · (logsumexp(logits[i, :]) -
 * logits[i, targets[i]]), in f64. A row with mask 0 gives exactly 0. A target >= V reads no logit
 * and gives 0 whatever the mask, matching the GPU kernel.
 */
export function crossEntropyRef(
  logits: Float32Array, // N×V
  targets: Uint32Array, // N
  mask: Float32Array, // N, 0 or 1
  N: number,
  V: number,
): Float32Array {
  if (logits.length < N * V) throw new Error(`crossEntropyRef: logits has ${logits.length} elements, expected N*V = ${N}*${V} = ${N * V}`);
  if (targets.length < N || mask.length < N) {
    throw new Error(`crossEntropyRef: targets has ${targets.length} and mask ${mask.length} elements, expected N = ${N}`);
  }

  const losses = new Float32Array(N);
  for (let row = 0; row < N; row++) {
    const target = targets[row];
    if (mask[row] === 0 || target >= V) continue;
    const offset = row * V;

    // Subtracting the max keeps every exp in (0, 1], so nothing overflows.
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v] - max);

    losses[row] = mask[row] * (max - logits[offset + target] + Math.log(sum));
  }
  return losses;
}

/** CPU reference of the masked mean: Σ values / max(Σ mask, 1), in f64. */
export function maskedMeanRef(values: Float32Array, mask: Float32Array, N: number): number {
  if (values.length < N || mask.length < N) {
    throw new Error(`maskedMeanRef: values has ${values.length} and mask ${mask.length} elements, expected N = ${N}`);
  }
  let valueSum = 0;
  let maskSum = 0;
  for (let i = 0; i < N; i++) {
    valueSum += values[i];
    maskSum += mask[i];
  }
  return valueSum / Math.max(maskSum, 1);
}
