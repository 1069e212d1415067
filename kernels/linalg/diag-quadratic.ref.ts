/** CPU reference of diag(Pᵀ·A·P) in f64: s[v] = pᵥᵀ·A·pᵥ with pᵥ column v ('columns') or row v ('rows') of P. */
export function diagQuadraticRef(p: ArrayLike<number>, a: ArrayLike<number>, n: number, layout: 'columns' | 'rows'): Float64Array {
  const out = new Float64Array(n);
  const element = (v: number, t: number) => (layout === 'columns' ? p[t * n + v] : p[v * n + t]);
  for (let v = 0; v < n; v++) {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let j = 0; j < n; j++) row += a[i * n + j] * element(v, j);
      sum += element(v, i) * row;
    }
    out[v] = sum;
  }
  return out;
}
