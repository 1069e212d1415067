/**
 * QR (the Q factor) of k vectors of length m, k ≤ m, on the GPU, in place, for orders up to the
 * Shampoo block size (1200) and beyond.
 *
 * Method: blocked modified Gram–Schmidt, run QR_LARGE_PASSES = 2 times (the second pass
 * re-orthogonalises the first one's Q, which brings max|QᵀQ − I| to f32 rounding unless the input
 * is numerically rank-deficient). A pass first computes the squared norms of all vectors. Then,
 * for each panel of PANEL vectors, one workgroup orthonormalises the panel by MGS, the panel is
 * copied to the workspace, and two GEMMs of kernels/linalg/gemm remove the panel's components from
 * all later vectors: C = T·Q_panelᵀ, then T −= C·Q_panel. That makes 1 + 4·⌈k/PANEL⌉ dispatches per
 * pass (fewer for the last panel), and the O(m·k²) work runs in the tiled GEMMs.
 *
 * Sign convention: every vector is normalised by its positive norm, so the diagonal of R (with
 * A = Q·R) is non-negative, and for a full-rank input Q is the unique thin Q with diag(R) > 0.
 *
 * Dependent vectors: a residual whose squared norm is at most QR_RELATIVE_FLOOR² (2⁻⁴⁰) times the
 * vector's own squared norm at the start of the pass, or at most 2⁻¹²⁰, is replaced by a fixed
 * pseudo-random vector made orthogonal to the vectors before it, so Q stays orthonormal and holds
 * no NaN (that vector's R diagonal entry is 0). NOTE: squares of entries below about 1e-19 underflow in f32, so
 * vectors of norm below about 1e-18 count as zero; scale such inputs up first.
 *
 * layout 'columns': `a` is m×k row-major and its k columns are orthonormalised.
 * layout 'rows':    `a` is k×m row-major and its k rows are orthonormalised (Q of aᵀ, stored
 *                   transposed). Reads are contiguous in this layout, so prefer it: Shampoo's
 *                   Vᵀ·A (rows = (A·vₖ)ᵀ for symmetric A) gives the new Vᵀ directly.
 */
import type { GpuContext } from '../gpu/context';
import { makeUniform, type Dispatch } from '../gpu/dispatch';
import { wgslConstants } from '../gpu/pipelines';
import { requireElements } from '../gpu/validate';
import { bindBuffers, HASH_WGSL, type LinalgWorkspace } from '../linalg/common';
import { makeGemm, rowMajor } from '../linalg/gemm';
import { QR_ABSOLUTE_FLOOR, QR_FALLBACK_SEED, QR_LARGE_PASSES, QR_RELATIVE_FLOOR } from './constants';
import type { QrLayout } from './qr-large.ref';
import source from './qr-large.wgsl?raw';

const WORKGROUP_SIZE = 256;
const NORM_WORKGROUP_SIZE = 64;
/** Vectors per panel. WORKGROUP_SIZE / PANEL lanes share each panel vector's dot products. */
const PANEL = 32;

const SHADER_CONSTANTS = {
  WORKGROUP_SIZE,
  NORM_WORKGROUP_SIZE,
  PANEL,
  SLOTS: WORKGROUP_SIZE / PANEL,
  RELATIVE_FLOOR_SQUARED: { f32: QR_RELATIVE_FLOOR ** 2 },
  ABSOLUTE_FLOOR: { f32: QR_ABSOLUTE_FLOOR },
  FALLBACK_SEED: QR_FALLBACK_SEED,
};

export interface QrLargeArgs {
  /** m×k ('columns') or k×m ('rows') row-major f32, overwritten by Q in the same layout. */
  a: GPUBuffer;
  m: number;
  k: number;
  layout: QrLayout;
  /**
   * Scratch: vectors[0] (squared norms) and vectors[1] (coefficients) need ≥ k entries each.
   * matrices[0] (projection coefficients) and matrices[1] (panel copy) need ≥ min(k, PANEL)·m
   * entries each, so a workspace of order m always suffices.
   */
  workspace: LinalgWorkspace;
  /** Default QR_LARGE_PASSES (2). */
  passes?: number;
}

export function makeQrLarge(ctx: GpuContext, label: string, args: QrLargeArgs): Dispatch[] {
  const { a, m, k, layout, workspace } = args;
  const passes = args.passes ?? QR_LARGE_PASSES;
  if (!Number.isInteger(k) || k < 1) throw new Error(`${label}: QR k must be a positive integer, got ${k}`);
  if (!Number.isInteger(m) || m < k) throw new Error(`${label}: QR m must be an integer ≥ k = ${k}, got ${m}`);
  if (!Number.isInteger(passes) || passes < 1) throw new Error(`${label}: QR passes must be a positive integer, got ${passes}`);
  if (k > ctx.limits.maxComputeWorkgroupsPerDimension) throw new Error(`${label}: QR k = ${k} exceeds the workgroup limit per dimension`);
  requireElements(label, 'QR', 'a', a, m * k, `m*k = ${m}*${k}`);
  const [norms, coefficients] = workspace.vectors;
  requireElements(label, 'QR', 'workspace norms', norms, k, `k = ${k}`);
  requireElements(label, 'QR', 'workspace coefficients', coefficients, k, `k = ${k}`);
  const [projection, panelCopy] = workspace.matrices;
  const panelEntries = Math.min(k, PANEL) * m;
  requireElements(label, 'QR', 'workspace matrices[0]', projection, panelEntries, `min(k, ${PANEL})*m = ${panelEntries}`);
  requireElements(label, 'QR', 'workspace matrices[1]', panelCopy, panelEntries, `min(k, ${PANEL})*m = ${panelEntries}`);
  if ([norms, coefficients, projection, panelCopy].includes(a)) throw new Error(`${label}: QR a must not be a workspace buffer`);

  const shader = () => wgslConstants(SHADER_CONSTANTS) + HASH_WGSL + source;
  const pipeline = (entry: string) => ctx.pipelines.get(`qr-large:${entry}`, shader, entry);
  const [vecStride, elemStride] = layout === 'columns' ? [1, k] : [m, 1];
  const uniform = (name: string, panelStart: number, panelWidth: number) =>
    makeUniform(ctx, `${label} ${name} params`, [
      ['u32', m],
      ['u32', k],
      ['u32', vecStride],
      ['u32', elemStride],
      ['u32', panelStart],
      ['u32', panelWidth],
    ]);
  const dispatch = (entry: string, name: string, params: GPUBuffer, workgroups: number): Dispatch => {
    const p = pipeline(entry);
    const buffers: Record<number, GPUBuffer> =
      entry === 'copy_panel' ? { 0: params, 1: a, 4: panelCopy } : entry === 'panel' ? { 0: params, 1: a, 2: norms, 3: coefficients } : { 0: params, 1: a, 2: norms };
    return { label: `${label} ${name}`, pipeline: p, bindGroup: bindBuffers(ctx, p, `${label} ${name}`, buffers), workgroups: [workgroups, 1, 1] };
  };

  // The same dispatches serve every pass: each pass starts from the vectors the previous one left.
  const pass: Dispatch[] = [dispatch('column_norms', 'norms', uniform('norms', 0, 0), k)];
  for (let start = 0; start < k; start += PANEL) {
    const width = Math.min(PANEL, k - start);
    const params = uniform(`panel ${start}`, start, width);
    pass.push(dispatch('panel', `panel ${start}`, params, 1));
    const first = start + width;
    const later = k - first;
    if (later === 0) continue;
    pass.push(dispatch('copy_panel', `copy panel ${start}`, params, Math.ceil((width * m) / WORKGROUP_SIZE)));
    // C (later × width) = T·Q_panelᵀ, where row t of T is vector first + t.
    const trailing = { buffer: a, offset: first * vecStride, rowStride: vecStride, colStride: elemStride };
    pass.push(makeGemm(ctx, `${label} project ${start}`, { a: trailing, b: rowMajor(panelCopy, m, true), out: projection, m: later, k: m, n: width }));
    // T −= C·Q_panel, written as T itself (rows layout) or as Tᵀ = Tᵀ − Q_panelᵀ·Cᵀ (columns layout),
    // so the output view always has unit column stride.
    pass.push(
      layout === 'rows'
        ? makeGemm(ctx, `${label} update ${start}`, {
            a: rowMajor(projection, width),
            b: rowMajor(panelCopy, m),
            out: a,
            outOffset: first * m,
            outRowStride: m,
            m: later,
            k: width,
            n: m,
            alpha: -1,
            addend: a,
          })
        : makeGemm(ctx, `${label} update ${start}`, {
            a: rowMajor(panelCopy, m, true),
            b: rowMajor(projection, width, true),
            out: a,
            outOffset: first,
            outRowStride: k,
            m,
            k: width,
            n: later,
            alpha: -1,
            addend: a,
          }),
    );
  }
  return Array.from({ length: passes }, () => pass).flat();
}
