/**
 * CPU reference of the power iteration in f64, from the same start vector as the GPU: returns the
 * Rayleigh quotient (v·Av)/(v·v) of the last iterate, after `iterations` products with A.
 */
import { hash32, hashToUnit } from './common';
import { POWER_ITERATIONS, POWER_START_SEED } from './constants';

/** Returns the fixed start vector: entry i is hashToUnit(hash32(i + POWER_START_SEED)). */
export function powerStartVector(n: number): Float64Array {
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = hashToUnit(hash32(i + POWER_START_SEED));
  return v;
}

export function powerIterationRef(a: ArrayLike<number>, n: number, iterations = POWER_ITERATIONS): number {
  let v: Float64Array = powerStartVector(n);
  let lambda = NaN;
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let j = 0; j < n; j++) sum += a[i * n + j] * v[j];
      w[i] = sum;
    }
    let vw = 0;
    let vv = 0;
    let ww = 0;
    for (let i = 0; i < n; i++) {
      vw += v[i] * w[i];
      vv += v[i] * v[i];
      ww += w[i] * w[i];
    }
    lambda = vw / vv;
    const norm = Math.sqrt(ww);
    if (norm > 0) v = w.map((value) => value / norm);
  }
  return lambda;
}
