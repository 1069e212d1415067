/**
 * CPU reference of AdamW, with the same argument order as `makeAdamw`. With t = hyper.step:
 *   p = p · (1 − η·wd) (when applyDecay)
 *   m = β1·m + (1 − β1)·d,  v = β2·v + (1 − β2)·d²
 *   p = p − η · m̂ / (√v̂ + eps),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
 * Each element is computed in f64 from the f32 inputs and the f32-rounded hyperparameters, and the
 * new p, m and v are rounded to f32 once when stored, so one call matches one GPU step.
 */
import { adamwBiasCorrections, type AdamwHyperparameters } from './adamw';

/** Applies one step to p, m and v in place over n elements. */
export function adamwRef(
  p: Float32Array,
  d: Float32Array,
  m: Float32Array,
  v: Float32Array,
  n: number,
  hyper: AdamwHyperparameters,
  applyDecay = true,
): void {
  for (const [name, array] of [['p', p], ['d', d], ['m', m], ['v', v]] as const) {
    if (array.length < n) throw new Error(`adamwRef: ${name} has ${array.length} elements, fewer than n = ${n}`);
  }
  const learningRate = Math.fround(hyper.learningRate);
  const beta1 = Math.fround(hyper.beta1);
  const beta2 = Math.fround(hyper.beta2);
  const eps = Math.fround(hyper.eps);
  const keep = applyDecay ? 1 - learningRate * Math.fround(hyper.weightDecay) : 1;
  const [correction1, correction2] = adamwBiasCorrections(hyper).map(Math.fround);

  for (let i = 0; i < n; i++) {
    const first = beta1 * m[i] + (1 - beta1) * d[i];
    const second = beta2 * v[i] + (1 - beta2) * d[i] * d[i];
    m[i] = first;
    v[i] = second;
    const firstHat = first / correction1;
    const secondHat = second / correction2;
    p[i] = p[i] * keep - (learningRate * firstHat) / (Math.sqrt(secondHat) + eps);
  }
}
