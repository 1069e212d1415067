/**
 * CPU symmetric eigendecomposition and inverse p-th root in f64, for references, tests and the
 * quantization-error analysis. Not used in the training step, which runs on the GPU.
 *
 * Method: Householder reduction to tridiagonal form, then implicit symmetric QR steps with the
 * Wilkinson shift, with the orthogonal transformations accumulated. Both phases cost O(n³); an
 * order-300 matrix takes well under a second in Node.
 *
 * Layouts: matrices are n×n row-major. Eigenvectors are returned as the rows of `vectors`
 * (`vectors` is Uᵀ for A = U diag(values) Uᵀ), the layout in which 4-bit Shampoo stores them.
 */

export interface SymmetricEigen {
  n: number;
  /** [n] eigenvalues in ascending order. */
  values: Float64Array;
  /** [n, n] row-major: row i is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/** Implicit QR steps allowed per eigenvalue before the iteration is declared stuck. */
const MAX_STEPS_PER_EIGENVALUE = 30;

/**
 * Computes A = U diag(values) Uᵀ for a symmetric n×n matrix. Only the lower triangle of `a` is read,
 * so a slightly asymmetric input is treated as its lower triangle mirrored. Throws on a
 * non-finite entry or when the QR iteration does not converge.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  if (!Number.isInteger(n) || n < 1) throw new Error(`symmetricEigen: n must be a positive integer, got ${n}`);
  if (a.length < n * n) throw new Error(`symmetricEigen: a has ${a.length} elements, expected at least n·n = ${n * n}`);
  const work = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      const value = a[i * n + j];
      if (!Number.isFinite(value)) throw new Error(`symmetricEigen: a[${i}, ${j}] is not finite (${value})`);
      work[i * n + j] = value;
      work[j * n + i] = value;
    }
  }

  const diagonal = new Float64Array(n);
  const offDiagonal = new Float64Array(Math.max(n - 1, 0));
  const basis = tridiagonalize(work, n, diagonal, offDiagonal);
  tridiagonalQr(diagonal, offDiagonal, basis, n);
  return sortAscending(diagonal, basis, n);
}

/**
 * Reduces `work` (overwritten) to tridiagonal T = Qᵀ A Q by Householder reflections and returns Qᵀ
 * ([n, n] row-major, row j = column j of Q). diagonal[i] = T[i, i], offDiagonal[i] = T[i + 1, i].
 */
function tridiagonalize(work: Float64Array, n: number, diagonal: Float64Array, offDiagonal: Float64Array): Float64Array {
  const reflectors: { start: number; v: Float64Array; beta: number }[] = [];
  const p = new Float64Array(n);

  for (let k = 0; k + 2 < n; k++) {
    // 1. Reflector H = I − β v vᵀ on indices k+1..n−1 with H x = α e₁, x = A[k+1.., k].
    const start = k + 1;
    const size = n - start;
    let sigma = 0;
    for (let i = 0; i < size; i++) sigma += work[(start + i) * n + k] ** 2;
    sigma = Math.sqrt(sigma);
    const x0 = work[start * n + k];
    if (isZeroBelowFirst(work, n, k, start)) {
      offDiagonal[k] = x0;
      continue;
    }
    const alpha = x0 > 0 ? -sigma : sigma;
    const v = new Float64Array(size);
    for (let i = 0; i < size; i++) v[i] = work[(start + i) * n + k];
    v[0] -= alpha;
    const beta = 1 / (sigma * (sigma + Math.abs(x0)));
    offDiagonal[k] = alpha;

    // 2. Trailing block B ← H B H = B − v wᵀ − w vᵀ with p = β B v, w = p − (β vᵀp / 2) v.
    let vp = 0;
    for (let i = 0; i < size; i++) {
      const row = (start + i) * n + start;
      let sum = 0;
      for (let j = 0; j < size; j++) sum += work[row + j] * v[j];
      p[i] = beta * sum;
      vp += v[i] * p[i];
    }
    const half = (beta * vp) / 2;
    for (let i = 0; i < size; i++) p[i] -= half * v[i];
    for (let i = 0; i < size; i++) {
      const row = (start + i) * n + start;
      const vi = v[i];
      const wi = p[i];
      for (let j = 0; j < size; j++) work[row + j] -= vi * p[j] + wi * v[j];
    }
    reflectors.push({ start, v, beta });
  }
  for (let i = 0; i < n; i++) diagonal[i] = work[i * n + i];
  if (n >= 2) offDiagonal[n - 2] = work[(n - 1) * n + (n - 2)];

  // 3. Qᵀ = H_last ⋯ H_0: apply the reflectors in order, from the left, to the identity.
  const basis = new Float64Array(n * n);
  for (let i = 0; i < n; i++) basis[i * n + i] = 1;
  const w = new Float64Array(n);
  for (const { start, v, beta } of reflectors) {
    w.fill(0);
    for (let i = 0; i < v.length; i++) {
      const row = (start + i) * n;
      const vi = v[i];
      for (let j = 0; j < n; j++) w[j] += vi * basis[row + j];
    }
    for (let i = 0; i < v.length; i++) {
      const row = (start + i) * n;
      const scale = beta * v[i];
      for (let j = 0; j < n; j++) basis[row + j] -= scale * w[j];
    }
  }
  return basis;
}

/** True when A[start+1.., k] is all zero, so x is already a multiple of e₁ and needs no reflector. */
function isZeroBelowFirst(work: Float64Array, n: number, k: number, start: number): boolean {
  for (let i = start + 1; i < n; i++) if (work[i * n + k] !== 0) return false;
  return true;
}

/**
 * Diagonalizes the tridiagonal (diagonal, offDiagonal) in place by implicit shifted QR, rotating the
 * rows of `basis` (Qᵀ) along, so that on return row i of `basis` is the eigenvector of diagonal[i].
 */
function tridiagonalQr(diagonal: Float64Array, offDiagonal: Float64Array, basis: Float64Array, n: number): void {
  const eps = Number.EPSILON;
  let steps = 0;
  const maxSteps = MAX_STEPS_PER_EIGENVALUE * n;
  let last = n - 1;

  while (last > 0) {
    // 1. Deflate: a negligible T[last, last−1] splits off the eigenvalue diagonal[last].
    if (Math.abs(offDiagonal[last - 1]) <= eps * (Math.abs(diagonal[last - 1]) + Math.abs(diagonal[last]))) {
      offDiagonal[last - 1] = 0;
      last--;
      continue;
    }

    // 2. The unreduced block first..last ends where an off-diagonal entry is negligible.
    let first = last - 1;
    while (first > 0 && Math.abs(offDiagonal[first - 1]) > eps * (Math.abs(diagonal[first - 1]) + Math.abs(diagonal[first]))) first--;
    if (first > 0) offDiagonal[first - 1] = 0;

    if (++steps > maxSteps) throw new Error(`symmetricEigen: the QR iteration did not converge in ${maxSteps} steps (n = ${n})`);
    qrStep(diagonal, offDiagonal, basis, n, first, last);
  }
}

/** Performs one implicit QR step with the Wilkinson shift on rows first..last, chasing the bulge down. */
function qrStep(diagonal: Float64Array, offDiagonal: Float64Array, basis: Float64Array, n: number, first: number, last: number): void {
  // 1. Wilkinson shift: the eigenvalue of the trailing 2×2 block closer to T[last, last].
  const delta = (diagonal[last - 1] - diagonal[last]) / 2;
  const coupling = offDiagonal[last - 1];
  const denominator = delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, coupling);
  const shift = diagonal[last] - (coupling * coupling) / denominator;

  // 2. Rotations G_k in the (k, k+1) plane, T ← G T Gᵀ. The first zeroes the shifted first column,
  //    and each later one zeroes the bulge T[k+1, k−1] created by the previous rotation.
  let x = diagonal[first] - shift;
  let z = offDiagonal[first];
  for (let k = first; k < last; k++) {
    const r = Math.hypot(x, z);
    const c = r === 0 ? 1 : x / r;
    const s = r === 0 ? 0 : z / r;
    if (k > first) offDiagonal[k - 1] = r;

    const a = diagonal[k];
    const b = offDiagonal[k];
    const d = diagonal[k + 1];
    diagonal[k] = c * c * a + 2 * c * s * b + s * s * d;
    diagonal[k + 1] = s * s * a - 2 * c * s * b + c * c * d;
    offDiagonal[k] = c * s * (d - a) + (c * c - s * s) * b;
    if (k + 1 < last) {
      z = s * offDiagonal[k + 1];
      offDiagonal[k + 1] *= c;
      x = offDiagonal[k];
    }

    // 3. The eigenvector basis follows: rows k and k+1 of Qᵀ rotate by the same G.
    const rowK = k * n;
    const rowNext = (k + 1) * n;
    for (let j = 0; j < n; j++) {
      const u = basis[rowK + j];
      const v = basis[rowNext + j];
      basis[rowK + j] = c * u + s * v;
      basis[rowNext + j] = c * v - s * u;
    }
  }
}

function sortAscending(diagonal: Float64Array, basis: Float64Array, n: number): SymmetricEigen {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => diagonal[i] - diagonal[j]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((source, target) => {
    values[target] = diagonal[source];
    vectors.set(basis.subarray(source * n, source * n + n), target * n);
  });
  return { n, values, vectors };
}

/**
 * Rebuilds U diag(f(λ)) Uᵀ in f64 from eigenvectors stored as rows (`vectors` = Uᵀ, [n, n]) and
 * per-eigenvalue weights `weights[i]` = f(λᵢ). The rows need not be exactly orthonormal, which
 * is how a dequantized eigenvector matrix is used.
 */
export function fromEigen(vectors: ArrayLike<number>, weights: ArrayLike<number>, n: number): Float64Array {
  if (vectors.length < n * n) throw new Error(`fromEigen: vectors has ${vectors.length} elements, expected n·n = ${n * n}`);
  if (weights.length < n) throw new Error(`fromEigen: weights has ${weights.length} elements, expected n = ${n}`);
  const out = new Float64Array(n * n);
  const scaled = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const row = k * n;
    const weight = weights[k];
    for (let j = 0; j < n; j++) scaled[j] = weight * vectors[row + j];
    for (let i = 0; i < n; i++) {
      const factor = vectors[row + i];
      if (factor === 0) continue;
      const target = i * n;
      for (let j = 0; j < n; j++) out[target + j] += factor * scaled[j];
    }
  }
  return out;
}

/**
 * Returns the weights (max(λᵢ, 0) + ε·max(λ, 0))^(−1/p) used by the regularized inverse root.
 * Negative eigenvalues, which only rounding produces for a positive semidefinite input, are
 * clamped to 0 first. Throws when a weight would be infinite (ε = 0 and a zero eigenvalue).
 */
export function inverseRootWeights(values: ArrayLike<number>, p: number, epsilon = 0): Float64Array {
  if (!(p > 0)) throw new Error(`inverseRootWeights: p must be positive, got ${p}`);
  if (!(epsilon >= 0)) throw new Error(`inverseRootWeights: epsilon must be ≥ 0, got ${epsilon}`);
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, values[i]);
  const ridge = epsilon * largest;
  const weights = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const shifted = Math.max(values[i], 0) + ridge;
    if (!(shifted > 0)) {
      throw new Error(`inverseRootWeights: eigenvalue ${i} is ${values[i]} and the ridge ε·λmax is ${ridge}, so the root is infinite; use ε > 0`);
    }
    weights[i] = shifted ** (-1 / p);
  }
  return weights;
}

/**
 * Computes (A + ε·λmax·I)^(−1/p) in f64 for a symmetric positive semidefinite n×n matrix,
 * with λmax the largest eigenvalue and negative eigenvalues clamped to 0 (see inverseRootWeights).
 */
export function inverseRoot(a: ArrayLike<number>, n: number, p: number, epsilon = 0): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  return fromEigen(vectors, inverseRootWeights(values, p, epsilon), n);
}
