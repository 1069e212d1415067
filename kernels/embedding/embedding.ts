/**
 * GPT-2 input embedding on the GPU: out[b*T + t, :] = wte[tokens[b*T + t], :] + wpe[t, :].
 * A token id >= V adds a zero row instead of reading past wte, so its output is wpe[t, :].
 *
 * A wte split by rows (kernels/gpu/split.ts) takes one dispatch per chunk: each writes the output
 * rows whose token lies in its chunk, and the chunk that ends at row V also writes the rows of ids
 * >= V. The default chunk is the whole table, which writes every row as the unsplit op does.
 */
import { requireElements, requirePositiveDims } from '../gpu/validate';
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import source from './embedding.wgsl?raw';

const WORKGROUP_SIZE = 256;

export interface EmbeddingArgs {
  /** B×T u32 token ids. */
  tokens: GPUBuffer;
  /** V×C token embedding, or rows [wteRowStart, wteRowStart + wteRows) of it. */
  wte: GPUBuffer;
  /** P×C position embedding, P >= T. */
  wpe: GPUBuffer;
  /** (B·T)×C. */
  out: GPUBuffer;
  B: number;
  T: number;
  C: number;
  V: number;
  /** First vocabulary row held by wte (default 0). */
  wteRowStart?: number;
  /** Rows held by wte (default V − wteRowStart). */
  wteRows?: number;
}

export function makeEmbedding(ctx: GpuContext, label: string, args: EmbeddingArgs): Dispatch {
  const { tokens, wte, wpe, out, B, T, C, V } = args;
  const wteRowStart = args.wteRowStart ?? 0;
  const wteRows = args.wteRows ?? V - wteRowStart;
  requirePositiveDims(label, 'embedding', { B, T, C, V, wteRows });
  if (!Number.isInteger(wteRowStart) || wteRowStart < 0 || wteRowStart + wteRows > V) {
    throw new Error(`${label}: embedding wte rows ${wteRowStart}..${wteRowStart + wteRows - 1} must lie within the V = ${V} rows of the table`);
  }
  requireElements(label, 'embedding', 'tokens', tokens, B * T, `B*T = ${B}*${T}`);
  requireElements(label, 'embedding', 'wte', wte, wteRows * C, `wteRows*C = ${wteRows}*${C}`);
  requireElements(label, 'embedding', 'wpe', wpe, T * C, `T*C = ${T}*${C}; T must not exceed the positions in wpe`);
  requireElements(label, 'embedding', 'out', out, B * T * C, `B*T*C = ${B}*${T}*${C}`);

  const pipeline = ctx.pipelines.get('embedding', () => wgslConstants({ WORKGROUP_SIZE }) + source);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', B * T],
    ['u32', T],
    ['u32', C],
    ['u32', V],
    ['u32', wteRowStart],
    ['u32', wteRows],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [tokens, wte, wpe, out, params]),
    workgroups: workgroupGrid(ctx, B * T * C, WORKGROUP_SIZE),
  };
}

