/**
 * The inverse-CDF table of the Gaussian generator, computed in f64 and stored as fixed-point
 * u32 magnitudes. Entry e is round(2^21 · Q⁻¹((t_e + 0.5) / 2^32)), where Q(x) = P(Z > x) is the
 * standard normal upper tail and t_e is the knot of entry e (see `knotOf`).
 */
import {
  GAUSSIAN_DIRECT_ENTRIES,
  GAUSSIAN_FRACTION_BITS,
  GAUSSIAN_SEGMENT_BITS,
  GAUSSIAN_SEGMENTS,
  GAUSSIAN_TABLE_ENTRIES,
  GAUSSIAN_WEIGHT_BITS,
} from './constants';

let table: Uint32Array | null = null;

/** Returns the table (built on first use, then shared). Callers must not modify it. */
export function gaussianTable(): Uint32Array {
  table ??= buildTable();
  return table;
}

/** Returns the value of t (31-bit magnitude field) that table entry `entry` sits at. */
export function knotOf(entry: number): number {
  if (entry < GAUSSIAN_DIRECT_ENTRIES) return entry;
  const octave = GAUSSIAN_SEGMENT_BITS - 1 + Math.floor(entry / GAUSSIAN_SEGMENTS);
  const segment = entry % GAUSSIAN_SEGMENTS;
  return 2 ** octave + segment * 2 ** (octave - GAUSSIAN_SEGMENT_BITS);
}

/** Standard normal upper tail Q(x) = P(Z > x) for x ≥ 0, to about 1e-13 relative error. */
export function upperTail(x: number): number {
  const density = Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
  if (x < 3) {
    // erf(z) = (2/√π) e^(−z²) Σ_n 2^n z^(2n+1) / (1·3·…·(2n+1)): all terms positive, no cancellation.
    const z = x / Math.SQRT2;
    let term = z;
    let sum = z;
    for (let n = 1; term > sum * 1e-17; n++) {
      term *= (2 * z * z) / (2 * n + 1);
      sum += term;
    }
    const erf = (2 / Math.sqrt(Math.PI)) * Math.exp(-z * z) * sum;
    return 0.5 - 0.5 * erf;
  }

  // Continued fraction Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + …)))), evaluated from the tail.
  let fraction = x;
  for (let k = 300; k >= 1; k--) fraction = x + k / fraction;
  return density / fraction;
}

/** Inverts `upperTail` for p in (0, 0.5] by bisection to f64 resolution. p ≥ 0.5 gives 0. */
export function inverseUpperTail(p: number): number {
  if (!(p > 0)) throw new Error(`inverseUpperTail: p must be positive, got ${p}`);
  let low = 0;
  let high = 40;
  for (let i = 0; i < 200 && high - low > 0; i++) {
    const middle = 0.5 * (low + high);
    if (middle === low || middle === high) break;
    if (upperTail(middle) > p) low = middle;
    else high = middle;
  }
  return 0.5 * (low + high);
}

function buildTable(): Uint32Array {
  const values = new Uint32Array(GAUSSIAN_TABLE_ENTRIES);
  for (let entry = 0; entry < GAUSSIAN_TABLE_ENTRIES; entry++) {
    const p = (knotOf(entry) + 0.5) / 2 ** 32;
    values[entry] = Math.round(inverseUpperTail(p) * 2 ** GAUSSIAN_FRACTION_BITS);
  }

  // The interpolation computes (left − right) · weight + 2^15 in a u32; check that it cannot overflow.
  for (let entry = GAUSSIAN_DIRECT_ENTRIES; entry < GAUSSIAN_TABLE_ENTRIES - 1; entry++) {
    const width = knotOf(entry + 1) - knotOf(entry);
    const maxWeight = Math.min(width, 2 ** GAUSSIAN_WEIGHT_BITS);
    const drop = values[entry] - values[entry + 1];
    if (drop < 0 || drop * maxWeight + 2 ** (GAUSSIAN_WEIGHT_BITS - 1) >= 2 ** 32) {
      throw new Error(`Gaussian table entry ${entry}: step ${drop} over width ${width} overflows the u32 interpolation`);
    }
  }
  return values;
}
