/** CPU reference of the Björck rectification in f64: `steps` times V ← 1.5·V − 0.5·V·Vᵀ·V (n×n row-major). */
export function bjorckRef(v: ArrayLike<number>, n: number, steps: number): Float64Array {
  let current = Float64Array.from(v);
  for (let step = 0; step < steps; step++) {
    const gram = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += current[i * n + k] * current[j * n + k];
        gram[i * n + j] = sum;
      }
    }
    const next = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let k = 0; k < n; k++) sum += gram[i * n + k] * current[k * n + j];
        next[i * n + j] = 1.5 * current[i * n + j] - 0.5 * sum;
      }
    }
    current = next;
  }
  return current;
}
