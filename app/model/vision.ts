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
import type { Conv2dShape } from '../../kernels/conv2d/conv2d-shape';
import type { MaxPoolShape } from '../../kernels/pool/max-pool-shape';
import { SeededRng } from '../data/rng';
import type { VisionArchitecture } from '../run/types';

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
