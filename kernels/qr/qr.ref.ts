/**
 * CPU reference of the thin QR: Householder reflections in f64, then the sign of each column of Q
 * is chosen so that diag(R) > 0. With that convention the thin Q of a full-rank matrix is unique,
 * so it must agree with the GPU's modified Gram–Schmidt.
 *
 * a: [M, R] row-major f32, M ≥ R. Returns Q: [M, R] row-major f32 with orthonormal columns.
 */
export function qrRef(a: Float32Array, m: number, r: number): Float32Array {
  if (!(r >= 1 && m >= r)) throw new Error(`qrRef: expected 1 ≤ r ≤ m, got m = ${m}, r = ${r}`);
  if (a.length < m * r) throw new Error(`qrRef: a has ${a.length} elements, expected at least m·r = ${m * r}`);
  const work = Float64Array.from(a.subarray(0, m * r));
  const reflectors: Float64Array[] = [];
  const diagonal = new Float64Array(r);

  // 1. Reduce column k below the diagonal with H_k = I − 2 v vᵀ (v unit, acting on rows k..m−1).
  for (let k = 0; k < r; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += work[i * r + k] ** 2;
    norm = Math.sqrt(norm);
    const alpha = work[k * r + k] > 0 ? -norm : norm;
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = work[i * r + k];
    v[0] -= alpha;
    const vNorm = Math.hypot(...v);
    if (vNorm > 0) for (let i = 0; i < v.length; i++) v[i] /= vNorm;
    reflectors.push(v);
    applyReflector(work, v, k, m, r);
    diagonal[k] = work[k * r + k];
  }

  // 2. Q = H_0 H_1 … H_(r−1) applied to the first r columns of the identity.
  const q = new Float64Array(m * r);
  for (let k = 0; k < r; k++) q[k * r + k] = 1;
  for (let k = r - 1; k >= 0; k--) applyReflector(q, reflectors[k], k, m, r);

  // 3. Flip columns whose R diagonal is negative.
  const out = new Float32Array(m * r);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < r; k++) out[i * r + k] = diagonal[k] < 0 ? -q[i * r + k] : q[i * r + k];
  }
  return out;
}

/** Applies I − 2 v vᵀ to rows k..m−1 of the [M, R] matrix x, in place. */
function applyReflector(x: Float64Array, v: Float64Array, k: number, m: number, r: number): void {
  for (let j = 0; j < r; j++) {
    let dot = 0;
    for (let i = k; i < m; i++) dot += v[i - k] * x[i * r + j];
    for (let i = k; i < m; i++) x[i * r + j] -= 2 * dot * v[i - k];
  }
}
