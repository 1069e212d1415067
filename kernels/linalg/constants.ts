/**
 * Constants shared by the linear-algebra kernels, their CPU references and the optimizers. Kept
 * free of shader imports so the references load in plain Node.
 */

/** Added to the index before hashing the power iteration's start vector; any fixed value works. */
export const POWER_START_SEED = 0x5eed1234;
/** Power iterations for λmax. */
export const POWER_ITERATIONS = 10;

/** Root order p of the inverse root A^(−1/p). */
export const ROOT_ORDER = 4;
/** Default relative ridge ε of (A + ε·λmax·I)^(−1/4). */
export const ROOT_EPSILON = 1e-6;
/** Newton iterations at most. */
export const NEWTON_MAX_ITERATIONS = 10;
/** Newton stops once max|M − I| falls below this. */
export const NEWTON_TOLERANCE = 1e-6;
/** Newton keeps the previous iterate when the error grows by more than this factor. */
export const NEWTON_GROWTH_LIMIT = 1.2;
