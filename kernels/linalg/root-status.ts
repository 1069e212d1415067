/**
 * Layout of the status block that the inverse-root ops (`makeInverseRoot`, `makeEigenRoot`) keep
 * on the GPU: ROOT_STATUS_WORDS u32 words starting at a caller-chosen word, so many factors can
 * share one buffer and come back in one readback at low frequency. f32 values are stored as bits.
 */
export const ROOT_STATUS = {
  /** 1 while the Newton iteration continues; gates its dispatches. */
  ACTIVE: 0,
  /** Newton iterations accepted. */
  ITERATIONS: 1,
  /** f32: max|M − I| of the accepted Newton iterate. */
  ERROR: 2,
  /** f32: max|M − I| of the candidate iterate (scratch). */
  CANDIDATE_ERROR: 3,
  /** ROOT_FLAGS bits of the last run. */
  FLAGS: 4,
  /** f32: λmax from the power iteration (Newton), or max S (eigen root). */
  LAMBDA_MAX: 5,
  /** f32: the Newton scale z = c⁴ with M₀ = z·(A + ridge·I). */
  SCALE: 6,
  /** Non-finite entries found by the last check (scratch). */
  NONFINITE_COUNT: 7,
  /** Runs whose result was discarded (the output kept its previous root). Never reset by the ops. */
  KEPT_COUNT: 8,
  /** 1 when the last step's result is written (scratch gate of the commit and store dispatches). */
  WRITE: 9,
} as const;

export const ROOT_STATUS_WORDS = 10;

export const ROOT_FLAGS = {
  /** The matrix, the eigenvalues, the eigenvectors or λmax held NaN or ±Inf. */
  NONFINITE_INPUT: 1,
  /** The Newton scale could not be formed: the matrix norm was zero or overflowed, or max S ≤ 0. */
  INVALID_SCALE: 2,
  /** The computed root held NaN or ±Inf. */
  NONFINITE_RESULT: 4,
  /** Newton stopped because the error grew by more than the growth factor (the previous iterate was kept). */
  ERROR_GREW: 8,
  /** Newton ended with max|M − I| ≥ tolerance. The root is still written. */
  NOT_CONVERGED: 16,
} as const;

/** Flags under which the output root is left as it was. */
export const ROOT_KEPT_FLAGS = ROOT_FLAGS.NONFINITE_INPUT | ROOT_FLAGS.INVALID_SCALE | ROOT_FLAGS.NONFINITE_RESULT;

/** WGSL constants for the shaders: STATUS_ACTIVE, …, FLAG_NONFINITE_INPUT, …, KEPT_FLAGS. */
export function rootStatusConstants(): Record<string, number> {
  const constants: Record<string, number> = {};
  for (const [name, word] of Object.entries(ROOT_STATUS)) constants[`STATUS_${name}`] = word;
  for (const [name, bit] of Object.entries(ROOT_FLAGS)) constants[`FLAG_${name}`] = bit;
  constants.KEPT_FLAGS = ROOT_KEPT_FLAGS;
  return constants;
}

/** Decodes a status block read back from the GPU. */
export interface RootStatus {
  active: number;
  iterations: number;
  error: number;
  flags: number;
  lambdaMax: number;
  scale: number;
  nonFiniteCount: number;
  keptCount: number;
  written: boolean;
}

export function decodeRootStatus(words: Uint32Array, base = 0): RootStatus {
  const f32 = new Float32Array(words.buffer, words.byteOffset, words.length);
  return {
    active: words[base + ROOT_STATUS.ACTIVE],
    iterations: words[base + ROOT_STATUS.ITERATIONS],
    error: f32[base + ROOT_STATUS.ERROR],
    flags: words[base + ROOT_STATUS.FLAGS],
    lambdaMax: f32[base + ROOT_STATUS.LAMBDA_MAX],
    scale: f32[base + ROOT_STATUS.SCALE],
    nonFiniteCount: words[base + ROOT_STATUS.NONFINITE_COUNT],
    keptCount: words[base + ROOT_STATUS.KEPT_COUNT],
    written: words[base + ROOT_STATUS.WRITE] !== 0,
  };
}
