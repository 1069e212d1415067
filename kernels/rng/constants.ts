/**
 * Constants of the counter-based Gaussian generator, shared by the CPU reference, the host code
 * and (through `wgslConstants`) the WGSL, so the two sides cannot drift apart.
 */

/** Philox 4x32 round multipliers and Weyl key increments, as published with Random123. */
export const PHILOX_M0 = 0xd2511f53;
export const PHILOX_M1 = 0xcd9e8d57;
export const PHILOX_W0 = 0x9e3779b9;
export const PHILOX_W1 = 0xbb67ae85;
export const PHILOX_ROUNDS = 10;

/**
 * Layout of the inverse-CDF table. The 31 magnitude bits t of a Philox word select a tail
 * probability p = (t + 0.5) / 2^32. Each binary octave [2^j, 2^(j+1)) of t is cut into
 * 2^GAUSSIAN_SEGMENT_BITS equal segments, and values inside a segment are linearly interpolated.
 * Below 2^(GAUSSIAN_SEGMENT_BITS + 1) segments are one integer wide, so those entries are exact.
 */
export const GAUSSIAN_SEGMENT_BITS = 7;
export const GAUSSIAN_SEGMENTS = 1 << GAUSSIAN_SEGMENT_BITS;
/** Values of t below this bound index the table directly. */
export const GAUSSIAN_DIRECT_ENTRIES = 1 << (GAUSSIAN_SEGMENT_BITS + 1);
/** Knots: the direct entries, one row of segments per octave 7..30, and the end knot t = 2^31. */
export const GAUSSIAN_TABLE_ENTRIES = GAUSSIAN_SEGMENTS * (32 - GAUSSIAN_SEGMENT_BITS) + 1;
/** Fraction bits of the fixed-point |x| in the table. Since |x| < 2^24 · 2^-21, the f32 conversion is exact. */
export const GAUSSIAN_FRACTION_BITS = 21;
/** The interpolation weight keeps at most this many bits, so (left − right) · weight fits in a u32. */
export const GAUSSIAN_WEIGHT_BITS = 16;
export const GAUSSIAN_SCALE = 2 ** -GAUSSIAN_FRACTION_BITS;
