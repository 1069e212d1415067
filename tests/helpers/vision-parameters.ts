/** Vision parameters for optimizer tests: small tensors with seeded values in pooled GPU buffers. */
import type { GpuContext } from '../../kernels/gpu/context';
import type { VisionParameter } from '../../app/model/vision-types';
import { randomArray } from './gpu';

/** A VisionParameter with the values it was created with. */
export interface TestParameter extends VisionParameter {
  initial: Float32Array;
}

/** Name, PyTorch shape and weight-decay flag of one test tensor. */
export interface TestShape {
  name: string;
  shape: number[];
  decay: boolean;
}

/** A 6×10 linear weight, a 5×3×3×3 conv kernel and a bias without weight decay. */
export const SMALL_SHAPES: TestShape[] = [
  { name: 'fc.weight', shape: [6, 10], decay: true },
  { name: 'conv.weight', shape: [5, 3, 3, 3], decay: true },
  { name: 'conv.bias', shape: [5], decay: false },
];

/** Creates one parameter per shape, with values in [-0.5, 0.5) from `seed` and a zeroed gradient buffer. */
export function makeParameters(ctx: GpuContext, shapes: readonly TestShape[], seed: number): TestParameter[] {
  return shapes.map(({ name, shape, decay }, index) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const initial = randomArray(size, seed + index, 0.5);
    return {
      name,
      shape,
      size,
      decay,
      initial,
      weight: ctx.pool.storageFrom(`${name} weight`, 'weights', initial),
      grad: ctx.pool.storage(`${name} grad`, 'gradients', size * 4),
      matrix: shape.length >= 2 ? { rows: shape[0], cols: size / shape[0] } : null,
    };
  });
}

export function releaseParameters(ctx: GpuContext, parameters: readonly TestParameter[]): void {
  for (const param of parameters) {
    ctx.pool.release(param.weight);
    ctx.pool.release(param.grad);
  }
}
