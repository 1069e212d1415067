/**
 * CPU reference of the inverse 4th root by the coupled Newton iteration, in f64, step for step
 * as the GPU runs it (see inverse-root.ts for the method and its scaling):
 *   Ã = A + ε·max(λ, 0)·I, λ from powerIterationRef;  z = (p + 1) / (2‖Ã‖∞);
 *   X₀ = z^(1/p)·I, M₀ = z·Ã;  repeat T = ((p + 1)I − M)/p, X ← X·T, M ← T^p·M
 * while max|M − I| ≥ tolerance and fewer than maxIterations were accepted; an iterate whose
 * error is not below growthLimit times the previous error is discarded and the iteration stops.
 */
import { NEWTON_GROWTH_LIMIT, NEWTON_MAX_ITERATIONS, NEWTON_TOLERANCE, ROOT_EPSILON, ROOT_ORDER } from './constants';
import { powerIterationRef } from './power-iteration.ref';
import { ROOT_FLAGS } from './root-status';

export interface InverseRootOptions {
  epsilon?: number;
  maxIterations?: number;
  tolerance?: number;
}

export interface InverseRootRefResult {
  /** n×n row-major root, or null when the inputs made the GPU keep its previous root. */
  root: Float64Array | null;
  iterations: number;
  /** max|M − I| of the accepted iterate. */
  error: number;
  /** ROOT_FLAGS bits, as the GPU sets them. */
  flags: number;
  lambdaMax: number;
  /** z = c^p. */
  scale: number;
}

/** Returns the max-abs row sum ‖Ã‖∞ of Ã = A + ridge·I. */
export function shiftedInfinityNorm(a: ArrayLike<number>, n: number, ridge: number): number {
  let norm = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += Math.abs(i === j ? a[i * n + j] + ridge : a[i * n + j]);
    norm = Math.max(norm, sum);
  }
  return norm;
}

export function inverseRootRef(a: ArrayLike<number>, n: number, options: InverseRootOptions = {}): InverseRootRefResult {
  const epsilon = options.epsilon ?? ROOT_EPSILON;
  const maxIterations = options.maxIterations ?? NEWTON_MAX_ITERATIONS;
  const tolerance = options.tolerance ?? NEWTON_TOLERANCE;
  const p = ROOT_ORDER;

  let finite = true;
  for (let i = 0; i < n * n; i++) if (!Number.isFinite(a[i])) finite = false;
  const lambdaMax = powerIterationRef(a, n);
  const failed = (flags: number): InverseRootRefResult => ({ root: null, iterations: 0, error: 0, flags, lambdaMax, scale: 0 });
  if (!finite || !Number.isFinite(lambdaMax)) return failed(ROOT_FLAGS.NONFINITE_INPUT);

  const ridge = epsilon * Math.max(lambdaMax, 0);
  const norm = shiftedInfinityNorm(a, n, ridge);
  if (!(norm > 0) || !Number.isFinite(norm)) return failed(ROOT_FLAGS.INVALID_SCALE);
  const scale = (p + 1) / (2 * norm);

  let x: Float64Array = new Float64Array(n * n);
  let m: Float64Array = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    x[i * n + i] = scale ** (1 / p);
    for (let j = 0; j < n; j++) m[i * n + j] = scale * (a[i * n + j] + (i === j ? ridge : 0));
  }
  let error = distanceFromIdentity(m, n);
  let iterations = 0;
  let flags = 0;
  while (error >= tolerance && iterations < maxIterations) {
    const t = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) t[i] = -m[i] / p;
    for (let i = 0; i < n; i++) t[i * n + i] += (p + 1) / p;
    const nextX = multiply(x, t, n);
    const t2 = multiply(t, t, n);
    const nextM = multiply(multiply(t2, t2, n), m, n);
    const nextError = distanceFromIdentity(nextM, n);
    if (!(nextError < NEWTON_GROWTH_LIMIT * error)) {
      flags |= ROOT_FLAGS.ERROR_GREW;
      break;
    }
    x = nextX;
    m = nextM;
    error = nextError;
    iterations++;
  }

  for (let i = 0; i < n * n; i++) if (!Number.isFinite(x[i])) return { ...failed(flags | ROOT_FLAGS.NONFINITE_RESULT), iterations, error, scale };
  if (error >= tolerance) flags |= ROOT_FLAGS.NOT_CONVERGED;
  return { root: x, iterations, error, flags, lambdaMax, scale };
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

function distanceFromIdentity(m: Float64Array, n: number): number {
  let max = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const value = Math.abs(m[i * n + j] - (i === j ? 1 : 0));
      if (!(value <= max)) max = value;
    }
  }
  return max;
}
