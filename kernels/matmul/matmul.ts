/**
 * Tiled matmul on the GPU: out[M,N] = a[M,K] · b (+ bias[N]), row-major f32.
 * b is K×N (GPT-2 Conv1D layout), or N×K used transposed when `transposeB` (the tied LM head reads
 * wte, V×C, this way). With `transposeA`, a is stored K×M and used transposed, so out = aᵀ·b: the
 * weight gradient of a Linear layer, dW = dYᵀ·X, is this product with a = dY and b = X. Each workgroup computes a TILE_M × TILE_N block of out, and each thread a
 * ROWS_PER_THREAD × COLS_PER_THREAD set of it, from tiles staged in workgroup memory.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './matmul.wgsl?raw';

const WORKGROUP_X = 16;
const WORKGROUP_Y = 16;
const ROWS_PER_THREAD = 4;
const COLS_PER_THREAD = 4;
const TILE_K = 16;
const TILE_M = WORKGROUP_Y * ROWS_PER_THREAD;
const TILE_N = WORKGROUP_X * COLS_PER_THREAD;

const SHADER_CONSTANTS = {
  WORKGROUP_X,
  WORKGROUP_Y,
  ROWS_PER_THREAD,
  COLS_PER_THREAD,
  TILE_M,
  TILE_N,
  TILE_K,
  WORKGROUP_INVOCATIONS: WORKGROUP_X * WORKGROUP_Y,
};

/** Pipeline variants: a and b layouts (nn: M×K, K×N; nt: M×K, N×K; tn: K×M, K×N) and whether a bias row is added. */
type MatmulVariant = 'nn' | 'nn-bias' | 'nt' | 'nt-bias' | 'tn' | 'tn-bias';

const ENTRY_POINTS: Record<MatmulVariant, string> = {
  nn: 'main_nn',
  'nn-bias': 'main_nn_bias',
  nt: 'main_nt',
  'nt-bias': 'main_nt_bias',
  tn: 'main_tn',
  'tn-bias': 'main_tn_bias',
};

export interface MatmulArgs {
  /** M×K, or K×M when transposeA. */
  a: GPUBuffer;
  /** K×N, or N×K when transposeB. */
  b: GPUBuffer;
  /** N, added to every row of out. */
  bias?: GPUBuffer;
  /** M×N. Must not be a or b. */
  out: GPUBuffer;
  M: number;
  K: number;
  N: number;
  transposeB: boolean;
  /** Reads a as K×M and uses it transposed. Cannot be combined with transposeB. Default false. */
  transposeA?: boolean;
}

export function makeMatmul(ctx: GpuContext, label: string, args: MatmulArgs): Dispatch {
  const { a, b, bias, out, M, K, N, transposeB } = args;
  const transposeA = args.transposeA ?? false;
  requirePositiveDims(label, 'matmul', { M, K, N });
  if (transposeA && transposeB) throw new Error(`${label}: matmul supports transposeA or transposeB, not both`);
  requireElements(label, 'matmul', 'a', a, M * K, `M*K = ${M}*${K}`);
  requireElements(label, 'matmul', 'b', b, K * N, `K*N = ${K}*${N}`);
  requireElements(label, 'matmul', 'out', out, M * N, `M*N = ${M}*${N}`);
  if (bias) requireElements(label, 'matmul', 'bias', bias, N, `N = ${N}`);
  if (out === a || out === b) throw new Error(`${label}: matmul out must be a separate buffer from a and b`);

  // NOTE: the grid covers out only, so a product with small M and N and a long K (a conv weight
  // gradient, K = B·OH·OW) runs on a handful of workgroups that each walk all of K. Splitting K
  // across workgroups would spread that work; no variant does it yet.
  const workgroups: [number, number, number] = [Math.ceil(N / TILE_N), Math.ceil(M / TILE_M), 1];
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups[0] > maxPerDim || workgroups[1] > maxPerDim) {
    throw new Error(
      `${label}: matmul of ${M}x${K}x${N} needs ${workgroups[0]}x${workgroups[1]} workgroups, above this adapter's ` +
        `maxComputeWorkgroupsPerDimension of ${maxPerDim}. Split the matmul into row blocks.`,
    );
  }

  let layout: 'nn' | 'nt' | 'tn' = 'nn';
  if (transposeA) layout = 'tn';
  else if (transposeB) layout = 'nt';
  const variant: MatmulVariant = bias ? `${layout}-bias` : layout;
  const pipeline = ctx.pipelines.get(`matmul-${variant}`, () => wgslConstants(SHADER_CONSTANTS) + source, ENTRY_POINTS[variant]);
  const params = makeUniform(ctx, `${label} params`, [['u32', M], ['u32', K], ['u32', N]]);
  const buffers = bias ? [a, b, out, params, bias] : [a, b, out, params];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups,
  };
}

