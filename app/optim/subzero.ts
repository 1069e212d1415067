/**
 * SubZero: zeroth-order optimization in random low-rank subspaces.
 *
 * For each 2-D weight W (m×n), with r_eff = min(r, m, n):
 *   U (m×r_eff), V (n×r_eff): Q factors of QRs of Gaussian matrices, redrawn when step % T == 0
 *   Σ (r_eff×r_eff) ~ N(0, I), drawn every step from the step seed
 *   Z = sqrt(m·n) / r_eff · U Σ Vᵀ          (so E‖Z‖²_F = m·n, and MeZO's ε and η carry over)
 * 1-D tensors use MeZO's full Gaussian z. The step is MeZO's: g = (L+ − L−)/(2ε), θ ← θ − η(g·Z + λθ).
 * Z is never materialised: the perturbation kernel computes c·U(ΣVᵀ) element by element.
 * A weight split by rows keeps one U for the whole matrix; each chunk reads the rows of U that
 * match its own rows.
 */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Dispatch } from '../../kernels/gpu/dispatch';
import { makePerturbLowRank, makeStepParams, writeStepParams } from '../../kernels/perturb/perturb';
import { makeQr } from '../../kernels/qr/qr';
import { makeGaussianFill } from '../../kernels/rng/rng';
import type { Gpt2Model, Parameter } from '../model/gpt2';
import { chunkLabel, type RowRange } from '../../kernels/gpu/split';
import type { SubzeroConfig } from '../run/types';
import { subspaceSeed, ZerothOrderBase } from './zo';

/** Stream offsets that keep Σ, U and V draws apart from the full-rank z streams (tensor index). */
const SIGMA_STREAM = 1 << 20;
const U_STREAM = 2 << 20;
const V_STREAM = 3 << 20;

interface Subspace {
  rank: number;
  u: GPUBuffer; // m×r_eff
  v: GPUBuffer; // n×r_eff
  sigma: GPUBuffer; // r_eff×r_eff
}

export class Subzero extends ZerothOrderBase {
  private readonly subspaces = new Map<number, Subspace>();
  private readonly sigmaDispatches: Dispatch[] = [];
  private readonly refreshDispatches: Dispatch[] = [];
  private readonly refreshParams: GPUBuffer;

  constructor(ctx: GpuContext, model: Gpt2Model, readonly subzeroConfig: SubzeroConfig, runSeed: number) {
    super(ctx, model, subzeroConfig, runSeed);
    const { rank, subspacePeriod } = subzeroConfig;
    if (!Number.isInteger(rank) || rank < 1) throw new Error(`subzero: rank must be a positive integer (got ${rank}).`);
    if (!Number.isInteger(subspacePeriod) || subspacePeriod < 1) {
      throw new Error(`subzero: subspacePeriod must be a positive integer (got ${subspacePeriod}).`);
    }

    this.refreshParams = makeStepParams(ctx, 'subzero subspace params');
    this.owned.push(this.refreshParams);
    const { buffers } = ctx.pool.capture(() => this.buildSubspaces(rank));
    this.owned.push(...buffers);
    this.finishSetup();
  }

  /** Allocates U, V, Σ for every 2-D tensor and prepares their draws and QRs. */
  private buildSubspaces(rank: number): void {
    const ctx = this.ctx;
    for (const param of this.model.parameters) {
      if (param.shape.length !== 2 || !this.isTrainable(param)) continue;
      const r = Math.min(rank, param.rows, param.cols);
      const make = (name: string, floats: number) => ctx.pool.storage(`subzero ${name} ${param.name}`, 'perturbation', floats * 4);
      const subspace: Subspace = { rank: r, u: make('U', param.rows * r), v: make('V', param.cols * r), sigma: make('sigma', r * r) };
      this.subspaces.set(param.index, subspace);

      this.sigmaDispatches.push(
        makeGaussianFill(ctx, `subzero sigma ${param.name}`, { out: subspace.sigma, n: r * r, stream: SIGMA_STREAM + param.index, step: this.stepParams }),
      );
      this.refreshDispatches.push(
        makeGaussianFill(ctx, `subzero U ${param.name}`, { out: subspace.u, n: param.rows * r, stream: U_STREAM + param.index, step: this.refreshParams }),
        makeQr(ctx, `subzero QR U ${param.name}`, { a: subspace.u, m: param.rows, r }),
        makeGaussianFill(ctx, `subzero V ${param.name}`, { out: subspace.v, n: param.cols * r, stream: V_STREAM + param.index, step: this.refreshParams }),
        makeQr(ctx, `subzero QR V ${param.name}`, { a: subspace.v, m: param.cols, r }),
      );
    }
  }

  /** Builds `dst = keep·src + c·Z` over the rows `chunk`: low-rank for 2-D tensors, full-rank otherwise. */
  protected override perturbDispatch(param: Parameter, chunk: RowRange, src: GPUBuffer, dst: GPUBuffer, applyDecay: boolean): Dispatch {
    const subspace = this.subspaces?.get(param.index);
    if (!subspace) return super.perturbDispatch(param, chunk, src, dst, applyDecay);
    const { rows: m, cols: n } = param;
    const r = subspace.rank;
    const label = chunkLabel(`subzero ${src === dst ? 'update' : 'perturb'} ${param.name}`, chunk, param.chunks.length);
    return makePerturbLowRank(this.ctx, label, {
      src,
      dst,
      u: subspace.u,
      v: subspace.v,
      sigma: subspace.sigma,
      m: chunk.rows,
      n,
      r,
      scale: Math.sqrt(m * n) / r,
      applyDecay,
      step: this.stepParams,
      rowOffset: chunk.rowStart,
      totalRows: m,
    });
  }

  /** Returns the subspace buffers of a 2-D tensor (undefined for 1-D tensors), for tests and inspection. */
  subspaceFor(paramIndex: number): Readonly<Subspace> | undefined {
    return this.subspaces.get(paramIndex);
  }

  /** Σ draws every step; the subspace refresh (Gaussian fill, then QR) when step % T == 0. */
  override prepareDispatches(step: number): Dispatch[] {
    if (step % this.subzeroConfig.subspacePeriod !== 0) return this.sigmaDispatches;
    const refresh = Math.floor(step / this.subzeroConfig.subspacePeriod);
    writeStepParams(this.ctx, this.refreshParams, { seed: subspaceSeed(this.runSeed, refresh), c: 0, keep: 1 });
    return [...this.refreshDispatches, ...this.sigmaDispatches];
  }
}
