/** Residual add on the GPU: out = a + b, element-wise over n floats. */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './add.wgsl?raw';

const WORKGROUP_SIZE = 256;

export interface AddArgs {
  a: GPUBuffer;
  b: GPUBuffer;
  out: GPUBuffer;
  n: number;
}

export function makeAdd(ctx: GpuContext, label: string, args: AddArgs): Dispatch {
  const pipeline = ctx.pipelines.get('add', () => wgslConstants({ WORKGROUP_SIZE }) + source);
  const params = makeUniform(ctx, `${label} params`, [['u32', args.n]]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [args.a, args.b, args.out, params]),
    workgroups: workgroupGrid(ctx, args.n, WORKGROUP_SIZE),
  };
}
