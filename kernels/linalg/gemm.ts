/**
 * Strided GEMM on the GPU: out = alpha · A · diag(w) · B + beta · C, f32, out M×N row-major.
 *
 * A and B are read through strided views (offset, row stride, column stride), so the same pipeline
 * computes A·B, A·Bᵀ, Aᵀ·B and products of sub-blocks without copies. The optional weights w (K
 * entries) scale the inner dimension, as in V diag(s) Vᵀ. The addend C is a separate buffer or out
 * itself (an in-place update such as the EMA L ← β L + (1 − β) G Gᵀ). An optional gate skips the
 * whole dispatch, depending on a status word written earlier on the GPU. The output may be a
 * sub-block of a larger row-major matrix (outOffset, outRowStride), updated in place.
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements, requirePositiveDims } from '../gpu/validate';
import { bindBuffers, checkGate, GATE_WGSL, gateMode, stridedExtent, type Gate } from './common';
import source from './gemm.wgsl?raw';

// Tile shapes. 'square' has 8×8 threads of 8×8 outputs each (64×64 tiles). On lavapipe this runs
// an order-784 product about twice as fast as 16×16 threads of 4×4, because each pair of
// workgroup-memory loads feeds more FMAs. 'narrow' (N ≤ 32, such as the panel projections of the
// large QR) computes 8×4 outputs per thread (64×32 tiles), so no tile is half empty.
const TILE_K = 16;
const SHAPES = {
  square: { WORKGROUP_X: 8, WORKGROUP_Y: 8, ROWS_PER_THREAD: 8, COLS_PER_THREAD: 8 },
  narrow: { WORKGROUP_X: 8, WORKGROUP_Y: 8, ROWS_PER_THREAD: 8, COLS_PER_THREAD: 4 },
} as const;
type ShapeName = keyof typeof SHAPES;
const NARROW_MAX_N = SHAPES.narrow.WORKGROUP_X * SHAPES.narrow.COLS_PER_THREAD;

function shapeConstants(name: ShapeName) {
  const shape = SHAPES[name];
  return {
    ...shape,
    TILE_M: shape.WORKGROUP_Y * shape.ROWS_PER_THREAD,
    TILE_N: shape.WORKGROUP_X * shape.COLS_PER_THREAD,
    TILE_K,
    WORKGROUP_INVOCATIONS: shape.WORKGROUP_X * shape.WORKGROUP_Y,
  };
}

/** A matrix view into a buffer: element (i, j) is buffer[offset + i·rowStride + j·colStride]. */
export interface MatrixView {
  buffer: GPUBuffer;
  offset?: number;
  rowStride: number;
  colStride: number;
}

/** Returns the view of a row-major matrix with `cols` columns, or of its transpose when `transposed`. */
export function rowMajor(buffer: GPUBuffer, cols: number, transposed = false, offset = 0): MatrixView {
  return transposed ? { buffer, offset, rowStride: 1, colStride: cols } : { buffer, offset, rowStride: cols, colStride: 1 };
}

export interface GemmArgs {
  /** M×K view. */
  a: MatrixView;
  /** K×N view. */
  b: MatrixView;
  /** M×N output, row-major unless outRowStride sets a wider row. Must not be a, b or weights. */
  out: GPUBuffer;
  /** Element (i, j) of out is out[outOffset + i·outRowStride + j]; defaults 0 and n. */
  outOffset?: number;
  outRowStride?: number;
  m: number;
  k: number;
  n: number;
  /** Default 1. */
  alpha?: number;
  /** K weights of the inner dimension (diag(w) between A and B). */
  weights?: GPUBuffer;
  /** Addend C, scaled by beta, indexed like out; may be `out` itself for an in-place update. */
  addend?: GPUBuffer;
  /** Default 1 when an addend is given. */
  beta?: number;
  gate?: Gate;
  /**
   * The product is A·diag(w)·Aᵀ: b must be the transposed view of a, so out (before the addend) is
   * symmetric. Only the tiles on and above the diagonal are computed, and each off-diagonal tile is
   * also written mirrored. The result is bit-identical to the full product (the multiply-adds of
   * (i, j) and (j, i) are the same, in the same order), for about half the work.
   */
  symmetric?: boolean;
}

type AddendVariant = 'none' | 'separate' | 'in-place';

// Bindings 0–3 are fixed in gemm.wgsl; the optional ones follow.
const WEIGHTS_BINDING = 4;
const ADDEND_BINDING = 5;
const GATE_BINDING = 6;

function variantSource(weighted: boolean, addend: AddendVariant, gated: boolean, symmetric: boolean): string {
  const parts: string[] = [`const SYMMETRIC = ${symmetric};`];
  if (weighted) {
    parts.push(`@group(0) @binding(${WEIGHTS_BINDING}) var<storage, read> weights: array<f32>;
fn weight(k: u32) -> f32 { return weights[k]; }
fn accumulate(a: f32, b: f32, w: f32, acc: f32) -> f32 { return fma(a * b, w, acc); }`);
  } else {
    parts.push(`fn weight(k: u32) -> f32 { return 1.0; }
fn accumulate(a: f32, b: f32, w: f32, acc: f32) -> f32 { return fma(a, b, acc); }`);
  }
  if (addend === 'separate') {
    parts.push(`@group(0) @binding(${ADDEND_BINDING}) var<storage, read> addend_values: array<f32>;
fn addend(index: u32) -> f32 { return params.beta * addend_values[index]; }`);
  } else if (addend === 'in-place') {
    parts.push('fn addend(index: u32) -> f32 { return params.beta * out[index]; }');
  } else {
    parts.push('fn addend(index: u32) -> f32 { return 0.0; }');
  }
  if (gated) {
    parts.push(`@group(0) @binding(${GATE_BINDING}) var<storage, read> gate_status: array<u32>;` + GATE_WGSL);
  } else {
    parts.push('fn gate_open(thread: u32) -> bool { return true; }');
  }
  return parts.join('\n') + '\n';
}

function checkView(label: string, name: string, view: MatrixView, rows: number, cols: number): number {
  const offset = view.offset ?? 0;
  for (const [field, value] of [['offset', offset], ['rowStride', view.rowStride], ['colStride', view.colStride]] as const) {
    if (!Number.isInteger(value) || value < 0) throw new Error(`${label}: gemm ${name}.${field} must be an integer ≥ 0, got ${value}`);
  }
  const extent = stridedExtent(offset, rows, cols, view.rowStride, view.colStride);
  requireElements(label, 'gemm', name, view.buffer, extent, `${name} view of ${rows}×${cols}`);
  return offset;
}

/** Builds one GEMM dispatch. */
export function makeGemm(ctx: GpuContext, label: string, args: GemmArgs): Dispatch {
  const { a, b, out, m, k, n, weights, addend, gate } = args;
  requirePositiveDims(label, 'gemm', { m, k, n });
  const aOffset = checkView(label, 'a', a, m, k);
  const bOffset = checkView(label, 'b', b, k, n);
  const outOffset = args.outOffset ?? 0;
  const outRowStride = args.outRowStride ?? n;
  if (!Number.isInteger(outOffset) || outOffset < 0) throw new Error(`${label}: gemm outOffset must be an integer ≥ 0, got ${outOffset}`);
  if (!Number.isInteger(outRowStride) || outRowStride < n) throw new Error(`${label}: gemm outRowStride must be an integer ≥ n = ${n}, got ${outRowStride}`);
  const outExtent = stridedExtent(outOffset, m, n, outRowStride, 1);
  requireElements(label, 'gemm', 'out', out, outExtent, `out view of ${m}×${n}`);
  if (out === a.buffer || out === b.buffer) throw new Error(`${label}: gemm out must be a separate buffer from a and b`);
  if (weights) {
    requireElements(label, 'gemm', 'weights', weights, k, `k = ${k}`);
    if (weights === out) throw new Error(`${label}: gemm weights must be a separate buffer from out`);
  }
  if (addend) requireElements(label, 'gemm', 'addend', addend, outExtent, `out view of ${m}×${n}`);
  if (gate) checkGate(label, 'gemm', gate);
  const symmetric = args.symmetric ?? false;
  if (symmetric) {
    const transposed = b.buffer === a.buffer && bOffset === aOffset && b.rowStride === a.colStride && b.colStride === a.rowStride;
    if (m !== n || !transposed) throw new Error(`${label}: a symmetric gemm needs m = n and b = the transposed view of a, got ${m}×${k}×${n}`);
  }
  if (gate && gate.status === out) throw new Error(`${label}: gemm gate status must be a separate buffer from out`);

  // The symmetric variant needs square tiles, so that a tile and its mirror cover the same entries.
  const shapeName: ShapeName = n <= NARROW_MAX_N && !symmetric ? 'narrow' : 'square';
  const constants = shapeConstants(shapeName);
  const workgroups: [number, number, number] = [Math.ceil(n / constants.TILE_N), Math.ceil(m / constants.TILE_M), 1];
  const maxPerDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (workgroups[0] > maxPerDim || workgroups[1] > maxPerDim) {
    throw new Error(`${label}: gemm of ${m}x${k}x${n} needs ${workgroups[0]}x${workgroups[1]} workgroups, above this adapter's limit of ${maxPerDim} per dimension`);
  }

  let addendVariant: AddendVariant = 'none';
  if (addend) addendVariant = addend === out ? 'in-place' : 'separate';
  const weighted = weights !== undefined;
  const gated = gate !== undefined;
  const key = `linalg-gemm:${shapeName}:${weighted ? 'weighted' : 'plain'}:${addendVariant}:${gated ? 'gated' : 'always'}:${symmetric ? 'symmetric' : 'general'}`;
  const pipeline = ctx.pipelines.get(key, () => wgslConstants(constants) + source + variantSource(weighted, addendVariant, gated, symmetric));

  const params = makeUniform(ctx, `${label} params`, [
    ['u32', m],
    ['u32', k],
    ['u32', n],
    ['u32', aOffset],
    ['u32', a.rowStride],
    ['u32', a.colStride],
    ['u32', bOffset],
    ['u32', b.rowStride],
    ['u32', b.colStride],
    ['f32', args.alpha ?? 1],
    ['f32', addend ? (args.beta ?? 1) : 0],
    ['u32', gate?.word ?? 0],
    ['u32', gate ? gateMode(gate) : 0],
    ['u32', outOffset],
    ['u32', outRowStride],
  ]);
  const entries: Record<number, GPUBuffer> = { 0: a.buffer, 1: b.buffer, 2: out, 3: params };
  if (weights) entries[WEIGHTS_BINDING] = weights;
  if (addendVariant === 'separate') entries[ADDEND_BINDING] = addend!;
  if (gate) entries[GATE_BINDING] = gate.status;
  return { label, pipeline, bindGroup: bindBuffers(ctx, pipeline, label, entries), workgroups };
}
