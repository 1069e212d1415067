/**
 * The vision run loop: a VisionRunConfig and its images in, RunEvents out. Like the language-model
 * loop it has no React and no DOM, so it runs in the page's Web Worker and in Node.
 *
 * Per step it submits one command buffer (forward, loss, backward, optimizer update) and reads back
 * two numbers: the batch's loss sum and correct count. Evaluation walks the first `evalExamples`
 * held-out images in fixed order, so every evaluation of a run uses the same images.
 */
import type { GpuContext } from '../../kernels/gpu/context';
import { encodeDispatches, type Dispatch } from '../../kernels/gpu/dispatch';
import { SeededRng } from '../data/rng';
import type { ImageDataset } from '../data/images';
import { VisionNet, type VisionBatch } from '../model/vision';
import { exportVisionSafetensors } from '../model/export';
import type { VisionOptimizer } from '../model/vision-types';
import { createVisionOptimizer } from '../optim/vision';
import { BATCH_SEED_KEY, deriveSeed } from '../optim/zo';
import { describeFailure } from './failure';
import { pluralize } from './plural';
import type { RunControl } from './loop';
import type { VisionResources } from './vision-resources';
import type { RunEvent, VisionRunConfig } from './types';

/** Largest held-out batch; evaluation runs in chunks of this many images. */
const MAX_EVAL_BATCH = 256;

export async function runVisionTraining(
  ctx: GpuContext,
  config: VisionRunConfig,
  resources: VisionResources,
  emit: (event: RunEvent) => void,
  control: RunControl,
): Promise<void> {
  let step = 0;
  let trainMs = 0;
  let session: VisionSession | null = null;
  try {
    session = ctx.pool.capture(() => new VisionSession(ctx, config, resources)).result;
    const { split } = resources;
    emit({
      type: 'started',
      adapter: ctx.adapterName,
      parameterCount: session.net.parameterCount,
      trainSize: split.train.count,
      evalSize: session.evalCount,
      sizeUnit: 'images',
      memoryBytes: ctx.pool.bytes(),
    });
    emit({
      type: 'log',
      level: 'info',
      message:
        `Run started: ${config.model.architecture} with ${describeOptimizer(config)}, ${pluralize(config.steps, 'step')}, seed ${config.seed}, on ${ctx.adapterName}. ` +
        `Dataset ${resources.datasetName}: ${split.train.width}×${split.train.height}×${split.train.channels}, ${pluralize(split.train.classes.length, 'class', 'classes')}; held out: ${split.splitRule}`,
    });

    const evaluate = async (at: number) => {
      const { loss, accuracy } = await session!.evaluate();
      emit({ type: 'eval', step: at, evalLoss: loss, accuracy, elapsedMs: trainMs });
      for (const message of await session!.optimizer.drainWarnings()) emit({ type: 'log', level: 'warn', message });
    };
    if (config.evalEvery > 0) await evaluate(0);

    for (step = 0; step < config.steps; step++) {
      if (control.stopRequested) break;
      if (ctx.lost) throw new Error(ctx.lost.message);
      const started = performance.now();
      const loss = await session.step(step);
      trainMs += performance.now() - started;
      if (!Number.isFinite(loss)) {
        for (const message of await session.optimizer.drainWarnings()) emit({ type: 'log', level: 'warn', message });
        throw new Error(
          `Training diverged at step ${step + 1}: the batch loss is ${loss}, so a gradient or weight became non-finite. ` +
            `Results up to step ${step} are kept. Lower the learning rate (now ${learningRate(config)}) and run again.`,
        );
      }
      emit({ type: 'step', step: step + 1, loss, elapsedMs: trainMs, memoryBytes: ctx.pool.bytes() });
      if (config.evalEvery > 0 && ((step + 1) % config.evalEvery === 0 || step + 1 === config.steps)) await evaluate(step + 1);
    }
    if (control.exportWeights) {
      emit({ type: 'weights', step, fileName: `${config.model.architecture}-${config.optimizer.name}-step${step}.safetensors`, safetensors: await exportVisionSafetensors(session.net) });
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

function learningRate(config: VisionRunConfig): number {
  const optimizer = config.optimizer;
  return 'base' in optimizer ? optimizer.base.learningRate : optimizer.learningRate;
}

/** Describes the optimizer for the start log line, e.g. "shampoo4 (base sgd, T1 10, T2 50, linear-2)". */
export function describeOptimizer(config: VisionRunConfig): string {
  const optimizer = config.optimizer;
  if (!('base' in optimizer)) return `${optimizer.name} (lr ${optimizer.learningRate})`;
  const extra = optimizer.name === 'shampoo4' ? `, ${optimizer.quantize === 'factor' ? 'quantized factors' : optimizer.codebook}${optimizer.rectify === false ? ', no rectification' : ''}` : '';
  return `${optimizer.name} (base ${optimizer.base.name}, lr ${optimizer.base.learningRate}, T1 ${optimizer.factorPeriod}, T2 ${optimizer.rootPeriod}${extra})`;
}

/**
 * The GPU state of one vision run: the network, its optimizer, a training and an evaluation batch,
 * and the readback of the batch result. Exposed for the benchmark, which times its pieces.
 */
export class VisionSession {
  readonly net: VisionNet;
  readonly optimizer: VisionOptimizer;
  readonly evalCount: number;
  private readonly trainBatch: VisionBatch;
  private readonly evalBatch: VisionBatch;
  private readonly trainDispatches: Dispatch[];
  private readonly evalDispatches: Dispatch[];
  private readonly readback: GPUBuffer;
  private readonly train: ImageDataset;
  private readonly heldOut: ImageDataset;
  private readonly imageSize: number;
  private readonly batchImages: Float32Array;
  private readonly batchLabels: Uint32Array;
  /** Shuffled training order of the current epoch. */
  private order: Uint32Array | null = null;
  private orderEpoch = -1;

  constructor(
    readonly ctx: GpuContext,
    readonly config: VisionRunConfig,
    resources: VisionResources,
  ) {
    this.train = resources.split.train;
    this.heldOut = resources.split.eval;
    const { width, height, channels } = this.train;
    this.imageSize = width * height * channels;
    if (this.train.count === 0) throw new Error(`${resources.datasetName}: the training split has no images.`);
    if (this.heldOut.count === 0) throw new Error(`${resources.datasetName}: the held-out split has no images.`);
    this.evalCount = Math.min(config.evalExamples, this.heldOut.count);

    this.net = new VisionNet(ctx, config.model.architecture, { width, height, channels }, this.train.classes.length, config.seed);
    const maxCapacity = this.net.maxBatchCapacity();
    if (config.batchSize > maxCapacity) {
      throw new Error(`Batch size ${config.batchSize} needs more than this GPU's buffer limits allow for the ${config.model.architecture}; use at most ${maxCapacity}.`);
    }
    this.trainBatch = this.net.createBatch(config.batchSize, 'train batch');
    this.evalBatch = this.net.createBatch(Math.min(MAX_EVAL_BATCH, maxCapacity, this.evalCount), 'eval batch');
    this.trainDispatches = this.net.trainDispatches(this.trainBatch);
    this.evalDispatches = this.net.evalDispatches(this.evalBatch);
    this.optimizer = createVisionOptimizer(ctx, this.net.parameters, config.optimizer, config.seed);
    this.readback = ctx.pool.readback('vision result readback', 8);
    this.batchImages = new Float32Array(config.batchSize * this.imageSize);
    this.batchLabels = new Uint32Array(config.batchSize);
  }

  /** Runs training step `step` (0-based) and returns the mean loss of its batch before the update. */
  async step(step: number): Promise<number> {
    const B = this.config.batchSize;
    this.fillTrainingBatch(step);
    this.net.writeBatch(this.trainBatch, this.batchImages, this.batchLabels, B);
    const encoder = this.ctx.device.createCommandEncoder({ label: `vision step ${step + 1}` });
    encodeDispatches(encoder, this.trainDispatches, 'forward and backward');
    encodeDispatches(encoder, this.optimizer.stepDispatches(step), 'optimizer');
    encoder.copyBufferToBuffer(this.trainBatch.result, 0, this.readback, 0, 8);
    this.ctx.device.queue.submit([encoder.finish()]);
    const { lossSum } = await this.readResult();
    return lossSum / B;
  }

  /** Mean loss and accuracy over the first `evalCount` held-out images, with the current weights. */
  async evaluate(): Promise<{ loss: number; accuracy: number }> {
    const capacity = this.evalBatch.capacity;
    let lossSum = 0;
    let correct = 0;
    for (let first = 0; first < this.evalCount; first += capacity) {
      const count = Math.min(capacity, this.evalCount - first);
      const images = this.heldOut.images.subarray(first * this.imageSize, (first + count) * this.imageSize);
      const labels = this.heldOut.labels.subarray(first, first + count);
      this.net.writeBatch(this.evalBatch, images, labels, count);
      const encoder = this.ctx.device.createCommandEncoder({ label: 'vision eval' });
      encodeDispatches(encoder, this.evalDispatches, 'eval forward');
      encoder.copyBufferToBuffer(this.evalBatch.result, 0, this.readback, 0, 8);
      this.ctx.device.queue.submit([encoder.finish()]);
      const result = await this.readResult();
      lossSum += result.lossSum;
      correct += result.correctCount;
    }
    return { loss: lossSum / this.evalCount, accuracy: correct / this.evalCount };
  }

  /**
   * Copies the images of step `step` into the batch arrays. Batches walk a seeded shuffle of the
   * training set without replacement, epoch after epoch, so a run replays exactly from its seed.
   */
  private fillTrainingBatch(step: number): void {
    const B = this.config.batchSize;
    const N = this.train.count;
    for (let i = 0; i < B; i++) {
      const position = step * B + i;
      const epoch = Math.floor(position / N);
      const index = this.epochOrder(epoch)[position % N];
      this.batchImages.set(this.train.images.subarray(index * this.imageSize, (index + 1) * this.imageSize), i * this.imageSize);
      this.batchLabels[i] = this.train.labels[index];
    }
  }

  private epochOrder(epoch: number): Uint32Array {
    if (this.order && this.orderEpoch === epoch) return this.order;
    const N = this.train.count;
    const order = new Uint32Array(N);
    for (let i = 0; i < N; i++) order[i] = i;
    const rng = new SeededRng(deriveSeed(this.config.seed, BATCH_SEED_KEY, epoch));
    for (let i = N - 1; i > 0; i--) {
      const j = Math.floor(rng.nextFloat() * (i + 1));
      const swap = order[i];
      order[i] = order[j];
      order[j] = swap;
    }
    this.order = order;
    this.orderEpoch = epoch;
    return order;
  }

  private async readResult(): Promise<{ lossSum: number; correctCount: number }> {
    await this.readback.mapAsync(GPUMapMode.READ, 0, 8);
    const bytes = this.readback.getMappedRange(0, 8).slice(0);
    this.readback.unmap();
    return { lossSum: new Float32Array(bytes, 0, 1)[0], correctCount: new Uint32Array(bytes, 4, 1)[0] };
  }

  release(): void {
    this.optimizer.release();
    this.net.releaseBatch(this.trainBatch);
    this.net.releaseBatch(this.evalBatch);
    this.net.release();
    this.ctx.pool.release(this.readback);
  }
}
