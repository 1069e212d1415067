/**
 * Shared machinery of the two-sided zeroth-order optimizers (MeZO, SubZero).
 *
 * One step, with step seed s and direction Z(s) per tensor:
 *   L+ = L(θ + εZ),  L− = L(θ − εZ)        two forwards through a perturbed view (θ is not written)
 *   g  = (L+ − L−) / (2ε)                 the projected gradient, a scalar read back to the CPU
 *   θ ← (1 − ηλ)·θ − η·g·Z                regenerated from s; λ only for 2-D weights
 * The perturbed view materialises θ + c·Z into a scratch slot just before the op that reads it, so
 * the fp32 master weights see exactly one rounding per step (the update) and never drift.
 *
 * A tensor split by rows is perturbed and updated chunk by chunk. Each chunk draws the Gaussian
 * indices (SubZero: reads the rows of U) of its rows in the whole tensor, so a split run is
 * bit-identical to an unsplit one. The scratch slot fits one chunk and is reused by each in turn.
 */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Dispatch } from '../../kernels/gpu/dispatch';
import { makePerturbFull, makeStepParams, writeStepParams } from '../../kernels/perturb/perturb';
import { chunkLabel, type RowRange } from '../../kernels/gpu/split';
import { philox4x32 } from '../../kernels/rng/rng.ref';
import { plainView, type Gpt2Model, type Parameter, type ParameterView, type ScratchSlot } from '../model/gpt2';
import type { OptimizerConfig } from '../run/types';

/** Tensors that `freezeEmbeddings` keeps fixed. */
const EMBEDDING_NAMES = new Set(['wte.weight', 'wpe.weight']);

/** Key words that separate the generator's uses of one run seed. */
const STEP_SEED_KEY = 0x5eed0001;
const SUBSPACE_SEED_KEY = 0x5eed0002;
export const BATCH_SEED_KEY = 0xba7c0001;

/** Derives the `counter`-th seed of one use (`key`) of the run seed, with Philox as a hash. */
export function deriveSeed(runSeed: number, key: number, counter: number): number {
  return philox4x32([counter >>> 0, 0, 0, 0], [runSeed >>> 0, key])[0];
}

/** Derives the seed of step `step` from the run seed (Philox as a hash, so nearby steps are unrelated). */
export function stepSeed(runSeed: number, step: number): number {
  return deriveSeed(runSeed, STEP_SEED_KEY, step);
}

/** Derives the seed of the `refresh`-th subspace draw. */
export function subspaceSeed(runSeed: number, refresh: number): number {
  return deriveSeed(runSeed, SUBSPACE_SEED_KEY, refresh);
}

export type Pass = 'plus' | 'minus' | 'update';

export interface ZerothOrderOptimizer {
  readonly config: OptimizerConfig;
  /** View used by the perturbed forward: reads θ + c·Z with c set by `setPass`. */
  readonly perturbedView: ParameterView;
  /** Dispatches that must run once per step before the first perturbed forward. */
  prepareDispatches(step: number): Dispatch[];
  /** Dispatches of the in-place update θ ← keep·θ + c·Z. */
  readonly updateDispatches: Dispatch[];
  /** Writes the shared step uniform for `pass`; `projectedGrad` is needed for the update only. */
  setPass(pass: Pass, step: number, projectedGrad?: number): void;
  /** Frees the optimizer's buffers (scratch slots, subspace bases, uniforms). */
  release(): void;
}

/** Validates the hyperparameters shared by MeZO and SubZero, naming the offending value. */
export function validateZerothOrderConfig(config: OptimizerConfig): void {
  const check = (name: string, value: number, ok: boolean, expected: string) => {
    if (!ok) throw new Error(`${config.name}: ${name} must be ${expected} (got ${value}).`);
  };
  check('learningRate', config.learningRate, Number.isFinite(config.learningRate) && config.learningRate > 0, 'a positive number');
  check('perturbationScale', config.perturbationScale, Number.isFinite(config.perturbationScale) && config.perturbationScale > 0, 'a positive number');
  check('weightDecay', config.weightDecay, Number.isFinite(config.weightDecay) && config.weightDecay >= 0, 'zero or positive');
}

/**
 * Base class: full-rank Gaussian directions for every tensor. SubZero overrides the direction of
 * 2-D tensors through `perturbDispatch`.
 */
export class ZerothOrderBase implements ZerothOrderOptimizer {
  readonly perturbedView: ParameterView;
  readonly updateDispatches: Dispatch[];
  protected readonly stepParams: GPUBuffer;
  protected readonly owned: GPUBuffer[] = [];
  private readonly scratch = new Map<ScratchSlot, GPUBuffer>();

  constructor(
    protected readonly ctx: GpuContext,
    protected readonly model: Gpt2Model,
    readonly config: OptimizerConfig,
    protected readonly runSeed: number,
  ) {
    validateZerothOrderConfig(config);
    this.stepParams = makeStepParams(ctx, `${config.name} step params`);
    this.owned.push(this.stepParams);

    const sizes = model.scratchSizes();
    for (const slot of Object.keys(sizes) as ScratchSlot[]) {
      const buffer = ctx.pool.storage(`${config.name} scratch ${slot}`, 'perturbation', sizes[slot] * 4);
      this.scratch.set(slot, buffer);
      this.owned.push(buffer);
    }

    this.perturbedView = (param, slot) => {
      if (!this.isTrainable(param)) return plainView(param, slot);
      const dst = this.scratch.get(slot);
      if (!dst) throw new Error(`${config.name}: unknown scratch slot "${slot}".`);
      // Every chunk lands in the same scratch buffer, which the forward reads before the next chunk.
      return param.chunks.map((chunk) => ({
        buffer: dst,
        rowStart: chunk.rowStart,
        rows: chunk.rows,
        dispatches: [this.perturbDispatch(param, chunk, chunk.buffer, dst, false)],
      }));
    };
    this.updateDispatches = [];
  }

  /** Must be called by subclasses at the end of their constructor, once their own state exists. */
  protected finishSetup(): void {
    const { buffers } = this.ctx.pool.capture(() => {
      for (const param of this.model.parameters) {
        if (!this.isTrainable(param)) continue;
        for (const chunk of param.chunks) this.updateDispatches.push(this.perturbDispatch(param, chunk, chunk.buffer, chunk.buffer, param.decay));
      }
    });
    this.owned.push(...buffers);
  }

  /** Tells whether `param` is perturbed and updated; frozen embeddings are read as they are. */
  protected isTrainable(param: Parameter): boolean {
    return !(this.config.freezeEmbeddings && EMBEDDING_NAMES.has(param.name));
  }

  /**
   * Builds `dst = keep·src + c·Z(param)` over the rows `chunk` of param, which src and dst contain.
   * The full-rank form draws z ~ N(0, I) element-wise, at each element's index in the whole tensor.
   */
  protected perturbDispatch(param: Parameter, chunk: RowRange, src: GPUBuffer, dst: GPUBuffer, applyDecay: boolean): Dispatch {
    const label = chunkLabel(`${this.config.name} ${src === dst ? 'update' : 'perturb'} ${param.name}`, chunk, param.chunks.length);
    return makePerturbFull(this.ctx, label, {
      src,
      dst,
      n: chunk.rows * param.cols,
      stream: param.index,
      applyDecay,
      step: this.stepParams,
      indexOffset: chunk.rowStart * param.cols,
    });
  }

  prepareDispatches(_step: number): Dispatch[] {
    return [];
  }

  setPass(pass: Pass, step: number, projectedGrad = 0): void {
    const seed = stepSeed(this.runSeed, step);
    const { learningRate, perturbationScale, weightDecay } = this.config;
    if (pass === 'plus') writeStepParams(this.ctx, this.stepParams, { seed, c: perturbationScale, keep: 1 });
    else if (pass === 'minus') writeStepParams(this.ctx, this.stepParams, { seed, c: -perturbationScale, keep: 1 });
    else writeStepParams(this.ctx, this.stepParams, { seed, c: -learningRate * projectedGrad, keep: 1 - learningRate * weightDecay });
  }

  release(): void {
    for (const buffer of this.owned) this.ctx.pool.release(buffer);
    this.owned.length = 0;
  }
}
