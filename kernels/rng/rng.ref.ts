/**
 * CPU reference of the counter-based Gaussian generator. It is the specification the WGSL in
 * rng.wgsl follows bit for bit.
 *
 * gaussian(seed, stream, index):
 *   1. bits = word 0 of Philox4x32-10(counter = [index, stream, 0, 0], key = [seed, 0]).
 *   2. The top bit is the sign; the other 31 bits t give the tail probability p = (t + 0.5) / 2^32.
 *   3. |x| = Q⁻¹(p) read from a fixed-point table with integer linear interpolation
 *      (see gaussian-table.ts), so every step is integer arithmetic.
 *   4. x = ±|x|_int · 2^-21, an exact conversion to f32.
 *
 * Distribution: symmetric (mean exactly 0), values on the grid 2^-21, truncated at
 * ±Q⁻¹(2^-33) ≈ ±6.338. Enumerating all 2^31 magnitudes gives variance 1 + 1.7e-6, and the
 * magnitude differs from the exact quantile by at most 3.4e-6 (tests/kernels/rng.test.ts checks
 * both, with bounds 1e-5 and 4e-6).
 */
import {
  GAUSSIAN_DIRECT_ENTRIES,
  GAUSSIAN_SCALE,
  GAUSSIAN_SEGMENT_BITS,
  GAUSSIAN_SEGMENTS,
  GAUSSIAN_WEIGHT_BITS,
  PHILOX_M0,
  PHILOX_M1,
  PHILOX_ROUNDS,
  PHILOX_W0,
  PHILOX_W1,
} from './constants';
import { gaussianTable } from './gaussian-table';

export type Philox4 = [number, number, number, number];

/** Returns [high, low] 32-bit words of the 64-bit product a·b, built from 16-bit halves as the WGSL does. */
function mulHiLo(a: number, b: number): [number, number] {
  const aLow = a & 0xffff;
  const aHigh = a >>> 16;
  const bLow = b & 0xffff;
  const bHigh = b >>> 16;
  const lowLow = aLow * bLow;
  const lowHigh = aLow * bHigh;
  const highLow = aHigh * bLow;
  const highHigh = aHigh * bHigh;
  const middle = (lowLow >>> 16) + (lowHigh & 0xffff) + (highLow & 0xffff);
  const high = (highHigh + (lowHigh >>> 16) + (highLow >>> 16) + (middle >>> 16)) >>> 0;
  return [high, Math.imul(a, b) >>> 0];
}

/** Philox4x32-10 (Salmon et al. 2011, Random123): four u32 words out for a four-word counter and a two-word key. */
export function philox4x32(counter: Philox4, key: [number, number]): Philox4 {
  let [x0, x1, x2, x3] = counter.map((word) => word >>> 0);
  let k0 = key[0] >>> 0;
  let k1 = key[1] >>> 0;
  for (let r = 0; r < PHILOX_ROUNDS; r++) {
    if (r > 0) {
      k0 = (k0 + PHILOX_W0) >>> 0;
      k1 = (k1 + PHILOX_W1) >>> 0;
    }
    const [high0, low0] = mulHiLo(PHILOX_M0, x0);
    const [high1, low1] = mulHiLo(PHILOX_M1, x2);
    [x0, x1, x2, x3] = [(high1 ^ x1 ^ k0) >>> 0, low1, (high0 ^ x3 ^ k1) >>> 0, low0];
  }
  return [x0, x1, x2, x3];
}

/** Returns the fixed-point magnitude round(2^21 · |x|) for the 31-bit field t. */
export function gaussianMagnitude(t: number): number {
  const table = gaussianTable();
  if (t < GAUSSIAN_DIRECT_ENTRIES) return table[t];

  const octave = 31 - Math.clz32(t);
  const shift = octave - GAUSSIAN_SEGMENT_BITS;
  const knot = ((octave - GAUSSIAN_SEGMENT_BITS + 1) << GAUSSIAN_SEGMENT_BITS) + ((t >>> shift) - GAUSSIAN_SEGMENTS);
  const left = table[knot];
  const right = table[knot + 1];
  const drop = Math.max(shift, GAUSSIAN_WEIGHT_BITS) - GAUSSIAN_WEIGHT_BITS;
  const weightBits = shift - drop;
  const weight = (t & ((1 << shift) - 1)) >>> drop;
  const step = ((left - right) * weight + (1 << (weightBits - 1))) >>> weightBits;
  return left - step;
}

/** Maps one u32 of Philox output to a standard normal sample (exactly representable in f32). */
export function gaussianFromBits(bits: number): number {
  const magnitude = gaussianMagnitude(bits & 0x7fffffff);
  const signed = (bits >>> 31 ? -magnitude : magnitude) | 0;
  return signed * GAUSSIAN_SCALE;
}

/** Standard normal sample number `index` of stream `stream` under step seed `seed` (all u32). */
export function gaussianRef(seed: number, stream: number, index: number): number {
  const [bits] = philox4x32([index, stream, 0, 0], [seed, 0]);
  return gaussianFromBits(bits);
}

/** Samples 0..n−1 of (seed, stream) as f32, as `makeGaussianFill` writes them. */
export function fillGaussianRef(seed: number, stream: number, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = gaussianRef(seed, stream, i);
  return out;
}
