/**
 * Causal multi-head self-attention of GPT-2 on the GPU.
 * qkv (B·T)×3C is c_attn's output (q, k, v side by side, head h in columns h·HS .. (h+1)·HS of
 * each); out (B·T)×C contains the heads side by side. Scores are scaled by 1/sqrt(HS), keys after the
 * query are masked, and the softmax is computed online with the max subtracted.
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './attention.wgsl?raw';

/** Keys per block of the online softmax, also the threads per (b, h, t) workgroup. */
const KEY_BLOCK = 64;

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
  for (const [name, value] of [['B', B], ['T', T], ['C', C], ['NH', NH]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: attention ${name} must be a positive integer, got ${value}`);
  }
  if (C % NH !== 0) throw new Error(`${label}: attention C = ${C} must be a multiple of NH = ${NH}`);
  if (qkv.size < B * T * 3 * C * 4) {
    throw new Error(`${label}: attention qkv is too small: ${qkv.size} bytes, expected at least ${B * T * 3 * C * 4} (B*T*3C = ${B}*${T}*${3 * C} floats)`);
  }
  if (out.size < B * T * C * 4) {
    throw new Error(`${label}: attention out is too small: ${out.size} bytes, expected at least ${B * T * C * 4} (B*T*C = ${B}*${T}*${C} floats)`);
  }
  if (out === qkv) throw new Error(`${label}: attention out must be a separate buffer from qkv`);
  const HS = C / NH;

  const pipeline = ctx.pipelines.get('attention', () => wgslConstants({ KEY_BLOCK }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', B],
    ['u32', T],
    ['u32', C],
    ['u32', NH],
    ['u32', HS],
    ['f32', 1 / Math.sqrt(HS)],
  ]);
  return [
    {
      label,
      pipeline,
      bindGroup: makeBindGroup(ctx, pipeline, label, [qkv, out, params]),
      workgroups: workgroupGrid(ctx, B * NH * T * KEY_BLOCK, KEY_BLOCK),
    },
  ];
}
