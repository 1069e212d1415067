/**
 * Quantization error of the inverse 4th root under 4-bit storage, on the CPU in f64 (only the
 * quantizer itself works in f32). It shows why 4-bit Shampoo quantizes eigenvectors, not the
 * preconditioner: `npm run bench` prints the table.
 *
 * Test matrix (fixed by order and seed): A = U diag(λ) Uᵀ of order n with eigenvalues spread
 * log-uniformly over [1e-6, 1], λᵢ = 10^(−6 + 6i/(n−1)), so cond(A) = 1e6. U is a random orthogonal
 * matrix: the eigenvectors of a symmetric Gaussian matrix (X + Xᵀ)/2, whose entries come from
 * SeededRng(seed) through Box–Muller. Such eigenvectors are Haar-distributed.
 *
 * Reference: R = (A + ε·λmax·I)^(−1/4) = U diag((λ + ε·λmax)^(−1/4)) Uᵀ, from the known λ and U.
 * Error of an approximation R̃: ‖R̃ − R‖_F / ‖R‖_F. Variants, with D∘Q the 4-bit round trip
 * (blocks of 64 entries within a row, one absmax each):
 *   matrix:              R̃ = (D(Q(A)) + ε·λ̃max·I)^(−1/4), with the negative eigenvalues that
 *                        quantization creates clamped to 0 (as 4-bit Shampoo clamps S)
 *   eigenvectors:        Ṽᵀ = D(Q(Uᵀ)), rows = eigenvectors, R̃ = Ṽ diag((λ + ε·λmax)^(−1/4)) Ṽᵀ
 *   rectified:           as eigenvectors, after BJORCK_STEPS steps Ṽᵀ ← 1.5 Ṽᵀ − 0.5 Ṽᵀ Ṽ Ṽᵀ
 * λ is rounded to f32 in the eigenvector variants, as 4-bit Shampoo stores eigenvalues in fp32.
 *
 * NOTE: Haar-random eigenvectors have Gaussian-like entries, which the 4-bit round trip keeps to
 * ‖Ṽ − V‖_F / ‖V‖_F ≈ 0.11 (Linear-2) and 0.14 (dynamic tree) at order 256. The eigenvector errors
 * here (about 0.15 and 0.20) are therefore about 3× the published ones for a real preconditioner.
 * The ordering of the variants and the gain from rectification match.
 */
import { SeededRng } from '../../data/rng';
import { CODEBOOK_NAMES, type CodebookName } from '../../../kernels/quant4/codebooks';
import { dequantize4Ref, quantize4Ref } from '../../../kernels/quant4/quant4.ref';
import { fromEigen, inverseRoot, inverseRootWeights, symmetricEigen } from './eigen';

/** Ridge ε of (A + ε·λmax·I)^(−1/4) in the table: the default of 32-bit and 4-bit Shampoo. */
export const QUANT_ERROR_EPSILON = 1e-6;
/** Order of the test matrix printed by the benchmark (at least 256). */
export const QUANT_ERROR_ORDER = 256;
/** Björck steps of the rectified variant, as in the 4-bit inverse-root update. */
export const BJORCK_STEPS = 4;
/** Smallest eigenvalue of the test matrix; the largest is 1. */
const SMALLEST_EIGENVALUE = 1e-6;

export type QuantErrorVariant = 'matrix' | 'eigenvectors' | 'rectified';
export const QUANT_ERROR_VARIANTS: readonly QuantErrorVariant[] = ['matrix', 'eigenvectors', 'rectified'];

/**
 * Published normwise relative errors of the 4-bit inverse 4th root of an order-1200 preconditioner
 * (Wang, Zhou, Li and Huang, "4-bit Shampoo for Memory-Efficient Network Training", NeurIPS 2024).
 * Their matrix differs from the synthetic one here, so only the ordering and rough size compare.
 */
export const PUBLISHED_QUANT_ERROR: Readonly<Record<CodebookName, Record<QuantErrorVariant, number>>> = {
  'linear-2': { matrix: 0.624, eigenvectors: 0.054, rectified: 0.034 },
  'dynamic-tree': { matrix: 0.624, eigenvectors: 0.071, rectified: 0.046 },
};

export interface QuantErrorOptions {
  /** Matrix order n ≥ 2; default QUANT_ERROR_ORDER. */
  order?: number;
  /** Seed of the orthogonal basis; default 1. */
  seed?: number;
  /** Ridge ε; default QUANT_ERROR_EPSILON. */
  epsilon?: number;
  codebooks?: readonly CodebookName[];
}

export interface QuantErrorRow {
  codebook: CodebookName;
  /** ‖R̃ − R‖_F / ‖R‖_F per variant. */
  errors: Record<QuantErrorVariant, number>;
}

export interface QuantErrorTable {
  order: number;
  seed: number;
  epsilon: number;
  /** λmax / λmin of A. */
  condition: number;
  bjorckSteps: number;
  rows: QuantErrorRow[];
}

/** The ill-conditioned SPD test matrix, its eigenvalues (ascending) and eigenvectors (rows of `vectors`). */
export interface QuantErrorMatrix {
  n: number;
  /** [n, n] row-major A. */
  matrix: Float64Array;
  /** [n] eigenvalues, ascending. */
  values: Float64Array;
  /** [n, n] row-major Uᵀ: row i is the eigenvector of values[i]. */
  vectors: Float64Array;
}

/** Builds the test matrix described in the file comment. */
export function buildQuantErrorMatrix(n: number, seed: number): QuantErrorMatrix {
  if (!Number.isInteger(n) || n < 2) throw new Error(`buildQuantErrorMatrix: order must be an integer ≥ 2, got ${n}`);

  // 1. Haar-random orthogonal basis: eigenvectors of a symmetric Gaussian matrix.
  const rng = new SeededRng(seed);
  const gaussian = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) gaussian[i] = standardNormal(rng);
  const symmetric = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) symmetric[i * n + j] = (gaussian[i * n + j] + gaussian[j * n + i]) / 2;
  }
  const { vectors } = symmetricEigen(symmetric, n);

  // 2. Log-uniform spectrum from 1e-6 to 1.
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = SMALLEST_EIGENVALUE ** (1 - i / (n - 1));

  return { n, matrix: fromEigen(vectors, values, n), values, vectors };
}

/** Computes the table: one row per codebook, one error per variant. */
export function quantizationErrorTable(options: QuantErrorOptions = {}): QuantErrorTable {
  const n = options.order ?? QUANT_ERROR_ORDER;
  const seed = options.seed ?? 1;
  const epsilon = options.epsilon ?? QUANT_ERROR_EPSILON;
  const codebooks = options.codebooks ?? CODEBOOK_NAMES;
  if (!(epsilon > 0)) throw new Error(`quantizationErrorTable: epsilon must be positive, got ${epsilon}`);

  const test = buildQuantErrorMatrix(n, seed);
  const exact = fromEigen(test.vectors, inverseRootWeights(test.values, 4, epsilon), n);
  const storedWeights = inverseRootWeights(Float32Array.from(test.values), 4, epsilon);
  const matrix32 = Float32Array.from(test.matrix);
  const vectors32 = Float32Array.from(test.vectors);

  const rows = codebooks.map((codebook): QuantErrorRow => {
    // (a) Quantize A, then take the root of the dequantized matrix.
    const matrix = roundTrip(matrix32, n, codebook);
    const fromMatrix = inverseRoot(matrix, n, 4, epsilon);

    // (b) Quantize the eigenvectors and rebuild with the fp32 eigenvalues.
    const vectors = roundTrip(vectors32, n, codebook);
    const fromVectors = fromEigen(vectors, storedWeights, n);

    // (c) As (b), after Björck rectification of the dequantized eigenvectors.
    const rectified = bjorck(vectors, n, BJORCK_STEPS);
    const fromRectified = fromEigen(rectified, storedWeights, n);

    return {
      codebook,
      errors: {
        matrix: relativeError(fromMatrix, exact),
        eigenvectors: relativeError(fromVectors, exact),
        rectified: relativeError(fromRectified, exact),
      },
    };
  });

  return { order: n, seed, epsilon, condition: 1 / SMALLEST_EIGENVALUE, bjorckSteps: BJORCK_STEPS, rows };
}

/** Formats the table as Markdown, with the published order-1200 figures beside each measured one. */
export function formatQuantizationErrorTable(table: QuantErrorTable): string {
  const lines = [
    `Inverse 4th root under 4-bit storage: ‖R̃ − R‖_F / ‖R‖_F, R = (A + ε·λmax·I)^(−1/4), SPD A of order ${table.order}, ` +
      `eigenvalues log-uniform on [1e-6, 1] (cond ${table.condition.toExponential(0)}), seed ${table.seed}, ε = ${table.epsilon}, ` +
      `${table.bjorckSteps} Björck steps. Published figures (order 1200, a real preconditioner) in brackets.`,
    '',
    '| codebook | quantize A | quantize U | quantize U + rectification |',
    '|---|---|---|---|',
  ];
  for (const row of table.rows) {
    const published = PUBLISHED_QUANT_ERROR[row.codebook];
    const cells = QUANT_ERROR_VARIANTS.map((variant) => `${row.errors[variant].toFixed(3)} (${published[variant].toFixed(3)})`);
    lines.push(`| ${row.codebook} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Returns D(Q(values)) in f64 for an n×n f32 matrix, quantized row by row. */
function roundTrip(values: Float32Array, n: number, codebook: CodebookName): Float64Array {
  const { codes, absmax } = quantize4Ref(values, n, n, codebook);
  return Float64Array.from(dequantize4Ref(codes, absmax, n, n, codebook));
}

/**
 * Applies `steps` Björck steps W ← 1.5 W − 0.5 W Wᵀ W to an n×n matrix W (here Vᵀ, rows =
 * eigenvectors), which pull W towards the nearest orthogonal matrix.
 */
export function bjorck(w: Float64Array, n: number, steps: number): Float64Array {
  let current = w;
  for (let step = 0; step < steps; step++) {
    const gram = multiplyTransposed(current, current, n);
    const product = multiply(gram, current, n);
    const next = new Float64Array(n * n);
    for (let i = 0; i < n * n; i++) next[i] = 1.5 * current[i] - 0.5 * product[i];
    current = next;
  }
  return current;
}

/** Returns A Bᵀ for n×n row-major A and B. */
function multiplyTransposed(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += a[i * n + k] * b[j * n + k];
      out[i * n + j] = sum;
    }
  }
  return out;
}

/** Returns A B for n×n row-major A and B. */
function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  }
  return out;
}

/** Returns ‖approximation − exact‖_F / ‖exact‖_F. */
export function relativeError(approximation: ArrayLike<number>, exact: ArrayLike<number>): number {
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < exact.length; i++) {
    difference += (approximation[i] - exact[i]) ** 2;
    norm += exact[i] ** 2;
  }
  return Math.sqrt(difference / norm);
}

/** Draws one standard normal value by Box–Muller (the cosine branch only). */
function standardNormal(rng: SeededRng): number {
  const u = 1 - rng.nextFloat();
  const v = rng.nextFloat();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
