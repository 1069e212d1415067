/**
 * Shared GPU set-up for kernel tests: one Dawn device per test file, and comparison helpers that
 * print the first mismatches and the largest error, so a failure shows where and by how much.
 */
import { acquireNodeContext } from '../../kernels/gpu/device-node';
import type { GpuContext } from '../../kernels/gpu/context';

let contextPromise: Promise<GpuContext> | null = null;

/** Returns the test file's GPU context. Throws (never skips) when no adapter is found. */
export function gpu(): Promise<GpuContext> {
  contextPromise ??= acquireNodeContext().then((ctx) => {
    ctx.onError.add((error) => {
      throw new Error(error.message);
    });
    return ctx;
  });
  return contextPromise;
}

/** Returns a deterministic pseudo-random Float32Array in [-scale, scale) (xorshift32, not the product's generator). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  let state = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    out[i] = ((state / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

export interface Comparison {
  maxAbs: number;
  maxRel: number;
  worstIndex: number;
  mismatches: string[];
}

/**
 * Compares `actual` with `expected` element-wise: an element passes when
 * |a - e| <= atol + rtol * |e|. Returns the largest errors and up to 5 failing elements.
 */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): Comparison {
  if (actual.length !== expected.length) {
    return { maxAbs: Infinity, maxRel: Infinity, worstIndex: -1, mismatches: [`length ${actual.length} != ${expected.length}`] };
  }
  let maxAbs = 0;
  let maxRel = 0;
  let worstIndex = -1;
  const mismatches: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const abs = Math.abs(a - e);
    const rel = abs / Math.max(Math.abs(e), 1e-30);
    if (!(abs <= maxAbs) || Number.isNaN(abs)) {
      maxAbs = Number.isNaN(abs) ? Infinity : abs;
      worstIndex = i;
    }
    if (rel > maxRel) maxRel = rel;
    if (!(abs <= atol + rtol * Math.abs(e)) && mismatches.length < 5) mismatches.push(`[${i}] got ${a}, expected ${e}`);
  }
  return { maxAbs, maxRel, worstIndex, mismatches };
}
