/**
 * CPU reference of SGD with momentum, with the same argument order as `makeSgd`:
 *   d' = d + wd·p (when applyDecay), m = μ·m + d', p = p − η·m
 * Each element is computed in f64 from the f32 inputs and the f32-rounded hyperparameters, and the
 * new p and m are rounded to f32 once when stored, so one call matches one GPU step.
 */
import type { SgdHyperparameters } from './sgd';

/** Applies one step to p and m in place over n elements. */
export function sgdRef(
  p: Float32Array,
  d: Float32Array,
  m: Float32Array,
  n: number,
  hyper: SgdHyperparameters,
  applyDecay = true,
): void {
  for (const [name, array] of [['p', p], ['d', d], ['m', m]] as const) {
    if (array.length < n) throw new Error(`sgdRef: ${name} has ${array.length} elements, fewer than n = ${n}`);
  }
  const learningRate = Math.fround(hyper.learningRate);
  const momentum = Math.fround(hyper.momentum);
  const weightDecay = applyDecay ? Math.fround(hyper.weightDecay) : 0;
  for (let i = 0; i < n; i++) {
    const direction = d[i] + weightDecay * p[i];
    const velocity = momentum * m[i] + direction;
    m[i] = velocity;
    p[i] = p[i] - learningRate * velocity;
  }
}
