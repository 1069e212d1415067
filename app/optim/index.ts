/** Creates the optimizer a RunConfig names. */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Gpt2Model } from '../model/gpt2';
import type { OptimizerConfig } from '../run/types';
import { Mezo } from './mezo';
import { Subzero } from './subzero';
import type { ZerothOrderOptimizer } from './zo';

export function createOptimizer(ctx: GpuContext, model: Gpt2Model, config: OptimizerConfig, runSeed: number): ZerothOrderOptimizer {
  switch (config.name) {
    case 'mezo':
      return new Mezo(ctx, model, config, runSeed);
    case 'subzero':
      return new Subzero(ctx, model, config, runSeed);
    default: {
      const name: never = config;
      throw new Error(`Unknown optimizer ${JSON.stringify((name as { name: unknown }).name)}: expected "mezo" or "subzero".`);
    }
  }
}

export type { ZerothOrderOptimizer } from './zo';
