import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { makeBindGroup, readU32, runDispatches, readF32 } from '../../kernels/gpu/dispatch';
import { wgslConstants } from '../../kernels/gpu/pipelines';
import { makeStepParams, writeStepParams } from '../../kernels/perturb/step-params';
import {
  GAUSSIAN_DIRECT_ENTRIES,
  GAUSSIAN_SCALE,
  GAUSSIAN_TABLE_ENTRIES,
  GAUSSIAN_WEIGHT_BITS,
} from '../../kernels/rng/constants';
import { gaussianTable, inverseUpperTail, knotOf, upperTail } from '../../kernels/rng/gaussian-table';
import { getGaussianTable, makeGaussianFill, rngWgsl } from '../../kernels/rng/rng';
import { fillGaussianRef, gaussianFromBits, gaussianMagnitude, gaussianRef, philox4x32, type Philox4 } from '../../kernels/rng/rng.ref';
import { gpu } from '../helpers/gpu';

/** Reinterprets f32 values as their u32 bit patterns, so -0 and NaN payloads count as differences. */
function f32Bits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/** Lists up to 5 indices where the bit patterns differ, with both values. */
function bitMismatches(gpuValues: Float32Array, cpuValues: Float32Array, indexOffset = 0): string[] {
  const gpuBits = f32Bits(gpuValues);
  const cpuBits = f32Bits(cpuValues);
  const mismatches: string[] = [];
  for (let i = 0; i < cpuBits.length && mismatches.length < 5; i++) {
    if (gpuBits[i] !== cpuBits[i]) {
      mismatches.push(`[index ${indexOffset + i}] gpu ${gpuValues[i]} (0x${gpuBits[i].toString(16)}), cpu ${cpuValues[i]} (0x${cpuBits[i].toString(16)})`);
    }
  }
  return mismatches;
}

async function gpuFill(ctx: GpuContext, seed: number, stream: number, n: number, indexOffset = 0): Promise<Float32Array> {
  const step = makeStepParams(ctx, 'rng test step');
  writeStepParams(ctx, step, { seed, c: 0, keep: 1 });
  const out = ctx.pool.storage('rng test out', 'perturbation', n * 4);
  runDispatches(ctx, [makeGaussianFill(ctx, 'rng test fill', { out, n, stream, step, indexOffset })]);
  const values = await readF32(ctx, out, n);
  ctx.pool.release(out);
  ctx.pool.release(step);
  return values;
}

// Test-only kernel: applies gaussian_from_bits to chosen words, to reach every table path.
const BITS_KERNEL = `
@group(0) @binding(1) var<storage, read> words: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= arrayLength(&words)) {
    return;
  }
  out[id.x] = gaussian_from_bits(words[id.x]);
}
`;

async function gpuFromBits(ctx: GpuContext, words: Uint32Array): Promise<Float32Array> {
  const pipeline = ctx.pipelines.get('rng-test-from-bits', () => rngWgsl() + BITS_KERNEL);
  const input = ctx.pool.storageFrom('rng test words', 'perturbation', words);
  const out = ctx.pool.storage('rng test out', 'perturbation', words.length * 4);
  const bindGroup = makeBindGroup(ctx, pipeline, 'rng test from bits', [getGaussianTable(ctx), input, out]);
  runDispatches(ctx, [{ label: 'rng test from bits', pipeline, bindGroup, workgroups: [Math.ceil(words.length / 64), 1, 1] }]);
  const values = await readF32(ctx, out, words.length);
  ctx.pool.release(input);
  ctx.pool.release(out);
  return values;
}

describe('philox4x32-10', () => {
  // Known-answer vectors of Random123 (tests/kat_vectors): counter, key, expected output.
  const vectors: [Philox4, [number, number], Philox4][] = [
    [[0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];

  it.each(vectors)('matches known answer for counter %j', (counter, key, expected) => {
    expect(philox4x32(counter, key)).toEqual(expected);
  });
});

describe('gaussian table', () => {
  it('has a pinned fingerprint', () => {
    // Replaying a run needs the same table everywhere. FNV-1a over the little-endian bytes; if this
    // changes, every recorded seed maps to different directions.
    let hash = 0x811c9dc5;
    for (const value of gaussianTable()) {
      for (let byte = 0; byte < 4; byte++) {
        hash ^= (value >>> (8 * byte)) & 0xff;
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
    }
    expect(gaussianTable().length).toBe(GAUSSIAN_TABLE_ENTRIES);
    expect(hash.toString(16)).toBe('74fcf1d3');
  });

  it('upper tail agrees across the series and continued-fraction branches', () => {
    // Q(3) = 1.3498980316300946e-3 (tabulated); the two branches meet at x = 3.
    expect(Math.abs(upperTail(3) / 1.3498980316300946e-3 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(upperTail(2.999999999) / upperTail(3) - 1)).toBeLessThan(1e-8);
    expect(Math.abs(upperTail(1) / 0.15865525393145707 - 1)).toBeLessThan(1e-13);
    expect(Math.abs(upperTail(5) / 2.866515718791939e-7 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(inverseUpperTail(0.025) - 1.959963984540054)).toBeLessThan(1e-12);
  });

  it('quantile error stays below 4e-6 σ', () => {
    // Compares the interpolated magnitude with the exact quantile Q⁻¹((t + 0.5) / 2^32) at knots,
    // mid-segment points and pseudo-random t.
    const points: number[] = [];
    for (let entry = 0; entry < GAUSSIAN_TABLE_ENTRIES - 1; entry++) {
      const left = knotOf(entry);
      const right = knotOf(entry + 1);
      points.push(left, Math.floor((left + right) / 2), right - 1);
    }
    let state = 12345;
    for (let i = 0; i < 20000; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      points.push(state >>> 1);
    }

    let worst = 0;
    let worstT = -1;
    for (const t of points) {
      const exact = inverseUpperTail((t + 0.5) / 2 ** 32);
      const error = Math.abs(gaussianMagnitude(t) * GAUSSIAN_SCALE - exact);
      if (error > worst) {
        worst = error;
        worstT = t;
      }
    }
    expect(worst, `worst at t = ${worstT}`).toBeLessThan(4e-6);
  });

  it('distribution over all 2^31 magnitudes has variance 1 ± 1e-5', () => {
    // Enumerates every magnitude value by segment (a run of equal weights has one value), so the
    // moments are exact for the generator, not estimates.
    const table = gaussianTable();
    let sumSquares = 0;
    let count = 0;
    let maxMagnitude = 0;
    for (let t = 0; t < GAUSSIAN_DIRECT_ENTRIES; t++) {
      sumSquares += table[t] * table[t];
      count += 1;
      maxMagnitude = Math.max(maxMagnitude, table[t]);
    }
    for (let entry = GAUSSIAN_DIRECT_ENTRIES; entry < GAUSSIAN_TABLE_ENTRIES - 1; entry++) {
      const left = knotOf(entry);
      const width = knotOf(entry + 1) - left;
      const shift = Math.log2(width);
      const run = 2 ** Math.max(0, shift - GAUSSIAN_WEIGHT_BITS);
      for (let t = left; t < left + width; t += run) {
        const magnitude = gaussianMagnitude(t);
        sumSquares += magnitude * magnitude * run;
        count += run;
      }
    }
    expect(count).toBe(2 ** 31);

    const variance = (sumSquares / count) * GAUSSIAN_SCALE * GAUSSIAN_SCALE;
    expect(Math.abs(variance - 1)).toBeLessThan(1e-5);
    const truncation = maxMagnitude * GAUSSIAN_SCALE;
    expect(truncation).toBeGreaterThan(6.3);
    expect(truncation).toBeLessThan(6.4);
  });
});

describe('gaussian generator', () => {
  it('reference is symmetric and never returns -0', () => {
    expect(gaussianFromBits(0x7fffffff)).toBe(0);
    expect(Object.is(gaussianFromBits(0xffffffff), 0)).toBe(true);
    expect(gaussianFromBits(0x80000005)).toBe(-gaussianFromBits(5));
  });

  it('from_bits is bit-identical on every table path', async () => {
    const ctx = await gpu();
    const words: number[] = [];
    for (let entry = 0; entry < GAUSSIAN_TABLE_ENTRIES; entry++) {
      const knot = Math.min(knotOf(entry), 2 ** 31 - 1);
      for (const t of [knot - 1, knot, knot + 1]) {
        if (t < 0 || t >= 2 ** 31) continue;
        words.push(t, (t | 0x80000000) >>> 0);
      }
    }
    let state = 99;
    for (let i = 0; i < 4096; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      words.push(state);
    }
    const input = new Uint32Array(words);
    const cpu = new Float32Array(input.length);
    input.forEach((word, i) => (cpu[i] = gaussianFromBits(word)));

    expect(bitMismatches(await gpuFromBits(ctx, input), cpu)).toEqual([]);
  });

  it.each([
    { seed: 0, stream: 0, n: 1000, indexOffset: 0 },
    { seed: 1, stream: 0, n: 4099, indexOffset: 0 },
    { seed: 0xdeadbeef, stream: 7, n: 257, indexOffset: 2 ** 24 - 100 },
    { seed: 42, stream: 123456, n: 3001, indexOffset: 2 ** 31 + 12345 },
    { seed: 0xffffffff, stream: 0xffffffff, n: 1000, indexOffset: 2 ** 32 - 1000 },
  ])('fill is bit-identical to reference for %j', async ({ seed, stream, n, indexOffset }) => {
    const ctx = await gpu();
    const cpu = new Float32Array(n);
    for (let i = 0; i < n; i++) cpu[i] = gaussianRef(seed, stream, indexOffset + i);

    const result = await gpuFill(ctx, seed, stream, n, indexOffset);

    expect(bitMismatches(result, cpu, indexOffset)).toEqual([]);
  });

  it('fill writes nothing past n', async () => {
    const ctx = await gpu();
    const n = 300;
    const step = makeStepParams(ctx, 'rng test step');
    writeStepParams(ctx, step, { seed: 3, c: 0, keep: 1 });
    const out = ctx.pool.storageFrom('rng test out', 'perturbation', new Float32Array(512).fill(7));

    runDispatches(ctx, [makeGaussianFill(ctx, 'rng test fill', { out, n, stream: 1, step })]);

    const values = await readF32(ctx, out);
    expect(bitMismatches(values.subarray(0, n), fillGaussianRef(3, 1, n))).toEqual([]);
    expect(Array.from(values.subarray(n)).every((value) => value === 7)).toBe(true);
  });

  it('moments over 1e5 samples match N(0, 1)', async () => {
    // Standard errors at n = 1e5: mean 0.0032, variance 0.0045, kurtosis 0.015; bounds are about 5 of them.
    const ctx = await gpu();
    const n = 100_000;
    const values = await gpuFill(ctx, 2024, 3, n);
    let sum = 0;
    let sumSquares = 0;
    let sumFourth = 0;
    for (const x of values) {
      sum += x;
      sumSquares += x * x;
      sumFourth += x ** 4;
    }
    const mean = sum / n;
    const variance = sumSquares / n - mean * mean;

    expect(Math.abs(mean)).toBeLessThan(0.016);
    expect(Math.abs(variance - 1)).toBeLessThan(0.025);
    expect(Math.abs(sumFourth / n - 3)).toBeLessThan(0.08);
  });

  it('tails beyond 3σ and 4σ have the normal frequency', async () => {
    // P(|Z| > 3) = 2.70e-3 and P(|Z| > 4) = 6.33e-5: expected counts 2831 and 66 in 2^20 samples.
    const ctx = await gpu();
    const n = 2 ** 20;
    const values = await gpuFill(ctx, 77, 0, n);
    let beyond3 = 0;
    let beyond4 = 0;
    let largest = 0;
    for (const x of values) {
      const magnitude = Math.abs(x);
      if (magnitude > 3) beyond3++;
      if (magnitude > 4) beyond4++;
      largest = Math.max(largest, magnitude);
    }

    expect(beyond3).toBeGreaterThan(2831 - 5 * 53);
    expect(beyond3).toBeLessThan(2831 + 5 * 53);
    expect(beyond4).toBeGreaterThan(66 - 5 * 8);
    expect(beyond4).toBeLessThan(66 + 5 * 8);
    expect(largest).toBeGreaterThan(4.5);
  });

  it('streams and seeds give different sequences', async () => {
    // Correlation between independent sequences of 1e4 has standard error 0.01.
    const ctx = await gpu();
    const n = 10_000;
    const base = await gpuFill(ctx, 5, 0, n);
    const others = [await gpuFill(ctx, 5, 1, n), await gpuFill(ctx, 6, 0, n), await gpuFill(ctx, 0, 5, n)];

    for (const other of others) {
      let equal = 0;
      let dot = 0;
      for (let i = 0; i < n; i++) {
        if (other[i] === base[i]) equal++;
        dot += other[i] * base[i];
      }
      expect(equal).toBeLessThan(5);
      expect(Math.abs(dot / n)).toBeLessThan(0.05);
    }
  });

  it('uploads the table once per context', async () => {
    const ctx = await gpu();
    expect(getGaussianTable(ctx)).toBe(getGaussianTable(ctx));
    const words = await readU32(ctx, getGaussianTable(ctx));
    expect(Array.from(words)).toEqual(Array.from(gaussianTable()));
  });
});
