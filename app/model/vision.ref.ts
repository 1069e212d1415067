/**
 * CPU reference of the vision networks in f64: the forward pass, the softmax cross-entropy and the
 * backward pass of a VisionNetSpec, composed from the kernels' CPU references. Parameters may be
 * f32 (to check the GPU) or f64 (for finite differences).
 */
import { conv2dBackwardRef, conv2dForwardRef } from '../../kernels/conv2d/conv2d.ref';
import { linearBackwardRef, linearForwardRef } from '../../kernels/matmul/matmul.ref';
import { maxPoolBackwardRef, maxPoolRef } from '../../kernels/pool/max-pool.ref';
import { reluBackwardRef, reluRef } from '../../kernels/relu/relu.ref';
import { softmaxCrossEntropyRef } from '../../kernels/softmax-xent/softmax-xent.ref';
import { convShape, poolShape, type VisionNetSpec } from './vision';

export interface VisionForwardRef {
  /** [count, K]. */
  logits: Float64Array;
  /** [count] per-sample cross-entropy losses. */
  losses: Float64Array;
  /** [count] 1 where the first largest logit is at the label, else 0. */
  correct: Uint32Array;
  lossSum: number;
  correctCount: number;
  /** lossSum / count. */
  meanLoss: number;
}

export interface VisionForwardBackwardRef extends VisionForwardRef {
  /** Gradients of the mean loss, one per parameter in spec order, in the parameter's layout. */
  grads: Float64Array[];
}

function elementsPerImage(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkArguments(spec: VisionNetSpec, params: readonly ArrayLike<number>[], images: ArrayLike<number>, labels: ArrayLike<number>, count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new Error(`visionRef: count must be a positive integer, got ${count}`);
  if (params.length !== spec.parameters.length) throw new Error(`visionRef: got ${params.length} parameter arrays, expected ${spec.parameters.length}`);
  spec.parameters.forEach((parameter, i) => {
    if (params[i].length !== parameter.size) throw new Error(`visionRef: ${parameter.name} has ${params[i].length} values, expected ${parameter.size}`);
  });
  const { height, width, channels } = spec.input;
  const imageSize = height * width * channels;
  if (images.length < count * imageSize) throw new Error(`visionRef: images has ${images.length} values, expected count*H*W*C = ${count * imageSize}`);
  if (labels.length < count) throw new Error(`visionRef: labels has ${labels.length} entries, expected count = ${count}`);
}

/**
 * Runs the forward pass and the loss of `spec` on the first `count` images, and with `backward`
 * the gradients of the mean loss over them.
 */
function run(
  spec: VisionNetSpec,
  params: readonly ArrayLike<number>[],
  images: ArrayLike<number>,
  labels: ArrayLike<number>,
  count: number,
  backward: boolean,
): VisionForwardBackwardRef {
  checkArguments(spec, params, images, labels, count);
  const K = spec.classCount;

  // Forward, keeping each layer's input (and the pooling argmax) for the backward pass.
  const inputs: ArrayLike<number>[] = [];
  const argmaxes: (Uint32Array | null)[] = [];
  const firstParameter: number[] = [];
  let x: ArrayLike<number> = Float64Array.from({ length: count * elementsPerImage(spec.layers[0].inputShape) }, (_, i) => images[i]);
  let parameterIndex = 0;
  for (const layer of spec.layers) {
    inputs.push(x);
    argmaxes.push(null);
    firstParameter.push(parameterIndex);
    if (layer.kind === 'conv') {
      x = conv2dForwardRef(x, params[parameterIndex], params[parameterIndex + 1], convShape(layer, count));
      parameterIndex += 2;
    } else if (layer.kind === 'linear') {
      x = linearForwardRef(x, params[parameterIndex], params[parameterIndex + 1], count, layer.inputShape[0], layer.outputShape[0]);
      parameterIndex += 2;
    } else if (layer.kind === 'relu') {
      x = reluRef(x, count * elementsPerImage(layer.inputShape));
    } else if (layer.kind === 'max-pool') {
      const pooled = maxPoolRef(x, poolShape(layer, count));
      argmaxes[argmaxes.length - 1] = pooled.argmax;
      x = pooled.out;
    }
    // flatten: NHWC images are already row-major [count, H·W·C].
  }

  const logits = Float64Array.from(x);
  const loss = softmaxCrossEntropyRef(logits, labels, count, K);
  let lossSum = 0;
  let correctCount = 0;
  for (let i = 0; i < count; i++) {
    lossSum += loss.losses[i];
    correctCount += loss.correct[i];
  }
  const result: VisionForwardBackwardRef = {
    logits,
    losses: loss.losses,
    correct: loss.correct,
    lossSum,
    correctCount,
    meanLoss: lossSum / count,
    grads: [],
  };
  if (!backward) return result;

  // Backward in reverse layer order; dy is the gradient of the mean loss with respect to the layer's output.
  const grads = spec.parameters.map((parameter) => new Float64Array(parameter.size));
  let dy: ArrayLike<number> = loss.dlogits;
  for (let l = spec.layers.length - 1; l >= 0; l--) {
    const layer = spec.layers[l];
    const p = firstParameter[l];
    if (layer.kind === 'conv') {
      const gradients = conv2dBackwardRef(inputs[l], params[p], dy, convShape(layer, count));
      grads[p].set(gradients.dWeight);
      grads[p + 1].set(gradients.dBias);
      dy = gradients.dx;
    } else if (layer.kind === 'linear') {
      const gradients = linearBackwardRef(inputs[l], params[p], dy, count, layer.inputShape[0], layer.outputShape[0]);
      grads[p].set(gradients.dWeight);
      grads[p + 1].set(gradients.dBias);
      dy = gradients.dx;
    } else if (layer.kind === 'relu') {
      dy = reluBackwardRef(inputs[l], dy, count * elementsPerImage(layer.inputShape));
    } else if (layer.kind === 'max-pool') {
      dy = maxPoolBackwardRef(dy, argmaxes[l] as Uint32Array, poolShape(layer, count));
    }
  }
  result.grads = grads;
  return result;
}

/**
 * Returns the logits, per-sample losses, correct flags and their sums for the first `count`
 * images of `images` ([count, H, W, C]) with `labels` ([count], each below the class count).
 */
export function visionForwardRef(
  spec: VisionNetSpec,
  params: readonly ArrayLike<number>[],
  images: ArrayLike<number>,
  labels: ArrayLike<number>,
  count: number,
): VisionForwardRef {
  return run(spec, params, images, labels, count, false);
}

/** Returns visionForwardRef's results plus the gradient of the mean loss for every parameter. */
export function visionForwardBackwardRef(
  spec: VisionNetSpec,
  params: readonly ArrayLike<number>[],
  images: ArrayLike<number>,
  labels: ArrayLike<number>,
  count: number,
): VisionForwardBackwardRef {
  return run(spec, params, images, labels, count, true);
}
