/**
 * Bias gradient on the GPU: out[M] = the column sums of dy [N, M], for the bias of a Linear or
 * conv layer (dy is the output gradient, one row per sample or output position). Two dispatches
 * with a fixed reduction order: partial sums per chunk of ROWS_PER_CHUNK rows, then one workgroup
 * per column adds the chunk sums. Bit-identical across runs.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './bias-grad.wgsl?raw';

/** Columns per workgroup of the first pass; neighbouring threads read neighbouring columns. */
const COLUMNS = 16;
/** Threads per column in the first pass, each adding every LANES-th row; a power of two. */
const LANES = 16;
/** Rows per workgroup of the first pass, so each thread adds ROWS_PER_CHUNK / LANES = 16 rows. */
const ROWS_PER_CHUNK = 256;
/** Threads per column in the second pass; a power of two. */
const FINAL_WORKGROUP_SIZE = 64;

const shader = () => wgslConstants({ COLUMNS, LANES, ROWS_PER_CHUNK, FINAL_WORKGROUP_SIZE }) + source;

export interface BiasGradArgs {
  /** N×M. */
  dy: GPUBuffer;
  /** M, overwritten with the column sums. Must not be dy. */
  out: GPUBuffer;
  N: number;
  M: number;
}

/**
 * Returns the two dispatches of the bias gradient, to run in order. They share a scratch buffer
 * of ceil(N / ROWS_PER_CHUNK)·M floats, created here in the pool as gradients.
 */
export function makeBiasGrad(ctx: GpuContext, label: string, args: BiasGradArgs): Dispatch[] {
  const { dy, out, N, M } = args;
  requirePositiveDims(label, 'bias grad', { N, M });
  requireElements(label, 'bias grad', 'dy', dy, N * M, `N*M = ${N}*${M}`);
  requireElements(label, 'bias grad', 'out', out, M, `M = ${M}`);
  if (out === dy) throw new Error(`${label}: bias grad out must be a separate buffer from dy`);

  const chunks = Math.ceil(N / ROWS_PER_CHUNK);
  const columnGroups = Math.ceil(M / COLUMNS);
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (chunks > maxPerDim || columnGroups > maxPerDim) {
    throw new Error(
      `${label}: bias grad of ${N}x${M} needs ${columnGroups}x${chunks} workgroups, above this adapter's ` +
        `maxComputeWorkgroupsPerDimension of ${maxPerDim}. Split dy into row blocks.`,
    );
  }

  const partials = ctx.pool.storage(`${label} partial sums`, 'gradients', chunks * M * 4);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', N],
    ['u32', M],
    ['u32', chunks],
  ]);
  const partialPipeline = ctx.pipelines.get('bias-grad-partial', shader, 'main_partial');
  const finalPipeline = ctx.pipelines.get('bias-grad-final', shader, 'main_final');
  return [
    {
      label: `${label} partial sums`,
      pipeline: partialPipeline,
      bindGroup: makeBindGroup(ctx, partialPipeline, `${label} partial sums`, [params, dy, partials]),
      workgroups: [columnGroups, chunks, 1],
    },
    {
      label: `${label} final sums`,
      pipeline: finalPipeline,
      bindGroup: ctx.device.createBindGroup({
        label: `${label} final sums`,
        layout: finalPipeline.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: params } },
          { binding: 3, resource: { buffer: partials } },
          { binding: 4, resource: { buffer: out } },
        ],
      }),
      workgroups: workgroupGrid(ctx, M, 1),
    },
  ];
}
