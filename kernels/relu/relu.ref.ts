/**
 * CPU references of ReLU, element-wise in f64. relu(x) = 0 for x < 0 and x otherwise, so a NaN
 * input stays NaN and −0 stays −0, as in the shader.
 */

export function reluRef(x: ArrayLike<number>, n: number): Float64Array {
  if (x.length < n) throw new Error(`reluRef: x has ${x.length} elements, expected n = ${n}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = x[i] < 0 ? 0 : x[i];
  return out;
}

/**
 * Returns dx = dy where x > 0 and 0 elsewhere (also at x = 0 and for NaN x). `x` may be the forward
 * input or its output, because relu(x) > 0 exactly where x > 0.
 */
export function reluBackwardRef(x: ArrayLike<number>, dy: ArrayLike<number>, n: number): Float64Array {
  if (x.length < n || dy.length < n) throw new Error(`reluBackwardRef: x has ${x.length} and dy ${dy.length} elements, expected n = ${n}`);
  const dx = new Float64Array(n);
  for (let i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
  return dx;
}
