/**
 * Contracts between the vision networks (app/model/vision.ts), their optimizers (app/optim/vision/)
 * and the vision run loop (app/run/vision-loop.ts). Plain interfaces, so each side can be built and
 * tested on its own.
 */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Dispatch } from '../../kernels/gpu/dispatch';
import type { MemoryBytes } from '../../kernels/gpu/pool';

/** One trainable tensor of a vision network, with its gradient. */
export interface VisionParameter {
  /** Stable name used in messages and exports, e.g. "conv1.weight", "fc.bias". */
  readonly name: string;
  /** PyTorch shape: Linear (out, in), conv (out, in, kh, kw), bias (out). */
  readonly shape: readonly number[];
  readonly size: number;
  /** Row-major f32 values (category weights). */
  readonly weight: GPUBuffer;
  /** Gradient of the mean batch loss, same layout (category gradients), written by the backward pass. */
  readonly grad: GPUBuffer;
  /**
   * The matrix Shampoo preconditions: (shape[0], product of the rest) for tensors with at least two
   * dimensions above 1, null for biases and other 1-D tensors (these get the base optimizer only).
   */
  readonly matrix: { rows: number; cols: number } | null;
  /** Whether weight decay applies (false for biases). */
  readonly decay: boolean;
}

/** Optimizer of a vision run: turns the gradients into an in-place update of the weights. */
export interface VisionOptimizer {
  readonly name: string;
  /**
   * Dispatches of the update at `step` (0-based), to be submitted after the backward pass that wrote
   * the gradients. The host rewrites uniforms (learning rate, Adam's t, schedules) inside this call,
   * so it must be called once per step, in order.
   */
  stepDispatches(step: number): Dispatch[];
  /**
   * Reads the optimizer's health flags (non-finite factors or roots) and returns one warning per
   * event since the last call, naming the tensor and step. Called at low frequency (e.g. every eval).
   */
  drainWarnings(): Promise<string[]>;
  /** Bytes of optimizer state by category (optimizer-state, preconditioner, quantization-scales). */
  stateBytes(): Partial<MemoryBytes>;
  release(): void;
}

export type CreateVisionOptimizer = (ctx: GpuContext, parameters: readonly VisionParameter[]) => VisionOptimizer;
