/**
 * MeZO: two-sided zeroth-order SGD with one Gaussian direction per step.
 *
 *   z ~ N(0, I_d) from (step seed, tensor index, element index), never stored
 *   g = (L(θ + εz) − L(θ − εz)) / (2ε)
 *   θ ← θ − η (g·z + λ·θ)        λ skipped for biases and LayerNorm parameters
 */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Gpt2Model } from '../model/gpt2';
import type { MezoConfig } from '../run/types';
import { ZerothOrderBase } from './zo';

export class Mezo extends ZerothOrderBase {
  constructor(ctx: GpuContext, model: Gpt2Model, config: MezoConfig, runSeed: number) {
    super(ctx, model, config, runSeed);
    this.finishSetup();
  }
}
