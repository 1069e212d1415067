/** sqrt(2 / pi), the scale inside GPT-2's tanh approximation of GELU. */
export const GELU_SCALE = Math.sqrt(2 / Math.PI);
export const GELU_CUBIC = 0.044715;

/** CPU reference of GELU, tanh form: out[i] = 0.5·x·(1 + tanh(sqrt(2/pi)·(x + 0.044715·x³))), in f64. */
export function geluRef(x: Float32Array, n = x.length): Float32Array {
  if (x.length < n) throw new Error(`geluRef: x has ${x.length} elements, expected n = ${n}`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const value = x[i];
    out[i] = 0.5 * value * (1 + Math.tanh(GELU_SCALE * (value + GELU_CUBIC * value ** 3)));
  }
  return out;
}
