/** Constants of the blocked QR, shared by the GPU host code and the CPU reference. */

/** Gram–Schmidt passes: the second re-orthogonalises the first pass's output. */
export const QR_LARGE_PASSES = 2;
/**
 * A vector counts as linearly dependent when its squared residual norm is at most
 * QR_RELATIVE_FLOOR² times its own squared norm at the start of the pass, or at most
 * QR_ABSOLUTE_FLOOR. It is then replaced by a fixed pseudo-random vector orthogonalised against
 * the vectors before it. The rounding of MGS scales with each vector's own norm, so a small but
 * independent vector keeps its direction.
 */
export const QR_RELATIVE_FLOOR = 2 ** -20;
export const QR_ABSOLUTE_FLOOR = 2 ** -120;
/** Added to the column index before hashing the replacement vector; any fixed value works. */
export const QR_FALLBACK_SEED = 0x51ed27;
