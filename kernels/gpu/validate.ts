/** Host-side argument checks shared by the kernels; messages name the op, the argument and its value. */

/** Throws unless every entry of `dims` is a positive integer. */
export function requirePositiveDims(label: string, op: string, dims: Record<string, number>): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: ${op} ${name} must be a positive integer, got ${value}`);
  }
}

/** Throws unless `buffer` has room for `count` 4-byte elements. `formula` shows how count was derived. */
export function requireElements(label: string, op: string, name: string, buffer: GPUBuffer, count: number, formula: string): void {
  if (buffer.size < count * 4) {
    throw new Error(`${label}: ${op} ${name} is too small: ${buffer.size} bytes, expected at least ${count * 4} (${formula} elements)`);
  }
}
