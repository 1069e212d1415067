/**
 * Small seedable PRNG for data sampling on the CPU (window positions, dataset splits).
 * It is a 32-bit counter passed through a SplitMix-style integer hash, so the stream is a pure
 * function of the seed. GPU perturbations use the Philox generator in kernels/rng instead.
 */
export class SeededRng {
  private counter: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`SeededRng: seed must be an integer, got ${seed}.`);
    this.counter = seed >>> 0;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.counter = (this.counter + 0x9e3779b9) >>> 0;
    let z = this.counter;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** Uniform integer in [0, n). The bias is below n / 2³², negligible for dataset sizes. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1) throw new Error(`SeededRng.nextInt: n must be a positive integer, got ${n}.`);
    return Math.floor(this.nextFloat() * n);
  }
}
