/**
 * The run loop: RunConfig and resolved resources in, RunEvents out. No React and no DOM, so the same
 * code runs in the page's Web Worker and in Node for the CLI and benchmarks.
 *
 * Per step it submits three command buffers (+ε forward, −ε forward, update) and reads back only the
 * two losses. Bad input and GPU failures become `error` events; results already emitted stay valid.
 */
import type { GpuContext } from '../../kernels/gpu/context';
import { encodeDispatches, readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { Gpt2Model, plainView, type Activations, type ForwardPlan } from '../model/gpt2';
import { createOptimizer, type ZerothOrderOptimizer } from '../optim';
import { BATCH_SEED_KEY, deriveSeed } from '../optim/zo';
import { validateRunConfig } from './config';
import { describeFailure } from './failure';
import { pluralize } from './plural';
import { loadModel, type LoadedModel } from './load-model';
import { exportGpt2Safetensors } from '../model/export';
import { SeededRng } from '../data/rng';
import { checkSplitHoldsWindow, evalBatches, sampleBatch, tokenizeTexts, type TokenBatch } from '../data/token-windows';
import type { RunResources } from './resources';
import { runVisionTraining } from './vision-loop';
import type { VisionResources } from './vision-resources';
import type { LanguageModelRunConfig, RunConfig, RunEvent } from './types';

export interface RunControl {
  stopRequested: boolean;
  /** Read the weights back at the end of a completed or stopped run and emit a 'weights' event. */
  exportWeights?: boolean;
}

/** Losses read back per step: slot 0 is L+, slot 1 is L−, then one slot per eval batch. */
const PLUS_SLOT = 0;
const MINUS_SLOT = 1;
const EVAL_FIRST_SLOT = 2;

export async function runTraining(
  ctx: GpuContext,
  config: RunConfig,
  resources: RunResources | VisionResources,
  emit: (event: RunEvent) => void,
  control: RunControl,
): Promise<void> {
  const problems = validateRunConfig(config);
  if (problems.length) {
    emit({ type: 'error', message: `Invalid run configuration:\n- ${problems.join('\n- ')}` });
    emit({ type: 'finished', reason: 'error', step: 0, elapsedMs: 0 });
    return;
  }
  if (config.task === 'vision') {
    if (!('split' in resources)) throw new Error('runTraining: a vision run needs image resources (resolveVisionResources).');
    return runVisionTraining(ctx, config, resources, emit, control);
  }
  if (!('model' in resources)) throw new Error('runTraining: a language-model run needs text resources (resolveResources).');
  return runLanguageModelTraining(ctx, config, resources, emit, control);
}

async function runLanguageModelTraining(
  ctx: GpuContext,
  config: LanguageModelRunConfig,
  resources: RunResources,
  emit: (event: RunEvent) => void,
  control: RunControl,
): Promise<void> {
  let step = 0;
  let trainMs = 0;
  const stopOnDeviceLoss = () => {
    if (ctx.lost) throw new Error(ctx.lost.message);
  };
  let session: TrainingSession | null = null;
  try {
    const loaded = loadModel(resources.model);
    // A session that fails half-way (a sequence longer than the context, say) frees what it allocated.
    session = ctx.pool.capture(() => new TrainingSession(ctx, config, loaded, resources)).result;
    emit({
      type: 'started',
      adapter: ctx.adapterName,
      parameterCount: session.model.parameterCount,
      trainSize: session.trainTokens.length,
      evalSize: session.evalTokens.length,
      sizeUnit: 'tokens',
      memoryBytes: ctx.pool.bytes(),
    });
    emit({ type: 'log', level: 'info', message: `Run started: ${config.optimizer.name}, ${pluralize(config.steps, 'step')}, seed ${config.seed}, on ${ctx.adapterName}.` });

    if (config.sampleTokens > 0) {
      emit({ type: 'sample', step: 0, when: 'before', prompt: config.samplePrompt, text: await session.generate(config.samplePrompt, config.sampleTokens) });
    }
    if (config.evalEvery > 0) emit({ type: 'eval', step: 0, evalLoss: await session.evaluate(), elapsedMs: 0 });

    for (step = 0; step < config.steps; step++) {
      if (control.stopRequested) break;
      stopOnDeviceLoss();
      const started = performance.now();
      const { loss, projectedGrad } = await session.step(step);
      trainMs += performance.now() - started;
      if (!Number.isFinite(loss) || !Number.isFinite(projectedGrad)) {
        throw new Error(
          `Training diverged at step ${step + 1}: loss ${loss}, projected gradient ${projectedGrad}. ` +
            `Lower the learning rate (now ${config.optimizer.learningRate}) or the perturbation scale (now ${config.optimizer.perturbationScale}).`,
        );
      }
      emit({ type: 'step', step: step + 1, loss, projectedGrad, elapsedMs: trainMs, memoryBytes: ctx.pool.bytes() });
      if (config.evalEvery > 0 && ((step + 1) % config.evalEvery === 0 || step + 1 === config.steps)) {
        emit({ type: 'eval', step: step + 1, evalLoss: await session.evaluate(), elapsedMs: trainMs });
      }
    }

    if (control.exportWeights) {
      emit({ type: 'weights', step, fileName: `${safeFileStem(resources.model.name)}-${config.optimizer.name}-step${step}.safetensors`, safetensors: await exportGpt2Safetensors(ctx, session.model) });
    }
    if (config.sampleTokens > 0) {
      emit({ type: 'sample', step, when: 'after', prompt: config.samplePrompt, text: await session.generate(config.samplePrompt, config.sampleTokens) });
    }
    const reason = control.stopRequested && step < config.steps ? 'stopped' : 'completed';
    emit({ type: 'log', level: 'info', message: `Run ${reason} after ${pluralize(step, 'step')}.` });
    emit({ type: 'finished', reason, step, elapsedMs: trainMs });
  } catch (error) {
    emit({ type: 'error', message: ctx.lost?.message ?? describeFailure(error, step) });
    emit({ type: 'finished', reason: 'error', step, elapsedMs: trainMs });
  } finally {
    if (!ctx.lost) session?.release();
  }
}

/**
 * The GPU state of one run: model, optimizer, activations, forward plans and the loss readback.
 * Exposed for the CLI benchmark, which times its pieces.
 */
export class TrainingSession {
  readonly model: Gpt2Model;
  readonly optimizer: ZerothOrderOptimizer;
  readonly activations: Activations;
  readonly plainPlan: ForwardPlan;
  readonly perturbedPlan: ForwardPlan;
  readonly trainTokens: Uint32Array;
  readonly evalTokens: Uint32Array;
  private readonly evalBatches: TokenBatch[];
  private readonly lossSlots: GPUBuffer;
  private readonly lossReadback: GPUBuffer;

  constructor(
    readonly ctx: GpuContext,
    readonly config: LanguageModelRunConfig,
    readonly loaded: LoadedModel,
    resources: RunResources,
  ) {
    const { batchSize: B, sequenceLength: T } = config;
    const vocabSize = loaded.config.vocabSize;
    this.trainTokens = tokenizeTexts(loaded.tokenizer, resources.train, vocabSize, `${resources.datasetName} (train)`);
    this.evalTokens = tokenizeTexts(loaded.tokenizer, resources.eval, vocabSize, `${resources.datasetName} (eval)`);
    const totalTokens = this.trainTokens.length + this.evalTokens.length;
    checkSplitHoldsWindow(this.trainTokens.length, totalTokens, T, resources.datasetName, 'train');
    checkSplitHoldsWindow(this.evalTokens.length, totalTokens, T, resources.datasetName, 'eval');
    this.evalBatches = evalBatches(this.evalTokens, B, T, config.evalBatches);

    this.model = new Gpt2Model(ctx, loaded.config, loaded.weights);
    this.activations = this.model.createActivations(B, T);
    this.optimizer = createOptimizer(ctx, this.model, config.optimizer, config.seed);
    this.plainPlan = this.model.buildForward(this.activations, plainView, 'eval forward');
    this.perturbedPlan = this.model.buildForward(this.activations, this.optimizer.perturbedView, 'perturbed forward');
    const slots = EVAL_FIRST_SLOT + this.evalBatches.length;
    this.lossSlots = ctx.pool.storage('loss slots', 'activations', slots * 4);
    this.lossReadback = ctx.pool.readback('loss readback', slots * 4);
  }

  /** Runs one zeroth-order step and returns L+ and the projected gradient. */
  async step(step: number): Promise<{ loss: number; projectedGrad: number; lossMinus: number }> {
    const { ctx, model, optimizer, activations } = this;
    const queue = ctx.device.queue;
    model.writeBatch(activations, this.trainingBatch(step));

    optimizer.setPass('plus', step);
    queue.submit([this.encodeForward(this.perturbedPlan, PLUS_SLOT, optimizer.prepareDispatches(step))]);
    optimizer.setPass('minus', step);
    queue.submit([this.encodeForward(this.perturbedPlan, MINUS_SLOT, [], 2)]);
    const [lossPlus, lossMinus] = await this.readLosses(2);

    const projectedGrad = (lossPlus - lossMinus) / (2 * this.config.optimizer.perturbationScale);
    optimizer.setPass('update', step, projectedGrad);
    runDispatches(ctx, optimizer.updateDispatches, 'zo update');
    return { loss: lossPlus, projectedGrad, lossMinus };
  }

  /** Returns the batch of `step`: its windows depend only on (run seed, step), so runs replay and resume exactly. */
  trainingBatch(step: number): TokenBatch {
    const batchSeed = deriveSeed(this.config.seed, BATCH_SEED_KEY, step);
    return sampleBatch(this.trainTokens, this.config.batchSize, this.config.sequenceLength, new SeededRng(batchSeed));
  }

  /** Mean held-out loss over the fixed eval batches, with the unperturbed weights. */
  async evaluate(): Promise<number> {
    const queue = this.ctx.device.queue;
    const count = this.evalBatches.length;
    for (let i = 0; i < count; i++) {
      this.model.writeBatch(this.activations, this.evalBatches[i]);
      queue.submit([this.encodeForward(this.plainPlan, EVAL_FIRST_SLOT + i, [], i === count - 1 ? EVAL_FIRST_SLOT + count : 0)]);
    }
    const losses = await this.readLosses(EVAL_FIRST_SLOT + count);
    let sum = 0;
    for (let i = 0; i < count; i++) sum += losses[EVAL_FIRST_SLOT + i];
    return sum / count;
  }

  /** Samples `count` tokens after `prompt` (temperature 0.8, seeded) with a B=1 plan over the last min(P, 256) tokens. */
  async generate(prompt: string, count: number): Promise<string> {
    const { ctx, model, loaded } = this;
    const P = Math.min(loaded.config.nPositions, 256);
    const activations = model.createActivations(1, P, 'sample');
    const plan = model.buildForward(activations, plainView, 'sample forward');
    try {
      const ids = loaded.tokenizer.encode(prompt);
      const generated: number[] = [];
      const rng = new SeededRng(this.config.seed);
      const inputs = new Uint32Array(P);
      const zeros = new Float32Array(P);
      for (let i = 0; i < count; i++) {
        const context = [...ids, ...generated].slice(-P);
        inputs.fill(0);
        inputs.set(context);
        model.writeBatch(activations, { inputs, targets: inputs, mask: zeros });
        runDispatches(ctx, plan.dispatches, 'sample forward');
        const V = loaded.config.vocabSize;
        const logits = await readF32(ctx, activations.logits, V, (context.length - 1) * V);
        generated.push(sampleToken(logits, 0.8, rng.nextFloat()));
      }
      return loaded.tokenizer.decode(generated);
    } finally {
      model.releasePlan(plan);
      model.releaseActivations(activations);
    }
  }

  private encodeForward(plan: ForwardPlan, slot: number, before: ReturnType<ZerothOrderOptimizer['prepareDispatches']>, readSlots = 0): GPUCommandBuffer {
    const encoder = this.ctx.device.createCommandEncoder({ label: `forward to slot ${slot}` });
    // Separate passes keep the step loop free of array copies; passes run in order.
    if (before.length) encodeDispatches(encoder, before, 'prepare');
    encodeDispatches(encoder, plan.dispatches, 'forward');
    encoder.copyBufferToBuffer(plan.activations.loss, 0, this.lossSlots, slot * 4, 4);
    if (readSlots > 0) encoder.copyBufferToBuffer(this.lossSlots, 0, this.lossReadback, 0, readSlots * 4);
    return encoder.finish();
  }

  private async readLosses(count: number): Promise<Float32Array> {
    await this.lossReadback.mapAsync(GPUMapMode.READ, 0, count * 4);
    const values = new Float32Array(this.lossReadback.getMappedRange(0, count * 4).slice(0));
    this.lossReadback.unmap();
    return values;
  }

  release(): void {
    this.model.releasePlan(this.plainPlan);
    this.model.releasePlan(this.perturbedPlan);
    this.optimizer.release();
    this.model.releaseActivations(this.activations);
    this.model.release();
    this.ctx.pool.release(this.lossSlots);
    this.ctx.pool.release(this.lossReadback);
  }
}

/** Draws a token from softmax(logits / temperature) with the uniform number `u` in [0, 1). */
export function sampleToken(logits: Float32Array, temperature: number, u: number): number {
  let max = -Infinity;
  for (const value of logits) max = Math.max(max, value);
  const weights = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    weights[i] = Math.exp((logits[i] - max) / temperature);
    sum += weights[i];
  }
  let target = u * sum;
  for (let i = 0; i < logits.length; i++) {
    target -= weights[i];
    if (target <= 0) return i;
  }
  return logits.length - 1;
}

/** Turns a model name or path into a file-name stem: its last path segment, with unusual characters replaced. */
function safeFileStem(name: string): string {
  const last = name.split(/[\\/]/).filter(Boolean).pop() ?? 'model';
  return last.replace(/[^A-Za-z0-9._-]+/g, '-') || 'model';
}
