import { describe, expect, it } from 'vitest';
import { fromEigen, inverseRoot, inverseRootWeights, symmetricEigen } from '../../app/optim/shampoo/eigen';
import {
  BJORCK_STEPS,
  bjorck,
  buildQuantErrorMatrix,
  formatQuantizationErrorTable,
  quantizationErrorTable,
  relativeError,
} from '../../app/optim/shampoo/quant-error';
import { dequantize4Ref, quantize4Ref } from '../../kernels/quant4/quant4.ref';
import { randomArray } from '../helpers/gpu';

function randomSymmetric(n: number, seed: number): Float64Array {
  const random = randomArray(n * n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      a[i * n + j] = random[i * n + j];
      a[j * n + i] = random[i * n + j];
    }
  }
  return a;
}

/** Returns max |W Wᵀ − I| for n×n row-major W. */
function orthogonalityError(w: ArrayLike<number>, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += w[i * n + k] * w[j * n + k];
      worst = Math.max(worst, Math.abs(dot - (i === j ? 1 : 0)));
    }
  }
  return worst;
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

describe('symmetricEigen', () => {
  it.each([1, 2, 3, 7, 64, 130, 300])('decomposes a random order-%i matrix', (n) => {
    const a = randomSymmetric(n, n);
    const { values, vectors } = symmetricEigen(a, n);

    for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
    expect(orthogonalityError(vectors, n)).toBeLessThan(1e-12);
    expect(maxAbsDifference(fromEigen(vectors, values, n), a)).toBeLessThan(1e-12 * n);

    // A v = λ v for every row v of `vectors`.
    let residual = 0;
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (let j = 0; j < n; j++) sum += a[i * n + j] * vectors[k * n + j];
        residual = Math.max(residual, Math.abs(sum - values[k] * vectors[k * n + i]));
      }
    }
    expect(residual).toBeLessThan(1e-12 * n);
  });

  it('finds the 1-D Laplacian spectrum', () => {
    // tridiag(−1, 2, −1) of order n has eigenvalues 2 − 2 cos(kπ / (n + 1)), k = 1..n.
    const n = 50;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i + 1 < n) {
        a[i * n + i + 1] = -1;
        a[(i + 1) * n + i] = -1;
      }
    }
    const { values } = symmetricEigen(a, n);
    for (let k = 1; k <= n; k++) expect(values[k - 1]).toBeCloseTo(2 - 2 * Math.cos((k * Math.PI) / (n + 1)), 13);
  });

  it('handles diagonal, repeated and zero spectra', () => {
    expect(Array.from(symmetricEigen(Float64Array.of(3, 0, 0, 0, 1, 0, 0, 0, 2), 3).values)).toEqual([1, 2, 3]);
    expect(Array.from(symmetricEigen(new Float64Array(16), 4).values)).toEqual([0, 0, 0, 0]);

    // I + 1·1ᵀ of order 5: eigenvalue 1 four times and 6 once.
    const n = 5;
    const a = new Float64Array(n * n).fill(1);
    for (let i = 0; i < n; i++) a[i * n + i] = 2;
    const { values, vectors } = symmetricEigen(a, n);
    for (let i = 0; i < 4; i++) expect(values[i]).toBeCloseTo(1, 14);
    expect(values[4]).toBeCloseTo(6, 14);
    expect(orthogonalityError(vectors, n)).toBeLessThan(1e-14);
  });

  it('rejects non-finite input', () => {
    expect(() => symmetricEigen(Float64Array.of(1, NaN, NaN, 1), 2)).toThrow(/a\[1, 0\] is not finite/);
    expect(() => symmetricEigen(new Float64Array(3), 2)).toThrow(/expected at least n·n = 4/);
  });
});

describe('inverseRoot', () => {
  it('inverts the 4th power', () => {
    // R = (A + ε λmax I)^(−1/4) satisfies R⁴ (A + ε λmax I) = I.
    const n = 40;
    const random = randomSymmetric(n, 5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        for (let k = 0; k < n; k++) a[i * n + j] += random[i * n + k] * random[j * n + k];
      }
    }
    const epsilon = 1e-3;
    const root = inverseRoot(a, n, 4, epsilon);
    const { values } = symmetricEigen(a, n);
    const ridge = epsilon * values[n - 1];

    let power = root;
    for (let step = 0; step < 3; step++) {
      const next = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) next[i * n + j] += power[i * n + k] * root[k * n + j];
      }
      power = next;
    }
    let worst = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let sum = power[i * n + j] * ridge;
        for (let k = 0; k < n; k++) sum += power[i * n + k] * a[k * n + j];
        worst = Math.max(worst, Math.abs(sum - (i === j ? 1 : 0)));
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });

  it('clamps negative eigenvalues', () => {
    const weights = inverseRootWeights(Float64Array.of(-1e-3, 0, 16), 4, 1 / 16);
    expect(weights[0]).toBeCloseTo(1, 14);
    expect(weights[1]).toBeCloseTo(1, 14);
    expect(weights[2]).toBeCloseTo(17 ** -0.25, 14);
    expect(() => inverseRootWeights(Float64Array.of(0, 1), 4, 0)).toThrow(/eigenvalue 0 is 0/);
  });
});

describe('quantization error of the inverse root', () => {
  it('builds the log-uniform test matrix', () => {
    const n = 64;
    const test = buildQuantErrorMatrix(n, 1);
    expect(test.values[0]).toBeCloseTo(1e-6, 18);
    expect(test.values[n - 1]).toBe(1);
    expect(orthogonalityError(test.vectors, n)).toBeLessThan(1e-12);

    const { values } = symmetricEigen(test.matrix, n);
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - test.values[i])).toBeLessThan(1e-14);
    expect(Array.from(buildQuantErrorMatrix(n, 1).matrix)).toEqual(Array.from(test.matrix));
    expect(Array.from(buildQuantErrorMatrix(n, 2).matrix)).not.toEqual(Array.from(test.matrix));
  });

  it('rectification restores orthogonality', () => {
    const n = 64;
    const { vectors } = buildQuantErrorMatrix(n, 3);
    const { codes, absmax } = quantize4Ref(Float32Array.from(vectors), n, n, 'linear-2');
    const dequantized = Float64Array.from(dequantize4Ref(codes, absmax, n, n, 'linear-2'));
    const before = orthogonalityError(dequantized, n);
    const after = orthogonalityError(bjorck(dequantized, n, BJORCK_STEPS), n);
    expect(before).toBeGreaterThan(0.01);
    expect(after).toBeLessThan(before / 100);
  });

  // Order 96, ε = 1e-6. Measured (seed 1): linear-2 1.229 / 0.152 / 0.070, dynamic tree
  // 1.288 / 0.192 / 0.089; seeds 2 and 3 are within 0.03 of these. The published order-1200 figures
  // (0.624 / 0.054 / 0.034 and 0.624 / 0.071 / 0.046) come from a real preconditioner, so only the
  // ordering and loose ranges are checked.
  it.each([1, 2])('orders the variants (seed %i)', (seed) => {
    const table = quantizationErrorTable({ order: 96, seed });
    expect(table.epsilon).toBe(1e-6);
    expect(table.rows.map((row) => row.codebook)).toEqual(['linear-2', 'dynamic-tree']);

    for (const { errors } of table.rows) {
      expect(errors.matrix).toBeGreaterThan(0.3);
      expect(errors.matrix).toBeLessThan(3);
      expect(errors.eigenvectors).toBeGreaterThan(0.03);
      expect(errors.eigenvectors).toBeLessThan(0.4);
      expect(errors.rectified).toBeGreaterThan(0.01);
      expect(errors.rectified).toBeLessThan(0.2);
      expect(errors.matrix).toBeGreaterThan(3 * errors.eigenvectors);
      expect(errors.rectified).toBeLessThan(0.75 * errors.eigenvectors);
    }
    const [linear2, dynamicTree] = table.rows;
    expect(linear2.errors.eigenvectors).toBeLessThan(dynamicTree.errors.eigenvectors);
    expect(linear2.errors.rectified).toBeLessThan(dynamicTree.errors.rectified);
  });

  it('formats the table with published figures', () => {
    const text = formatQuantizationErrorTable(quantizationErrorTable({ order: 16, codebooks: ['linear-2'] }));
    expect(text).toContain('order 16');
    expect(text).toContain('ε = 0.000001');
    expect(text).toMatch(/\| linear-2 \| \d\.\d{3} \(0\.624\) \| \d\.\d{3} \(0\.054\) \| \d\.\d{3} \(0\.034\) \|/);
  });

  it('relative error is normwise', () => {
    expect(relativeError(Float64Array.of(3, 4), Float64Array.of(0, 5))).toBeCloseTo(Math.sqrt(10) / 5, 15);
  });
});
