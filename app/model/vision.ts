/**
 * The vision networks: an MLP and a small CNN on NHWC images. This file describes them for the UI,
 * initialises their parameters from a seed, and (VisionNet) builds their forward and backward
 * passes on the GPU as prepared dispatch lists of the project's kernels.
 *
 * mlp: flatten → Linear(H·W·C, 128) → ReLU → Linear(128, K).
 * cnn: Conv(C→16, 3×3, padding 1) → ReLU → MaxPool 2 → Conv(16→16, 3×3, padding 1) → ReLU →
 *      MaxPool 2 → flatten (NHWC order) → Linear(16·⌊⌊H/2⌋/2⌋·⌊⌊W/2⌋/2⌋, K).
 * K is the number of classes. Weights use the PyTorch layouts: Linear (out, in), conv (out, in, kh, kw).
 */
import { makeBiasGrad } from '../../kernels/bias-grad/bias-grad';
import { makeConv2dBackward, makeConv2dForward } from '../../kernels/conv2d/conv2d';
import { conv2dSizes, type Conv2dShape } from '../../kernels/conv2d/conv2d-shape';
import type { GpuContext } from '../../kernels/gpu/context';
import { makeBindGroup, makeUniform, readF32, readU32, writeUniform, type Dispatch } from '../../kernels/gpu/dispatch';
import { wgslConstants } from '../../kernels/gpu/pipelines';
import { makeMatmul } from '../../kernels/matmul/matmul';
import { makeMaxPool, makeMaxPoolBackward } from '../../kernels/pool/max-pool';
import type { MaxPoolShape } from '../../kernels/pool/max-pool-shape';
import { makeRelu, makeReluBackward } from '../../kernels/relu/relu';
import { makeSoftmaxCrossEntropy, type SoftmaxCrossEntropyDispatch } from '../../kernels/softmax-xent/softmax-xent';
import { SeededRng } from '../data/rng';
import type { VisionArchitecture } from '../run/types';
import type { VisionParameter } from './vision-types';

export type { VisionArchitecture } from '../run/types';

/** Hidden width of the MLP. */
export const MLP_HIDDEN = 128;
/** Output channels of both CNN convolutions. */
export const CNN_CHANNELS = 16;
/** Height and width of the CNN's convolution kernels. */
export const CONV_KERNEL = 3;
/** Zero padding on every side of the CNN's convolutions, which keeps H and W. */
export const CONV_PADDING = 1;
/** Window and stride of the CNN's max pooling. */
export const POOL_SIZE = 2;

/** Shape of one input image (stored NHWC). */
export interface VisionInputShape {
  height: number;
  width: number;
  channels: number;
}

export type VisionLayerKind = 'conv' | 'relu' | 'max-pool' | 'flatten' | 'linear';

/** One layer of a vision network, for display and for building the passes. */
export interface VisionLayerSpec {
  kind: VisionLayerKind;
  /** Parameter prefix of conv and linear layers ("conv1", "fc"); the empty string otherwise. */
  name: string;
  /** Per-image input shape: [H, W, C] for images, [features] after the flatten. */
  inputShape: number[];
  /** Per-image output shape, in the same convention. */
  outputShape: number[];
  /** One-line description, e.g. "Conv 1→16, 3×3, padding 1". */
  text: string;
}

/** One trainable tensor of a vision network, before it is uploaded. */
export interface VisionParameterSpec {
  /** e.g. "conv1.weight", "fc.bias". */
  name: string;
  /** PyTorch shape: Linear (out, in), conv (out, in, kh, kw), bias (out). */
  shape: number[];
  size: number;
  /** The matrix Shampoo preconditions, (out, in) or (out, in·kh·kw); null for biases. */
  matrix: { rows: number; cols: number } | null;
  /** Whether weight decay applies (false for biases). */
  decay: boolean;
  /** Inputs per output of the layer (in, or in·kh·kw), which sets the initialisation bound 1/√fanIn. */
  fanIn: number;
}

/** Architecture, layers and parameters of a vision network for one input shape and class count. */
export interface VisionNetSpec {
  architecture: VisionArchitecture;
  input: VisionInputShape;
  classCount: number;
  layers: VisionLayerSpec[];
  /** In the order VisionNet.parameters lists them. */
  parameters: VisionParameterSpec[];
  /** Total number of trainable values. */
  parameterCount: number;
}

function requirePositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`Vision network: ${name} must be a positive integer, got ${value}.`);
}

function weightAndBias(name: string, shape: number[]): VisionParameterSpec[] {
  const [out, ...rest] = shape;
  const fanIn = rest.reduce((a, b) => a * b, 1);
  return [
    { name: `${name}.weight`, shape, size: out * fanIn, matrix: { rows: out, cols: fanIn }, decay: true, fanIn },
    { name: `${name}.bias`, shape: [out], size: out, matrix: null, decay: false, fanIn },
  ];
}

function linearLayer(name: string, inFeatures: number, outFeatures: number): VisionLayerSpec {
  return { kind: 'linear', name, inputShape: [inFeatures], outputShape: [outFeatures], text: `Linear ${inFeatures}→${outFeatures}` };
}

function reluLayer(shape: number[]): VisionLayerSpec {
  return { kind: 'relu', name: '', inputShape: shape, outputShape: shape, text: 'ReLU' };
}

/**
 * Returns the layers and parameters of `architecture` for images of `input` shape and `classCount`
 * classes. Throws when a dimension is not a positive integer, there are fewer than 2 classes, or
 * (cnn) the image is smaller than 4×4, which the two poolings need.
 */
export function visionNetSpec(architecture: VisionArchitecture, input: VisionInputShape, classCount: number): VisionNetSpec {
  const { height: H, width: W, channels: C } = input;
  requirePositiveInteger('input height', H);
  requirePositiveInteger('input width', W);
  requirePositiveInteger('input channels', C);
  if (!Number.isInteger(classCount) || classCount < 2) throw new Error(`Vision network: the class count must be an integer >= 2, got ${classCount}.`);

  const layers: VisionLayerSpec[] = [];
  const parameters: VisionParameterSpec[] = [];
  if (architecture === 'mlp') {
    const features = H * W * C;
    layers.push({ kind: 'flatten', name: '', inputShape: [H, W, C], outputShape: [features], text: `Flatten ${H}×${W}×${C}` });
    layers.push(linearLayer('fc1', features, MLP_HIDDEN));
    layers.push(reluLayer([MLP_HIDDEN]));
    layers.push(linearLayer('fc2', MLP_HIDDEN, classCount));
    parameters.push(...weightAndBias('fc1', [MLP_HIDDEN, features]), ...weightAndBias('fc2', [classCount, MLP_HIDDEN]));
  } else if (architecture === 'cnn') {
    const minimum = POOL_SIZE * POOL_SIZE;
    if (H < minimum || W < minimum) {
      throw new Error(`Vision network: the cnn needs images of at least ${minimum}×${minimum} for its two ${POOL_SIZE}×${POOL_SIZE} poolings, got ${H}×${W}.`);
    }
    let shape = [H, W, C];
    for (const name of ['conv1', 'conv2']) {
      const [h, w, c] = shape;
      const convolved = [h, w, CNN_CHANNELS];
      layers.push({
        kind: 'conv',
        name,
        inputShape: shape,
        outputShape: convolved,
        text: `Conv ${c}→${CNN_CHANNELS}, ${CONV_KERNEL}×${CONV_KERNEL}, padding ${CONV_PADDING}`,
      });
      layers.push(reluLayer(convolved));
      const pooled = [Math.floor(h / POOL_SIZE), Math.floor(w / POOL_SIZE), CNN_CHANNELS];
      layers.push({ kind: 'max-pool', name: '', inputShape: convolved, outputShape: pooled, text: `MaxPool ${POOL_SIZE}×${POOL_SIZE}` });
      parameters.push(...weightAndBias(name, [CNN_CHANNELS, c, CONV_KERNEL, CONV_KERNEL]));
      shape = pooled;
    }
    const features = shape[0] * shape[1] * shape[2];
    layers.push({ kind: 'flatten', name: '', inputShape: shape, outputShape: [features], text: `Flatten ${shape.join('×')}` });
    layers.push(linearLayer('fc', features, classCount));
    parameters.push(...weightAndBias('fc', [classCount, features]));
  } else {
    throw new Error(`Vision network: unknown architecture ${JSON.stringify(architecture)}; expected "mlp" or "cnn".`);
  }

  const parameterCount = parameters.reduce((sum, parameter) => sum + parameter.size, 0);
  return { architecture, input: { ...input }, classCount, layers, parameters, parameterCount };
}

/**
 * Returns the initial values of every parameter of `spec`, in order, drawn from one SeededRng
 * stream: each value is U(−1/√fanIn, 1/√fanIn), PyTorch's default for Linear and Conv2d weights
 * and biases.
 */
export function initVisionParameters(spec: VisionNetSpec, seed: number): Float32Array[] {
  const rng = new SeededRng(seed);
  return spec.parameters.map((parameter) => {
    const bound = 1 / Math.sqrt(parameter.fanIn);
    const values = new Float32Array(parameter.size);
    for (let i = 0; i < values.length; i++) values[i] = (2 * rng.nextFloat() - 1) * bound;
    return values;
  });
}

/** Returns the conv2d shape of a CNN layer for `count` images. */
export function convShape(layer: VisionLayerSpec, count: number): Conv2dShape {
  const [H, W, C] = layer.inputShape;
  return { B: count, H, W, C, outChannels: layer.outputShape[2], KH: CONV_KERNEL, KW: CONV_KERNEL, stride: 1, padding: CONV_PADDING };
}

/** Returns the max-pool shape of a CNN layer for `count` images. */
export function poolShape(layer: VisionLayerSpec, count: number): MaxPoolShape {
  const [H, W, C] = layer.inputShape;
  return { B: count, H, W, C, kernel: POOL_SIZE };
}

// ---------------------------------------------------------------------------------------------
// The network on the GPU.

/** Threads of the batch-summary kernel, which runs as one workgroup. */
const SUMMARY_WORKGROUP_SIZE = 256;

/**
 * Sums the first `count` per-sample losses (f32) and correct flags (u32) of a batch into
 * result[0] (f32 bits) and result[1] (u32). Thread t adds entries t, t + WORKGROUP_SIZE, ... in
 * order, then a tree over the threads adds their sums, so the order depends on count alone and
 * the bits are the same on every run.
 */
const SUMMARY_SHADER = /* wgsl */ `
struct Params {
  count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> losses: array<f32>;
@group(0) @binding(2) var<storage, read> correct: array<u32>;
@group(0) @binding(3) var<storage, read_write> result: array<u32>;

var<workgroup> loss_sums: array<f32, WORKGROUP_SIZE>;
var<workgroup> correct_sums: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) thread: u32) {
  var loss_sum = 0.0;
  var correct_sum = 0u;
  for (var i = thread; i < params.count; i += WORKGROUP_SIZE) {
    loss_sum += losses[i];
    correct_sum += correct[i];
  }
  loss_sums[thread] = loss_sum;
  correct_sums[thread] = correct_sum;
  workgroupBarrier();

  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (thread < stride) {
      loss_sums[thread] += loss_sums[thread + stride];
      correct_sums[thread] += correct_sums[thread + stride];
    }
    workgroupBarrier();
  }

  if (thread == 0u) {
    result[0] = bitcast<u32>(loss_sums[0]);
    result[1] = correct_sums[0];
  }
}
`;

/** Buffers of one layer: its output and, for conv and max-pool layers, what the backward pass reads. */
interface LayerBuffers {
  /** The layer's output; ReLU and flatten return their input buffer (ReLU runs in place). */
  output: GPUBuffer;
  /** Conv: the im2col matrix [count·OH·OW, C·KH·KW], reused for its gradient in the backward pass. */
  cols: GPUBuffer | null;
  /** Max-pool: u32 flat input index of each output's maximum. */
  argmax: GPUBuffer | null;
}

/**
 * Input, activation and result buffers for batches of up to `capacity` images, with the dispatch
 * lists built on them. Made by VisionNet.createBatch and freed by VisionNet.releaseBatch.
 */
export class VisionBatch {
  /** Images written by the last writeBatch (count ≤ capacity). */
  count = 0;
  /** [capacity, H, W, C] f32. */
  readonly images: GPUBuffer;
  /** [capacity] u32. */
  readonly labels: GPUBuffer;
  /** [capacity, K] f32. */
  readonly logits: GPUBuffer;
  /** [capacity] f32 per-sample cross-entropy losses. */
  readonly losses: GPUBuffer;
  /** [capacity] u32, 1 where the first largest logit is at the label. */
  readonly correct: GPUBuffer;
  /** [capacity, K] f32, the gradient of the mean loss over the first count images with respect to the logits. */
  readonly dlogits: GPUBuffer;
  /**
   * Two 32-bit words written by both dispatch lists: the f32 sum of the first count losses, then
   * the u32 number of correct predictions among them. Read with readVisionBatchResult.
   */
  readonly result: GPUBuffer;
  /** @internal Uniform with count, read by the result summary. */
  readonly countUniform: GPUBuffer;
  /** @internal Per layer of the spec. */
  readonly layers: LayerBuffers[];
  /** @internal Every buffer of the batch, its plans and their kernels, freed together. */
  readonly buffers: GPUBuffer[] = [];
  /** @internal The loss dispatches of the built plans, whose row count writeBatch sets. */
  readonly lossDispatches: SoftmaxCrossEntropyDispatch[] = [];
  /** @internal Built by the first trainDispatches call. */
  train: Dispatch[] | null = null;
  /** @internal Built by the first evalDispatches call. */
  eval: Dispatch[] | null = null;

  constructor(
    readonly capacity: number,
    init: Pick<VisionBatch, 'images' | 'labels' | 'logits' | 'losses' | 'correct' | 'dlogits' | 'result' | 'countUniform' | 'layers'>,
    buffers: GPUBuffer[],
  ) {
    this.images = init.images;
    this.labels = init.labels;
    this.logits = init.logits;
    this.losses = init.losses;
    this.correct = init.correct;
    this.dlogits = init.dlogits;
    this.result = init.result;
    this.countUniform = init.countUniform;
    this.layers = init.layers;
    this.buffers.push(...buffers);
  }
}

/** Loss sum and correct count of a batch, as the dispatch lists leave them in VisionBatch.result. */
export interface VisionBatchResult {
  lossSum: number;
  correctCount: number;
}

/** Decodes the two words of VisionBatch.result, e.g. from the run loop's own staging buffer. */
export function decodeVisionBatchResult(words: Uint32Array): VisionBatchResult {
  if (words.length < 2) throw new Error(`decodeVisionBatchResult: expected 2 words, got ${words.length}.`);
  const lossSum = new Float32Array(Uint32Array.of(words[0]).buffer)[0];
  return { lossSum, correctCount: words[1] };
}

/** Reads a batch's result buffer, with a staging buffer per call: for tests and low-frequency reads. */
export async function readVisionBatchResult(ctx: GpuContext, batch: VisionBatch): Promise<VisionBatchResult> {
  return decodeVisionBatchResult(await readU32(ctx, batch.result, 2));
}

/**
 * A vision network on the GPU: its parameters in pooled buffers (weights and gradients) and the
 * prepared forward, loss and backward dispatches of each batch.
 */
export class VisionNet {
  readonly spec: VisionNetSpec;
  readonly parameters: VisionParameter[];
  private readonly imageSize: number;

  constructor(
    readonly ctx: GpuContext,
    architecture: VisionArchitecture,
    input: VisionInputShape,
    classCount: number,
    seed: number,
  ) {
    this.spec = visionNetSpec(architecture, input, classCount);
    this.imageSize = input.height * input.width * input.channels;
    const values = initVisionParameters(this.spec, seed);
    const pool = ctx.pool;
    const parameters: VisionParameter[] = [];
    try {
      this.spec.parameters.forEach((parameter, i) => {
        const weight = pool.storageFrom(parameter.name, 'weights', values[i]);
        let grad: GPUBuffer;
        try {
          grad = pool.storage(`${parameter.name} grad`, 'gradients', parameter.size * 4);
        } catch (error) {
          pool.release(weight);
          throw error;
        }
        const { name, shape, size, matrix, decay } = parameter;
        parameters.push({ name, shape, size, weight, grad, matrix, decay });
      });
    } catch (error) {
      for (const parameter of parameters) {
        pool.release(parameter.weight);
        pool.release(parameter.grad);
      }
      throw error;
    }
    this.parameters = parameters;
  }

  get parameterCount(): number {
    return this.spec.parameterCount;
  }

  get classCount(): number {
    return this.spec.classCount;
  }

  /** Overwrites every parameter with `values` (spec order, one array per parameter). */
  writeParameters(values: readonly Float32Array[]): void {
    if (values.length !== this.parameters.length) {
      throw new Error(`VisionNet.writeParameters: got ${values.length} arrays, expected one per parameter (${this.parameters.length}).`);
    }
    this.parameters.forEach((parameter, i) => {
      if (values[i].length !== parameter.size) {
        throw new Error(`VisionNet.writeParameters: ${parameter.name} needs ${parameter.size} values, got ${values[i].length}.`);
      }
      this.ctx.device.queue.writeBuffer(parameter.weight, 0, values[i] as Float32Array<ArrayBuffer>);
    });
  }

  /** Reads every parameter's weights, in spec order. */
  async readParameters(): Promise<Float32Array[]> {
    return Promise.all(this.parameters.map((parameter) => readF32(this.ctx, parameter.weight, parameter.size)));
  }

  /** Reads every parameter's gradient, in spec order. */
  async readGradients(): Promise<Float32Array[]> {
    return Promise.all(this.parameters.map((parameter) => readF32(this.ctx, parameter.grad, parameter.size)));
  }

  /**
   * Returns the largest batch capacity whose biggest buffer (for the cnn, the second im2col matrix)
   * fits in maxStorageBufferBindingSize. The pool rejects larger batches with the buffer's name.
   */
  maxBatchCapacity(): number {
    let largest = Math.max(this.imageSize, this.spec.classCount);
    for (const layer of this.spec.layers) {
      largest = Math.max(largest, elements(layer.outputShape));
      if (layer.kind === 'conv') largest = Math.max(largest, elements(layer.outputShape.slice(0, 2)) * layer.inputShape[2] * CONV_KERNEL * CONV_KERNEL);
    }
    return Math.floor(this.ctx.maxBindingBytes / (4 * largest));
  }

  /**
   * Allocates the input, label, activation and result buffers for batches of up to `capacity`
   * images. The buffers the backward pass adds (activation gradients) are allocated by the first
   * trainDispatches call, so evaluation batches do without them.
   */
  createBatch(capacity: number, label = 'batch'): VisionBatch {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`VisionNet.createBatch: capacity must be a positive integer, got ${capacity}.`);
    const { result, buffers } = this.ctx.pool.capture(() => this.allocateBatch(capacity, label));
    return new VisionBatch(capacity, result, buffers);
  }

  private allocateBatch(capacity: number, label: string): ConstructorParameters<typeof VisionBatch>[1] {
    const pool = this.ctx.pool;
    const make = (name: string, floats: number) => pool.storage(`${label} ${name}`, 'activations', floats * 4);
    const images = make('images', capacity * this.imageSize);
    const logits = make('logits', capacity * this.spec.classCount);
    const layers: LayerBuffers[] = [];
    let x = images;
    this.spec.layers.forEach((layer, l) => {
      const name = layer.name || `${layer.kind}${l}`;
      const outputSize = capacity * elements(layer.outputShape);
      const last = l === this.spec.layers.length - 1;
      let buffers: LayerBuffers = { output: x, cols: null, argmax: null };
      if (layer.kind === 'conv') {
        const { rows, patch } = conv2dSizes(name, convShape(layer, capacity));
        buffers = { output: make(`${name} output`, outputSize), cols: make(`${name} im2col`, rows * patch), argmax: null };
      } else if (layer.kind === 'max-pool') {
        buffers = { output: make(`${name} output`, outputSize), cols: null, argmax: make(`${name} argmax`, outputSize) };
      } else if (layer.kind === 'linear') {
        buffers = { output: last ? logits : make(`${name} output`, outputSize), cols: null, argmax: null };
      }
      layers.push(buffers);
      x = buffers.output;
    });
    if (layers[layers.length - 1].output !== logits) throw new Error('Vision network: the last layer must be a linear layer.');
    return {
      images,
      labels: make('labels', capacity),
      logits,
      losses: make('losses', capacity),
      correct: make('correct', capacity),
      dlogits: make('dlogits', capacity * this.spec.classCount),
      result: make('result', 2),
      countUniform: makeUniform(this.ctx, `${label} count`, [['u32', capacity]]),
      layers,
    };
  }

  /**
   * Writes `count` images ([count, H, W, C] f32) and labels (each below the class count) into
   * `batch`. The passes still run over all capacity rows, but rows from count on keep finite stale
   * (or initial zero) images and are left out of the loss, the result and the gradients.
   */
  writeBatch(batch: VisionBatch, images: Float32Array, labels: Uint32Array, count: number): void {
    const { capacity } = batch;
    const K = this.spec.classCount;
    if (!Number.isInteger(count) || count < 1 || count > capacity) {
      throw new Error(`VisionNet.writeBatch: count must be an integer from 1 to the batch capacity ${capacity}, got ${count}.`);
    }
    if (images.length < count * this.imageSize) {
      throw new Error(`VisionNet.writeBatch: images has ${images.length} values, expected count·H·W·C = ${count}·${this.imageSize} = ${count * this.imageSize}.`);
    }
    if (labels.length < count) throw new Error(`VisionNet.writeBatch: labels has ${labels.length} entries, expected count = ${count}.`);
    for (let i = 0; i < count; i++) {
      if (labels[i] >= K) throw new Error(`VisionNet.writeBatch: label ${i} is ${labels[i]}, expected a class index below ${K}.`);
    }

    const queue = this.ctx.device.queue;
    queue.writeBuffer(batch.images, 0, images as Float32Array<ArrayBuffer>, 0, count * this.imageSize);
    queue.writeBuffer(batch.labels, 0, labels as Uint32Array<ArrayBuffer>, 0, count);
    if (count < capacity) {
      // The loss kernel leaves rows past count untouched, so their logit gradients are zeroed here
      // and the backward pass adds nothing for them.
      queue.writeBuffer(batch.dlogits, count * K * 4, new Float32Array((capacity - count) * K));
    }
    for (const loss of batch.lossDispatches) loss.setBatchSize(count);
    writeUniform(this.ctx, batch.countUniform, [['u32', count]]);
    batch.count = count;
  }

  /**
   * Returns the training dispatches of `batch`: the forward pass, the per-sample loss, the result
   * sums and the backward pass, which overwrites every parameter's grad with the gradient of the
   * mean loss over the batch's count. Built on the first call and reused.
   */
  trainDispatches(batch: VisionBatch): Dispatch[] {
    if (!batch.train) {
      const { result, buffers } = this.ctx.pool.capture(() => [
        ...this.forwardDispatches(batch, 'train'),
        ...this.backwardDispatches(batch, 'train'),
      ]);
      batch.buffers.push(...buffers);
      batch.train = result;
    }
    return batch.train;
  }

  /** Returns the evaluation dispatches of `batch`: the forward pass, the per-sample loss and correct flags, and the result sums. */
  evalDispatches(batch: VisionBatch): Dispatch[] {
    if (!batch.eval) {
      const { result, buffers } = this.ctx.pool.capture(() => this.forwardDispatches(batch, 'eval'));
      batch.buffers.push(...buffers);
      batch.eval = result;
    }
    return batch.eval;
  }

  releaseBatch(batch: VisionBatch): void {
    for (const buffer of batch.buffers) this.ctx.pool.release(buffer);
    batch.buffers.length = 0;
    batch.lossDispatches.length = 0;
    batch.train = null;
    batch.eval = null;
  }

  release(): void {
    for (const parameter of this.parameters) {
      this.ctx.pool.release(parameter.weight);
      this.ctx.pool.release(parameter.grad);
    }
  }

  private forwardDispatches(batch: VisionBatch, tag: string): Dispatch[] {
    const ctx = this.ctx;
    const B = batch.capacity;
    const K = this.spec.classCount;
    const dispatches: Dispatch[] = [];
    let x = batch.images;
    let p = 0;
    this.spec.layers.forEach((layer, l) => {
      const label = `${tag} ${layer.name || `${layer.kind}${l}`}`;
      const buffers = batch.layers[l];
      if (layer.kind === 'conv') {
        const [weight, bias] = [this.parameters[p].weight, this.parameters[p + 1].weight];
        const cols = buffers.cols as GPUBuffer;
        dispatches.push(...makeConv2dForward(ctx, label, { x, weight, bias, cols, out: buffers.output, shape: convShape(layer, B) }));
        p += 2;
      } else if (layer.kind === 'linear') {
        const [weight, bias] = [this.parameters[p].weight, this.parameters[p + 1].weight];
        const [inFeatures, outFeatures] = [layer.inputShape[0], layer.outputShape[0]];
        dispatches.push(makeMatmul(ctx, label, { a: x, b: weight, bias, out: buffers.output, M: B, K: inFeatures, N: outFeatures, transposeB: true }));
        p += 2;
      } else if (layer.kind === 'relu') {
        dispatches.push(makeRelu(ctx, label, { x, out: x, n: B * elements(layer.inputShape) }));
      } else if (layer.kind === 'max-pool') {
        dispatches.push(makeMaxPool(ctx, label, { x, out: buffers.output, argmax: buffers.argmax as GPUBuffer, shape: poolShape(layer, B) }));
      }
      x = buffers.output;
    });

    const loss = makeSoftmaxCrossEntropy(ctx, `${tag} softmax cross-entropy`, {
      logits: batch.logits,
      labels: batch.labels,
      losses: batch.losses,
      dlogits: batch.dlogits,
      correct: batch.correct,
      B,
      K,
    });
    if (batch.count > 0) loss.setBatchSize(batch.count);
    batch.lossDispatches.push(loss);
    dispatches.push(loss);
    dispatches.push(this.summaryDispatch(batch, `${tag} result`));
    return dispatches;
  }

  private backwardDispatches(batch: VisionBatch, tag: string): Dispatch[] {
    const ctx = this.ctx;
    const B = batch.capacity;
    const layers = this.spec.layers;
    const dispatches: Dispatch[] = [];
    // Parameter index of each layer's weight, for the walk in reverse.
    const firstParameter: number[] = [];
    let count = 0;
    for (const layer of layers) {
      firstParameter.push(count);
      if (layer.kind === 'conv' || layer.kind === 'linear') count += 2;
    }
    const makeGradient = (name: string, floats: number) => ctx.pool.storage(`${tag} ${name} input grad`, 'activations', floats * 4);

    let dy = batch.dlogits;
    for (let l = layers.length - 1; l >= 0; l--) {
      const layer = layers[l];
      const label = `${tag} ${layer.name || `${layer.kind}${l}`} backward`;
      const buffers = batch.layers[l];
      const x = l === 0 ? batch.images : batch.layers[l - 1].output;
      const inputSize = B * elements(layer.inputShape);
      if (layer.kind === 'conv') {
        const [weight, bias] = [this.parameters[firstParameter[l]], this.parameters[firstParameter[l] + 1]];
        const cols = buffers.cols as GPUBuffer;
        // The first layer needs no input gradient. Otherwise the columns, dead once dWeight is
        // computed, hold their own gradient dy·W before col2im.
        const dx = l > 0 ? makeGradient(layer.name, inputSize) : undefined;
        dispatches.push(
          ...makeConv2dBackward(ctx, label, {
            dy,
            weight: weight.weight,
            cols,
            dcols: cols,
            dx,
            dWeight: weight.grad,
            dBias: bias.grad,
            shape: convShape(layer, B),
          }),
        );
        if (dx) dy = dx;
      } else if (layer.kind === 'linear') {
        const [weight, bias] = [this.parameters[firstParameter[l]], this.parameters[firstParameter[l] + 1]];
        const [inFeatures, outFeatures] = [layer.inputShape[0], layer.outputShape[0]];
        dispatches.push(makeMatmul(ctx, `${label} weight`, { a: dy, b: x, out: weight.grad, M: outFeatures, K: B, N: inFeatures, transposeA: true, transposeB: false }));
        dispatches.push(...makeBiasGrad(ctx, `${label} bias`, { dy, out: bias.grad, N: B, M: outFeatures }));
        if (l > 0) {
          const dx = makeGradient(layer.name, inputSize);
          dispatches.push(makeMatmul(ctx, `${label} input`, { a: dy, b: weight.weight, out: dx, M: B, K: outFeatures, N: inFeatures, transposeB: false }));
          dy = dx;
        }
      } else if (layer.kind === 'relu') {
        // The forward ran in place, so x contains relu(x), which is positive exactly where x is.
        dispatches.push(makeReluBackward(ctx, label, { x, dy, dx: dy, n: inputSize }));
      } else if (layer.kind === 'max-pool') {
        const dx = makeGradient(`max-pool${l}`, inputSize);
        dispatches.push(makeMaxPoolBackward(ctx, label, { dy, argmax: buffers.argmax as GPUBuffer, dx, shape: poolShape(layer, B) }));
        dy = dx;
      }
    }
    return dispatches;
  }

  private summaryDispatch(batch: VisionBatch, label: string): Dispatch {
    const ctx = this.ctx;
    const pipeline = ctx.pipelines.get('vision-batch-summary', () => wgslConstants({ WORKGROUP_SIZE: SUMMARY_WORKGROUP_SIZE }) + SUMMARY_SHADER);
    return {
      label,
      pipeline,
      bindGroup: makeBindGroup(ctx, pipeline, label, [batch.countUniform, batch.losses, batch.correct, batch.result]),
      workgroups: [1, 1, 1],
    };
  }
}

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
