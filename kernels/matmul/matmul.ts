/**
 * Tiled matmul on the GPU: out[M,N] = a[M,K] · b (+ bias[N]), row-major f32.
 * b is K×N (GPT-2 Conv1D layout), or N×K used transposed when `transposeB` (the tied LM head reads
 * wte, V×C, this way). With `transposeA`, a is stored K×M and used transposed, so out = aᵀ·b: the
 * weight gradient of a Linear layer, dW = dYᵀ·X, is this product with a = dY and b = X. Each workgroup computes a TILE_M × TILE_N block of out, and each thread a
 * ROWS_PER_THREAD × COLS_PER_THREAD set of it, from tiles staged in workgroup memory.
 *
 * A weight b split by rows (kernels/gpu/split.ts) runs one product per chunk, placed by the
 * optional window arguments. When b is K×N, a chunk holds rows [k0, k1) of the inner dimension: it
 * reads columns [k0, k1) of a (`aColumns`, `aColumnOffset`) and adds onto out (`accumulate`).
 * When b is N×K, a chunk holding rows [n0, n1) fills out columns [n0, n1) (`outColumns`,
 * `outColumnOffset`). Accumulating continues each output's f32 fma chain from the value stored in
 * out, in the same k order, so the chunked product is bit-identical to the unsplit one. The bias
 * goes with the last chunk.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './matmul.wgsl?raw';

// 8×8 threads of 8×8 outputs each (64×64 tiles, as kernels/linalg/gemm): on lavapipe this runs the
// GPT-2 and CNN products about 1.5–2× faster than 16×16 threads of 4×4. Products with N ≤ 32 (the
// CNN's 16 conv channels, a 10-class head) use tiles 32 or 16 columns wide, so fewer outputs are
// computed only to be dropped. Each output still sums its K products in order, so results do not
// depend on the tile shape.
const WORKGROUP_X = 8;
const WORKGROUP_Y = 8;
const ROWS_PER_THREAD = 8;
const TILE_K = 16;
const TILE_M = WORKGROUP_Y * ROWS_PER_THREAD;
/** Outputs per thread along N, by the largest N each serves; the last entry serves every N. */
const COLUMN_SHAPES = [
  { maxN: 16, colsPerThread: 2 },
  { maxN: 32, colsPerThread: 4 },
  { maxN: Infinity, colsPerThread: 8 },
] as const;

function shaderConstants(colsPerThread: number) {
  return {
    WORKGROUP_X,
    WORKGROUP_Y,
    ROWS_PER_THREAD,
    COLS_PER_THREAD: colsPerThread,
    TILE_M,
    TILE_N: WORKGROUP_X * colsPerThread,
    TILE_K,
    WORKGROUP_INVOCATIONS: WORKGROUP_X * WORKGROUP_Y,
  };
}

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
  /** Row length of a (default K): a is M×aColumns and the product reads its columns [aColumnOffset, aColumnOffset + K). Not with transposeA. */
  aColumns?: number;
  aColumnOffset?: number;
  /** Row length of out (default N): out is M×outColumns and the product fills its columns [outColumnOffset, outColumnOffset + N). */
  outColumns?: number;
  outColumnOffset?: number;
  /** Starts each sum from the value in out instead of zero, continuing a product split along K. Default false. */
  accumulate?: boolean;
}

export function makeMatmul(ctx: GpuContext, label: string, args: MatmulArgs): Dispatch {
  const { a, b, bias, out, M, K, N, transposeB } = args;
  const transposeA = args.transposeA ?? false;
  const aColumns = args.aColumns ?? K;
  const aColumnOffset = args.aColumnOffset ?? 0;
  const outColumns = args.outColumns ?? N;
  const outColumnOffset = args.outColumnOffset ?? 0;
  requirePositiveDims(label, 'matmul', { M, K, N, aColumns, outColumns });
  if (transposeA && transposeB) throw new Error(`${label}: matmul supports transposeA or transposeB, not both`);
  if (transposeA && (aColumns !== K || aColumnOffset !== 0)) throw new Error(`${label}: matmul a column window needs a non-transposed a`);
  if (!Number.isInteger(aColumnOffset) || aColumnOffset < 0 || aColumnOffset + K > aColumns) {
    throw new Error(`${label}: matmul a columns ${aColumnOffset}..${aColumnOffset + K - 1} must lie within aColumns = ${aColumns}`);
  }
  if (!Number.isInteger(outColumnOffset) || outColumnOffset < 0 || outColumnOffset + N > outColumns) {
    throw new Error(`${label}: matmul out columns ${outColumnOffset}..${outColumnOffset + N - 1} must lie within outColumns = ${outColumns}`);
  }
  if (M * Math.max(aColumns, outColumns) > 2 ** 32) throw new Error(`${label}: matmul of ${M} rows of ${Math.max(aColumns, outColumns)} columns exceeds the u32 index range`);
  requireElements(label, 'matmul', 'a', a, M * aColumns, aColumns === K ? `M*K = ${M}*${K}` : `M*aColumns = ${M}*${aColumns}`);
  requireElements(label, 'matmul', 'b', b, K * N, `K*N = ${K}*${N}`);
  requireElements(label, 'matmul', 'out', out, M * outColumns, outColumns === N ? `M*N = ${M}*${N}` : `M*outColumns = ${M}*${outColumns}`);
  if (bias) requireElements(label, 'matmul', 'bias', bias, N, `N = ${N}`);
  if (out === a || out === b) throw new Error(`${label}: matmul out must be a separate buffer from a and b`);

  // NOTE: the grid covers out only, so a product with small M and N and a long K (a conv weight
  // gradient, K = B·OH·OW) runs on a handful of workgroups that each walk all of K. Splitting K
  // across workgroups would spread that work; no variant does it yet.
  const { colsPerThread } = COLUMN_SHAPES.find((shape) => N <= shape.maxN)!;
  const constants = shaderConstants(colsPerThread);
  const workgroups: [number, number, number] = [Math.ceil(N / constants.TILE_N), Math.ceil(M / TILE_M), 1];
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
  const pipeline = ctx.pipelines.get(`matmul-${variant}-cols${colsPerThread}`, () => wgslConstants(constants) + source, ENTRY_POINTS[variant]);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', M],
    ['u32', K],
    ['u32', N],
    ['u32', aColumns],
    ['u32', aColumnOffset],
    ['u32', outColumns],
    ['u32', outColumnOffset],
    ['u32', args.accumulate ? 1 : 0],
  ]);
  const buffers = bias ? [a, b, out, params, bias] : [a, b, out, params];
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, buffers),
    workgroups,
  };
}

