/**
 * CPU reference of the softmax cross-entropy over logits [B, K] with labels [B], in f64.
 * For each row: loss = logsumexp(logits) − logits[label], dlogits = (softmax(logits) − onehot(label)) / B
 * (the gradient of the mean loss over the B rows), and correct = 1 when the first index of the
 * largest logit equals the label. A label >= K gives a NaN loss, a NaN dlogits row and correct = 0.
 */

export interface SoftmaxCrossEntropyResult {
  /** [B] per-sample losses. */
  losses: Float64Array;
  /** [B, K] gradient of the mean loss with respect to the logits. */
  dlogits: Float64Array;
  /** [B] 1 where the prediction matches the label, 0 elsewhere. */
  correct: Uint32Array;
}

export function softmaxCrossEntropyRef(logits: ArrayLike<number>, labels: ArrayLike<number>, B: number, K: number): SoftmaxCrossEntropyResult {
  if (logits.length < B * K) throw new Error(`softmaxCrossEntropyRef: logits has ${logits.length} elements, expected B*K = ${B}*${K} = ${B * K}`);
  if (labels.length < B) throw new Error(`softmaxCrossEntropyRef: labels has ${labels.length} elements, expected B = ${B}`);

  const losses = new Float64Array(B);
  const dlogits = new Float64Array(B * K);
  const correct = new Uint32Array(B);
  for (let row = 0; row < B; row++) {
    const offset = row * K;
    const label = labels[row];
    if (label >= K) {
      losses[row] = NaN;
      dlogits.fill(NaN, offset, offset + K);
      continue;
    }

    let max = logits[offset];
    let argmax = 0;
    for (let j = 1; j < K; j++) {
      if (logits[offset + j] > max) {
        max = logits[offset + j];
        argmax = j;
      }
    }
    // Subtracting the max keeps every exp in (0, 1], so nothing overflows.
    let sum = 0;
    for (let j = 0; j < K; j++) sum += Math.exp(logits[offset + j] - max);

    losses[row] = max - logits[offset + label] + Math.log(sum);
    for (let j = 0; j < K; j++) {
      const p = Math.exp(logits[offset + j] - max) / sum;
      dlogits[offset + j] = (p - (j === label ? 1 : 0)) / B;
    }
    correct[row] = argmax === label ? 1 : 0;
  }
  return { losses, dlogits, correct };
}
