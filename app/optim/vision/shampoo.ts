/**
 * Shampoo on the GPU for the vision nets, 32-bit ('shampoo32') and 4-bit ('shampoo4'), composed
 * from the linear-algebra, quantizer, reduction, grafting and first-order kernels.
 *
 * Per step s (0-based), for each parameter with a matrix view G (m×n), block by block:
 *   s mod T1 = 0:         factor step of L and R (shampoo-factors.ts)
 *   s > 0, s mod T2 = 0:  root step of L̂ and R̂, after that step's factor step
 *   always:               Ĝ_block = L̂·G_block·R̂ (identity roots before step T2), merged into Ĝ
 * then G̃ = Ĝ·‖G‖_F / (‖Ĝ‖_F + 1e-12) and the base optimizer (SGD or AdamW) steps with G̃.
 * Parameters without a matrix view (biases) take the base optimizer on their gradient.
 *
 * Memory: factor state is counted as `preconditioner` (f32 matrices, eigenvalues, 4-bit codes) and
 * `quantization-scales` (absmax). The base optimizer's state, the health status words and the event
 * log are `optimizer-state`. The f32 scratch of the updates is `activations`: one set, sized for
 * the largest factor order, block and parameter, shared by all factors.
 *
 * Nothing is read back per step: non-finite updates are caught and skipped on the GPU, and
 * `drainWarnings` reads the event log when the run loop asks.
 */
import type { GpuContext } from '../../../kernels/gpu/context';
import type { Dispatch } from '../../../kernels/gpu/dispatch';
import type { MemoryBytes } from '../../../kernels/gpu/pool';
import { makeBlockScatter } from '../../../kernels/block-copy/block-copy';
import { makeGraft } from '../../../kernels/graft/graft';
import { createLinalgWorkspace } from '../../../kernels/linalg/common';
import { makeGemm, rowMajor } from '../../../kernels/linalg/gemm';
import { ROOT_FLAGS } from '../../../kernels/linalg/root-status';
import { quant4Layout } from '../../../kernels/quant4/quant4';
import { makeSumSquares, reducePartialsLength } from '../../../kernels/reduce/reduce';
import type { VisionOptimizer, VisionParameter } from '../../model/vision-types';
import type { ShampooConfig } from '../../run/types';
import { BaseUpdate, checkStepOrder } from './first-order';
import { HEALTH_LOG_CAPACITY, HEALTH_LOG_WORDS, makeHealthClock, readHealthEvents, writeHealthClock, type HealthEvent } from './health';
import { OwnedBuffers } from './owned-buffers';
import { isFactorStep, isRootStep, planShampoo, scratchShape, type BlockPlan, type MatrixPlan } from './shampoo-blocks';
import { EVENT_KIND, FACTOR_STATUS_WORDS, ShampooFactor, type FactorBuffers, type FactorContext, type FactorScratch, type GradientBlock } from './shampoo-factors';

interface BlockState {
  plan: BlockPlan;
  left: ShampooFactor;
  right: ShampooFactor;
  gradient: GradientBlock;
  /** Ĝ_block = L̂·G_block·R̂, merged into the direction. */
  direction: Dispatch[];
}

interface ParameterSteps {
  blocks: BlockState[] | null;
  /** Norms and grafting (matrix parameters only). */
  graft: Dispatch[];
  base: Dispatch;
}

/** Step kinds, as a cache key: bit 0 = factor step, bit 1 = root step. */
type StepKind = 0 | 1 | 2 | 3;

export class ShampooOptimizer implements VisionOptimizer {
  readonly name: string;
  private readonly owned: OwnedBuffers;
  private readonly plans: MatrixPlan[];
  private readonly factors: ShampooFactor[] = [];
  private readonly steps: ParameterSteps[];
  private readonly cache = new Map<StepKind, Dispatch[]>();
  private readonly base: BaseUpdate;
  private readonly clock: GPUBuffer;
  private readonly log: GPUBuffer;
  private nextStep = 0;
  private dropped = 0;

  constructor(
    private readonly ctx: GpuContext,
    private readonly parameters: readonly VisionParameter[],
    private readonly config: ShampooConfig,
  ) {
    this.name = config.name;
    checkConfig(config);
    for (const param of parameters) {
      if (param.matrix && param.matrix.rows * param.matrix.cols !== param.size) {
        throw new Error(`${config.name}: ${param.name} has a ${param.matrix.rows}×${param.matrix.cols} matrix view but ${param.size} elements`);
      }
    }
    this.plans = planShampoo(parameters, config);
    this.owned = new OwnedBuffers(ctx);
    try {
      this.base = new BaseUpdate(ctx, this.owned, config.base, config.name);
      this.clock = this.owned.capture(() => makeHealthClock(ctx, `${config.name} clock`));
      this.log = this.owned.storage(`${config.name} health log`, 'optimizer-state', HEALTH_LOG_WORDS * 4);
      this.steps = this.owned.capture(() => this.build());
    } catch (error) {
      this.owned.releaseAll();
      throw error;
    }
  }

  private build(): ParameterSteps[] {
    const { ctx, owned, config } = this;
    const shape = scratchShape(this.plans);
    const factorCount = this.plans.reduce((sum, plan) => sum + 2 * plan.blocks.length, 0);
    const status = owned.storage(`${config.name} status`, 'optimizer-state', Math.max(1, factorCount) * FACTOR_STATUS_WORDS * 4);
    const scratch = this.createScratch(shape.maxOrder, shape.maxMatrixElements);
    const fc: FactorContext = { ctx, owned, config, scratch, status, log: this.log, clock: this.clock };

    // Ĝ and the block products: one buffer each, sized for the largest parameter and block.
    const direction = owned.storage(`${config.name} direction`, 'activations', shape.maxMatrixElements * 4);
    const leftProduct = owned.storage(`${config.name} L̂·G`, 'activations', shape.maxBlockElements * 4);
    const blockDirection = owned.storage(`${config.name} block direction`, 'activations', shape.maxBlockElements * 4);
    const norms = owned.storage(`${config.name} norms`, 'activations', Math.max(1, 2 * this.plans.length) * 4);

    const planOf = new Map(this.plans.map((plan, index) => [plan.parameterIndex, { plan, index }]));
    return this.parameters.map((param, parameterIndex) => {
      const entry = planOf.get(parameterIndex);
      if (!entry) return { blocks: null, graft: [], base: this.base.makeUpdate(param, param.grad) };

      const { plan, index } = entry;
      const blocks = plan.blocks.map((block) => this.buildBlock(fc, param, plan, block, { direction, leftProduct, blockDirection }));

      const n = param.size;
      const graft = [
        ...makeSumSquares(ctx, `${param.name} ‖G‖²`, { src: param.grad, n, results: norms, index: 2 * index, partials: scratch.partials }),
        ...makeSumSquares(ctx, `${param.name} ‖Ĝ‖²`, { src: direction, n, results: norms, index: 2 * index + 1, partials: scratch.partials }),
        makeGraft(ctx, `${param.name} graft`, { direction, n, results: norms, gradientIndex: 2 * index, directionIndex: 2 * index + 1 }),
      ];
      return { blocks, graft, base: this.base.makeUpdate(param, direction) };
    });
  }

  /** Creates the two factors of one block and the dispatches of Ĝ_block = L̂·G_block·R̂, merged into `out.direction`. */
  private buildBlock(
    fc: FactorContext,
    param: VisionParameter,
    plan: MatrixPlan,
    block: BlockPlan,
    out: { direction: GPUBuffer; leftProduct: GPUBuffer; blockDirection: GPUBuffer },
  ): BlockState {
    const { ctx } = this;
    const left = new ShampooFactor(fc, block.left, this.factors.length);
    this.factors.push(left);
    const right = new ShampooFactor(fc, block.right, this.factors.length);
    this.factors.push(right);

    const h = block.rows;
    const w = block.cols;
    const gradient: GradientBlock = { g: param.grad, rows: h, cols: w, offset: block.r0 * plan.cols + block.c0, rowStride: plan.cols };
    const single = plan.blocks.length === 1;
    const leftRoot = left.rootForUse();
    const rightRoot = right.rootForUse();
    const direction = [
      ...leftRoot.dispatches,
      makeGemm(ctx, `${block.label} L̂·G`, {
        a: rowMajor(leftRoot.root, h),
        b: { buffer: param.grad, offset: gradient.offset, rowStride: plan.cols, colStride: 1 },
        out: out.leftProduct,
        m: h,
        k: h,
        n: w,
      }),
      ...rightRoot.dispatches,
      makeGemm(ctx, `${block.label} L̂·G·R̂`, {
        a: rowMajor(out.leftProduct, w),
        b: rowMajor(rightRoot.root, w),
        out: single ? out.direction : out.blockDirection,
        m: h,
        k: w,
        n: w,
      }),
    ];
    if (!single) {
      const args = { matrix: out.direction, block: out.blockDirection, rows: plan.rows, cols: plan.cols, r0: block.r0, c0: block.c0, h, w };
      direction.push(makeBlockScatter(ctx, `${block.label} merge`, args));
    }
    return { plan: block, left, right, gradient, direction };
  }

  /**
   * Creates the f32 scratch shared by the factor and root steps, counted as activations. A buffer
   * that no factor of this plan uses (the eigenvector and 4-bit buffers under shampoo32, say) gets
   * one word, so every role is filled at no cost.
   */
  private createScratch(order: number, maxMatrixElements: number): FactorScratch {
    const { owned, config } = this;
    const label = `${config.name} scratch`;
    const storages = new Set(this.plans.flatMap((plan) => plan.blocks.flatMap((block) => [block.left.storage, block.right.storage])));
    const eigen = storages.has('eigen-fp32') || storages.has('eigen-4bit');
    const quantized = storages.has('eigen-4bit') || storages.has('factor-4bit');
    const buffer = (name: string, bytes: number, needed = true) => owned.storage(`${label} ${name}`, 'activations', needed ? bytes : 4);
    const layout = quant4Layout(order, order);
    // The workspace buffers come from the pool directly; the capture around build() takes ownership of them.
    const workspace = createLinalgWorkspace(this.ctx, `${label} workspace`, order, 'activations');
    const partialWords = Math.max(1, reducePartialsLength(order * order), reducePartialsLength(maxMatrixElements));
    return {
      order,
      workspace,
      candidate: buffer('candidate', order * order * 4),
      matrix: buffer('matrix', order * order * 4, eigen || quantized),
      eigenvectors: buffer('eigenvectors', order * order * 4, eigen),
      values: buffer('eigenvalues', order * 4, eigen),
      codes: buffer('codes', layout.codeBytes, quantized),
      absmax: buffer('absmax', layout.scaleBytes, quantized),
      diagonal: buffer('diagonal', order * 4, quantized),
      partials: buffer('partials', partialWords * 4),
    };
  }

  stepDispatches(step: number): Dispatch[] {
    checkStepOrder(this.name, step, this.nextStep);
    this.nextStep = step + 1;
    this.base.writeStep(step);
    writeHealthClock(this.ctx, this.clock, step);

    const kind = ((isFactorStep(this.config, step) ? 1 : 0) | (isRootStep(this.config, step) ? 2 : 0)) as StepKind;
    let dispatches = this.cache.get(kind);
    if (!dispatches) {
      dispatches = this.assemble(kind);
      this.cache.set(kind, dispatches);
    }
    return dispatches;
  }

  /** Orders the prepared dispatches of one kind of step. */
  private assemble(kind: StepKind): Dispatch[] {
    const dispatches: Dispatch[] = [];
    for (const steps of this.steps) {
      for (const block of steps.blocks ?? []) {
        if (kind & 1) dispatches.push(...block.left.factorDispatches(block.gradient), ...block.right.factorDispatches(block.gradient));
        if (kind & 2) dispatches.push(...block.left.rootDispatches(), ...block.right.rootDispatches());
        dispatches.push(...block.direction);
      }
      dispatches.push(...steps.graft, steps.base);
    }
    return dispatches;
  }

  async drainWarnings(): Promise<string[]> {
    const { events, dropped } = await readHealthEvents(this.ctx, this.log);
    const messages = events.map((event) => this.describe(event));
    if (dropped > 0) {
      this.dropped += dropped;
      messages.push(`${this.name}: ${dropped} more non-finite preconditioner updates were skipped but not logged (${this.dropped} in all); the event log stores ${HEALTH_LOG_CAPACITY} per read.`);
    }
    return messages;
  }

  private describe(event: HealthEvent): string {
    const factor = this.factors[event.tensor];
    const tensor = factor ? factor.plan.label : `factor ${event.tensor}`;
    if (event.kind === EVENT_KIND.factor) {
      const kept = factor && factor.plan.storage.startsWith('eigen') ? 'the previous eigenvectors and eigenvalues are kept' : 'the previous factor is kept';
      return `${this.name}: ${tensor}: the factor update at step ${event.step} had ${event.detail} non-finite entries; ${kept}.`;
    }
    const reasons: string[] = [];
    if (event.detail & ROOT_FLAGS.NONFINITE_INPUT) reasons.push('non-finite input');
    if (event.detail & ROOT_FLAGS.INVALID_SCALE) reasons.push('zero or infinite scale');
    if (event.detail & ROOT_FLAGS.NONFINITE_RESULT) reasons.push('non-finite result');
    return `${this.name}: ${tensor}: the inverse root at step ${event.step} was rejected (${reasons.join(', ')}); the previous root is kept.`;
  }

  stateBytes(): Partial<MemoryBytes> {
    return this.owned.stateBytes();
  }

  /** Returns the persistent buffers of one factor, for tests and inspection. */
  factorBuffers(parameterName: string, blockIndex: number, side: 'left' | 'right'): { storage: string; order: number; buffers: FactorBuffers } {
    const parameterIndex = this.parameters.findIndex((param) => param.name === parameterName);
    const block = this.steps[parameterIndex]?.blocks?.[blockIndex];
    if (!block) throw new Error(`${this.name}: ${parameterName} has no Shampoo block ${blockIndex}`);
    const factor = side === 'left' ? block.left : block.right;
    return { storage: factor.plan.storage, order: factor.plan.order, buffers: factor.buffers };
  }

  release(): void {
    this.owned.releaseAll();
    this.cache.clear();
  }
}

function checkConfig(config: ShampooConfig): void {
  const integers = { factorPeriod: config.factorPeriod, rootPeriod: config.rootPeriod, maxOrder: config.maxOrder };
  for (const [name, value] of Object.entries(integers)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${config.name}: ${name} must be a positive integer, got ${value}`);
  }
  if (!(config.factorDecay >= 0 && config.factorDecay < 1)) throw new Error(`${config.name}: factorDecay must be in [0, 1), got ${config.factorDecay}`);
  if (!(config.epsilon > 0) || !Number.isFinite(config.epsilon)) throw new Error(`${config.name}: epsilon must be positive and finite, got ${config.epsilon}`);
  if (config.name === 'shampoo4' && config.bits !== undefined && config.bits !== 4) throw new Error(`${config.name}: only 4-bit codes are supported, got bits = ${config.bits}`);
}
