/** Creates the vision optimizer a VisionOptimizerConfig names. */
import type { GpuContext } from '../../../kernels/gpu/context';
import type { VisionOptimizer, VisionParameter } from '../../model/vision-types';
import type { VisionOptimizerConfig } from '../../run/types';
import { FirstOrderOptimizer } from './first-order';
import { ShampooOptimizer } from './shampoo';

/**
 * Builds SGD, AdamW, 32-bit or 4-bit Shampoo over `parameters`. `runSeed` is accepted so that every
 * optimizer factory has the same signature; these optimizers are deterministic and do not draw from it.
 */
export function createVisionOptimizer(
  ctx: GpuContext,
  parameters: readonly VisionParameter[],
  config: VisionOptimizerConfig,
  runSeed: number,
): VisionOptimizer {
  void runSeed;
  switch (config.name) {
    case 'sgd':
    case 'adamw':
      return new FirstOrderOptimizer(ctx, parameters, config);
    case 'shampoo32':
    case 'shampoo4':
      return new ShampooOptimizer(ctx, parameters, config);
    default: {
      const name: never = config;
      throw new Error(
        `Unknown vision optimizer ${JSON.stringify((name as { name: unknown }).name)}: expected "sgd", "adamw", "shampoo32" or "shampoo4".`,
      );
    }
  }
}

export { FirstOrderOptimizer } from './first-order';
export { ShampooOptimizer } from './shampoo';
export type { VisionOptimizer, VisionParameter } from '../../model/vision-types';
