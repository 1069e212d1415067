/**
 * CPU reference of norm grafting, with the same argument order as `makeGraft`:
 *   direction[offset + i] *= √results[gradientIndex] / (√results[directionIndex] + GRAFT_EPSILON)
 * The scale is computed in f64 from the f32 sums of squares, and each product is rounded to f32.
 */
import { GRAFT_EPSILON } from './graft';

/** Scales direction[offset .. offset + n − 1] in place. */
export function graftRef(
  direction: Float32Array,
  n: number,
  results: Float32Array,
  gradientIndex: number,
  directionIndex: number,
  offset = 0,
): void {
  if (direction.length < offset + n) throw new Error(`graftRef: direction has ${direction.length} elements, fewer than offset + n = ${offset + n}`);
  const scale = Math.sqrt(results[gradientIndex]) / (Math.sqrt(results[directionIndex]) + Math.fround(GRAFT_EPSILON));
  for (let i = offset; i < offset + n; i++) direction[i] = direction[i] * scale;
}
