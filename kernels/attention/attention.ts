/**
 * Causal multi-head self-attention of GPT-2 on the GPU.
 * qkv (B·T)×3C is c_attn's output (q, k, v side by side, head h in columns h·HS .. (h+1)·HS of
 * each); out (B·T)×C contains the heads side by side. Scores are scaled by 1/sqrt(HS), keys after the
 * query are masked, and the softmax is computed online with the max subtracted.
 */
import { requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './attention.wgsl?raw';

/** Consecutive queries of one (b, h) per workgroup, one per invocation. */
const QUERY_BLOCK = 64;

/**
 * Largest head size accepted. Each invocation keeps its query and output rows (HS floats each,
 * rounded up to whole vec4s) in private arrays, so its private memory grows with HS.
 */
export const MAX_HEAD_SIZE = 128;

/** Maximum keys per tile, the length of each invocation's private score array. */
const MAX_TILE_KEYS = 64;

/**
 * Maximum vec4s in each of the workgroup's k and v tiles. 2 · 512 · 16 bytes = 16 KiB, which is
 * WebGPU's default and minimum maxComputeWorkgroupStorageSize.
 */
const MAX_TILE_VEC4S = 512;

export interface AttentionArgs {
  /** (B·T)×3C. */
  qkv: GPUBuffer;
  /** (B·T)×C. */
  out: GPUBuffer;
  B: number;
  T: number;
  C: number;
  NH: number;
}

export function makeAttention(ctx: GpuContext, label: string, args: AttentionArgs): Dispatch[] {
  const { qkv, out, B, T, C, NH } = args;
  requirePositiveDims(label, 'attention', { B, T, C, NH });
  if (C % NH !== 0) throw new Error(`${label}: attention C = ${C} must be a multiple of NH = ${NH}`);
  if (qkv.size < B * T * 3 * C * 4) {
    throw new Error(`${label}: attention qkv is too small: ${qkv.size} bytes, expected at least ${B * T * 3 * C * 4} (B*T*3C = ${B}*${T}*${3 * C} floats)`);
  }
  if (out.size < B * T * C * 4) {
    throw new Error(`${label}: attention out is too small: ${out.size} bytes, expected at least ${B * T * C * 4} (B*T*C = ${B}*${T}*${C} floats)`);
  }
  if (out === qkv) throw new Error(`${label}: attention out must be a separate buffer from qkv`);
  const HS = C / NH;
  if (HS > MAX_HEAD_SIZE) {
    throw new Error(`${label}: attention head size HS = C / NH = ${C} / ${NH} = ${HS} is above the supported maximum ${MAX_HEAD_SIZE}; use more heads so that C / NH <= ${MAX_HEAD_SIZE}`);
  }

  // One pipeline per row length in vec4s, because fixed loop bounds let the compiler unroll the
  // loops over a row. GPT-2's sizes all have HS = 64, so a model compiles one variant.
  const HEAD_VEC4S = Math.ceil(HS / 4);
  const TILE_KEYS = Math.min(MAX_TILE_KEYS, Math.floor(MAX_TILE_VEC4S / HEAD_VEC4S));
  const queryBlocks = Math.ceil(T / QUERY_BLOCK);

  const pipeline = ctx.pipelines.get(`attention-headvec4s${HEAD_VEC4S}`, () => wgslConstants({ QUERY_BLOCK, HEAD_VEC4S, TILE_KEYS }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', B],
    ['u32', T],
    ['u32', C],
    ['u32', NH],
    ['u32', HS],
    ['f32', 1 / Math.sqrt(HS)],
    ['u32', queryBlocks],
  ]);
  return [
    {
      label,
      pipeline,
      bindGroup: makeBindGroup(ctx, pipeline, label, [qkv, out, params]),
      workgroups: workgroupGrid(ctx, B * NH * queryBlocks * QUERY_BLOCK, QUERY_BLOCK),
    },
  ];
}
