/**
 * Deterministic reductions of a range of an f32 buffer to one 32-bit value on the GPU:
 * `makeSumSquares` (Σ x², f32) and `makeCountNonFinite` (number of NaN and ±Inf entries, u32).
 *
 * The result lands at `results[index]`, so several sums and counts can share one small buffer and
 * come back in one readback, and later kernels (grafting) can read them on the GPU. The buffer is
 * an array of 32-bit slots: f32 for sums, u32 for counts.
 *
 * Each reduction is one dispatch for n ≤ REDUCE_CHUNK and two otherwise (chunk partial sums, then
 * their sum), returned in order as an array to record together. The addition order depends on n
 * alone, so the same input gives the same bits on every run. The tree order also bounds the f32
 * error of a sum of squares (see `sumSquaresRelativeErrorBound`).
 */
import type { GpuContext } from '../gpu/context';
import { makeBindGroup, makeUniform, workgroupGrid, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import countNonFiniteSource from './count-non-finite.wgsl?raw';
import reduceSource from './reduce.wgsl?raw';
import sumSquaresSource from './sum-squares.wgsl?raw';

const WORKGROUP_SIZE = 256;
/** Words each thread adds pairwise in registers before the workgroup tree. */
const VALUES_PER_THREAD = 16;
/** Words per chunk: one workgroup's share in the first pass. */
export const REDUCE_CHUNK = WORKGROUP_SIZE * VALUES_PER_THREAD;

type ReduceKind = 'sum-squares' | 'count-non-finite';

const KIND_SOURCES: Record<ReduceKind, string> = {
  'sum-squares': sumSquaresSource,
  'count-non-finite': countNonFiniteSource,
};

export interface ReduceArgs {
  /** f32 data; elements offset .. offset + n − 1 are reduced. */
  src: GPUBuffer;
  n: number;
  /** 32-bit result slots; the reduction writes slot `index` and no other. */
  results: GPUBuffer;
  index: number;
  /** First element of the range (default 0). */
  offset?: number;
  /**
   * Scratch of at least `reducePartialsLength(n)` words for the first pass's chunk sums. Several
   * reductions recorded in order may share one (each finishes reading it before the next writes).
   * Made here, counted as optimizer state, when missing and needed.
   */
  partials?: GPUBuffer;
}

/**
 * Returns a bound on |GPU sum − exact Σx²| / Σx² for n elements. Each term is rounded once when
 * squared and then passes through log2(REDUCE_CHUNK) = 12 additions per pass (zero padding adds
 * exactly), plus one addition per further chunk of partials in the second pass. With A additions
 * and u = 2^-24 the relative error is at most (1 + u)^(A + 1) − 1: about 7.7e-7 for n ≤ 4096 and
 * 1.5e-6 for n ≤ 4096² (16.8M). Squares above the f32 range (|x| > 1.8e19) give +Inf instead.
 */
export function sumSquaresRelativeErrorBound(n: number): number {
  const chunks = Math.ceil(n / REDUCE_CHUNK);
  const levels = Math.log2(REDUCE_CHUNK);
  const additions = chunks === 1 ? levels : 2 * levels + Math.ceil(chunks / REDUCE_CHUNK) - 1;
  return (1 + 2 ** -24) ** (additions + 1) - 1;
}

/** Words of partials scratch that a reduction of n elements needs (0 when it runs in one pass). */
export function reducePartialsLength(n: number): number {
  const chunks = Math.ceil(n / REDUCE_CHUNK);
  return chunks > 1 ? chunks : 0;
}

/** Builds the dispatches that write Σ x² over the range to results[index] as f32. */
export function makeSumSquares(ctx: GpuContext, label: string, args: ReduceArgs): Dispatch[] {
  return makeReduce(ctx, label, 'sum-squares', args);
}

/** Builds the dispatches that write the number of NaN and ±Inf entries of the range to results[index] as u32. */
export function makeCountNonFinite(ctx: GpuContext, label: string, args: ReduceArgs): Dispatch[] {
  return makeReduce(ctx, label, 'count-non-finite', args);
}

function makeReduce(ctx: GpuContext, label: string, kind: ReduceKind, args: ReduceArgs): Dispatch[] {
  const { src, n, results, index } = args;
  const offset = args.offset ?? 0;
  const op = kind === 'sum-squares' ? 'sum of squares' : 'non-finite count';
  requirePositiveDims(label, op, { n });
  for (const [name, value] of [['offset', offset], ['index', index]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${label}: ${op} ${name} must be an integer >= 0, got ${value}`);
  }
  // Keeps every word index of the last, partly filled chunk below 2^32.
  if (offset + n > 2 ** 32 - REDUCE_CHUNK) {
    throw new Error(`${label}: ${op} offset + n = ${offset + n} exceeds the u32 index range`);
  }
  requireElements(label, op, 'src', src, offset + n, `offset + n = ${offset} + ${n}`);
  requireElements(label, op, 'results', results, index + 1, `index + 1 = ${index + 1}`);
  if (src === results) throw new Error(`${label}: ${op} results must be a separate buffer from src`);

  const chunks = Math.ceil(n / REDUCE_CHUNK);
  if (chunks === 1) return [makePass(ctx, label, kind, true, src, results, { offset, count: n, dstIndex: index })];

  let partials = args.partials;
  if (partials) {
    requireElements(label, op, 'partials', partials, chunks, `ceil(n / ${REDUCE_CHUNK}) = ${chunks}`);
    if (partials === src || partials === results) throw new Error(`${label}: ${op} partials must be separate from src and results`);
  } else {
    partials = ctx.pool.storage(`${label} partials`, 'optimizer-state', chunks * 4);
  }
  return [
    makePass(ctx, `${label} chunks`, kind, true, src, partials, { offset, count: n, dstIndex: 0 }),
    makePass(ctx, `${label} total`, kind, false, partials, results, { offset: 0, count: chunks, dstIndex: index }),
  ];
}

interface PassShape {
  offset: number;
  count: number;
  dstIndex: number;
}

function makePass(ctx: GpuContext, label: string, kind: ReduceKind, fromData: boolean, src: GPUBuffer, dst: GPUBuffer, shape: PassShape): Dispatch {
  const stage = fromData ? 'data' : 'partials';
  const pipeline = ctx.pipelines.get(`reduce:${kind}:${stage}`, () =>
    wgslConstants({ WORKGROUP_SIZE, VALUES_PER_THREAD, CHUNK: REDUCE_CHUNK, FROM_DATA: fromData }) + KIND_SOURCES[kind] + reduceSource,
  );
  const chunkCount = Math.ceil(shape.count / REDUCE_CHUNK);
  const params = makeUniform(ctx, `${label} params`, [
    ['u32', shape.offset],
    ['u32', shape.count],
    ['u32', shape.dstIndex],
    ['u32', chunkCount],
  ]);
  return {
    label,
    pipeline,
    bindGroup: makeBindGroup(ctx, pipeline, label, [src, dst, params]),
    // The first pass takes one workgroup per chunk, the second one workgroup for all partials.
    workgroups: fromData ? workgroupGrid(ctx, chunkCount * WORKGROUP_SIZE, WORKGROUP_SIZE) : [1, 1, 1],
  };
}
