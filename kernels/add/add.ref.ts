/** CPU reference of the residual add: out[i] = a[i] + b[i]. */
export function addRef(a: Float32Array, b: Float32Array): Float32Array {
  if (a.length !== b.length) throw new Error(`addRef: length mismatch, a has ${a.length} and b has ${b.length}`);
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] + b[i];
  return out;
}
