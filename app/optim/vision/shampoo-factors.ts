/**
 * GPU state and prepared dispatches of one Shampoo factor (L or R of one block), in the four
 * storage forms of shampoo-blocks.ts. Every update is computed into shared scratch first, checked
 * for NaN and ±Inf on the GPU, and committed with a gated copy, so a failed update keeps the
 * previous factor, eigenvectors, eigenvalues or root, and logs an event (health.ts).
 *
 * 'fp32' (shampoo32; small factors of the naive 4-bit variant):
 *   factor step:  C = β·L + (1−β)·G·Gᵀ;  commit C → L if C is finite
 *   root step:    L̂ = (L + ε·λmax·I)^(−1/4), power iteration and coupled Newton (the kernel keeps
 *                 the previous L̂ itself when the root is not finite)
 * 'factor-4bit' (naive variant): as 'fp32', with L = D(codes) dequantized first; the new L is
 *   requantized, and L̂ is computed into scratch and stored as f32 diagonal + 4-bit off-diagonal.
 * 'eigen-fp32', 'eigen-4bit' (4-bit Shampoo):
 *   factor step:  Vᵀ = D(stored), one Björck step (4-bit with rectification only);
 *                 A = β·V·diag(S)·Vᵀ + (1−β)·G·Gᵀ;  Pᵀ = rows-QR(Vᵀ·A) (the rows of Vᵀ·A are
 *                 (A·vₖ)ᵀ, so this is P = Q of QR(A·V) stored transposed);  S' = diag(Pᵀ·A·P);
 *                 commit Pᵀ (requantized for 4-bit) and S' if both are finite
 *   root step:    Vᵀ = D(stored), four Björck steps (4-bit with rectification only);
 *                 Â = V·diag((max(S, 0) + ε·max S)^(−1/4))·Vᵀ, stored in f32, or as f32 diagonal +
 *                 4-bit off-diagonal for 4-bit factors, when the eigen-root kernel accepts its input
 */
import type { GpuContext } from '../../../kernels/gpu/context';
import type { Dispatch } from '../../../kernels/gpu/dispatch';
import { makeBjorck } from '../../../kernels/linalg/bjorck';
import type { LinalgWorkspace } from '../../../kernels/linalg/common';
import { makeDiagQuadratic } from '../../../kernels/linalg/diag-quadratic';
import { makeEigenRoot } from '../../../kernels/linalg/eigen-root';
import { makeCopy } from '../../../kernels/linalg/elementwise';
import { makeGemm, rowMajor } from '../../../kernels/linalg/gemm';
import { makeGramEma } from '../../../kernels/linalg/gram-ema';
import { makeInverseRoot } from '../../../kernels/linalg/inverse-root';
import { ROOT_STATUS, ROOT_STATUS_WORDS } from '../../../kernels/linalg/root-status';
import { makeQrLarge } from '../../../kernels/qr-large/qr-large';
import { makeCountNonFinite } from '../../../kernels/reduce/reduce';
import {
  makeDequantize4,
  makeDequantizeOffDiagonal4,
  makeQuantize4,
  makeQuantizeOffDiagonal4,
  quant4Layout,
} from '../../../kernels/quant4/quant4';
import { quantize4Ref, quantizeOffDiagonal4Ref } from '../../../kernels/quant4/quant4.ref';
import type { CodebookName } from '../../../kernels/quant4/codebooks';
import type { ShampooConfig } from '../../run/types';
import { makeGatedCopy, makeHealthCheck } from './health';
import type { OwnedBuffers } from './owned-buffers';
import type { FactorPlan } from './shampoo-blocks';

/** Björck steps before an inverse root of 4-bit eigenvectors (one before each factor step). */
export const ROOT_BJORCK_STEPS = 4;

/** Status words of one factor: the inverse-root status block, then the words of the factor-step check. */
export const FACTOR_STATUS = {
  /** First word of the ROOT_STATUS block of makeInverseRoot and makeEigenRoot. */
  ROOT: 0,
  /** Non-finite entries of the candidate factor or eigenvectors. */
  COUNT: ROOT_STATUS_WORDS,
  /** Non-finite entries of the candidate eigenvalues. */
  VALUES_COUNT: ROOT_STATUS_WORDS + 1,
  /** 1 when the factor-step candidate may be committed. */
  GATE: ROOT_STATUS_WORDS + 2,
  /** Always 0: the second count of a single-count check. */
  ZERO: ROOT_STATUS_WORDS + 3,
  /** Written by the root check; nothing reads it (roots are committed on ROOT_STATUS.WRITE). */
  ROOT_GATE: ROOT_STATUS_WORDS + 4,
} as const;

export const FACTOR_STATUS_WORDS = 16;

/** Event kinds written to the health log. */
export const EVENT_KIND = { factor: 0, root: 1 } as const;

/**
 * Scratch shared by every factor of one optimizer, sized for the largest factor order n (counted
 * as activations): dispatches run in order, so each factor's update is done with it before the
 * next one starts.
 */
export interface FactorScratch {
  order: number;
  workspace: LinalgWorkspace;
  /** [n²] the candidate: new factor, or Vᵀ·A and then Pᵀ. */
  candidate: GPUBuffer;
  /** [n²] A of the eigen update, and the dequantized or freshly computed root elsewhere. */
  matrix: GPUBuffer;
  /** [n²] dequantized (and rectified) Vᵀ. */
  eigenvectors: GPUBuffer;
  /** [n] candidate eigenvalues. */
  values: GPUBuffer;
  /** 4-bit candidate: codes, absmax and diagonal of an n×n matrix. */
  codes: GPUBuffer;
  absmax: GPUBuffer;
  diagonal: GPUBuffer;
  /** Partial sums of the non-finite counts. */
  partials: GPUBuffer;
}

export interface FactorContext {
  ctx: GpuContext;
  owned: OwnedBuffers;
  config: ShampooConfig;
  scratch: FactorScratch;
  /** u32 status words shared by all factors. */
  status: GPUBuffer;
  log: GPUBuffer;
  clock: GPUBuffer;
}

/** The gradient block as a strided view: element (i, j) at g[offset + i·rowStride + j]. */
export interface GradientBlock {
  g: GPUBuffer;
  rows: number;
  cols: number;
  offset: number;
  rowStride: number;
}

/** Buffers of one factor's persistent state, by role (which roles exist depends on the storage). */
export type FactorBuffers = Partial<Record<'factor' | 'factorCodes' | 'factorAbsmax' | 'eigenvectors' | 'eigenvectorCodes' | 'eigenvectorAbsmax' | 'eigenvalues' | 'root' | 'rootCodes' | 'rootAbsmax' | 'rootDiagonal', GPUBuffer>>;

export class ShampooFactor {
  readonly buffers: FactorBuffers = {};
  private readonly n: number;
  private readonly codebook: CodebookName;
  private readonly statusBase: number;

  constructor(
    private readonly fc: FactorContext,
    readonly plan: FactorPlan,
    /** Index of this factor in the optimizer's list: its status block and its id in health events. */
    readonly index: number,
  ) {
    this.n = plan.order;
    this.codebook = fc.config.codebook ?? 'linear-2';
    this.statusBase = index * FACTOR_STATUS_WORDS;
    this.createState();
  }

  private get quantized(): boolean {
    return this.plan.storage === 'eigen-4bit' || this.plan.storage === 'factor-4bit';
  }

  private get rectify(): boolean {
    return this.plan.storage === 'eigen-4bit' && (this.fc.config.rectify ?? true);
  }

  /** Creates the persistent buffers and writes the initial state: L = ε·I, S = ε, V = I, L̂ = I. */
  private createState(): void {
    const { owned } = this.fc;
    const { n, plan, codebook } = this;
    const label = plan.label;
    const epsilon = this.fc.config.epsilon;
    const identity = scaledIdentity(n, 1);

    if (plan.storage === 'fp32') {
      this.buffers.factor = owned.storageFrom(`${label} L`, 'preconditioner', scaledIdentity(n, epsilon));
    } else if (plan.storage === 'factor-4bit') {
      const factor = quantize4Ref(scaledIdentity(n, epsilon), n, n, codebook);
      this.buffers.factorCodes = owned.storageFrom(`${label} L codes`, 'preconditioner', factor.codes);
      this.buffers.factorAbsmax = owned.storageFrom(`${label} L absmax`, 'quantization-scales', factor.absmax);
    } else {
      this.buffers.eigenvalues = owned.storageFrom(`${label} S`, 'preconditioner', new Float32Array(n).fill(epsilon));
      if (plan.storage === 'eigen-fp32') {
        this.buffers.eigenvectors = owned.storageFrom(`${label} Vᵀ`, 'preconditioner', identity);
      } else {
        const vectors = quantize4Ref(identity, n, n, codebook);
        this.buffers.eigenvectorCodes = owned.storageFrom(`${label} Vᵀ codes`, 'preconditioner', vectors.codes);
        this.buffers.eigenvectorAbsmax = owned.storageFrom(`${label} Vᵀ absmax`, 'quantization-scales', vectors.absmax);
      }
    }

    if (this.quantized) {
      const root = quantizeOffDiagonal4Ref(identity, n, codebook);
      this.buffers.rootDiagonal = owned.storageFrom(`${label} root diagonal`, 'preconditioner', root.diagonal);
      this.buffers.rootCodes = owned.storageFrom(`${label} root codes`, 'preconditioner', root.codes);
      this.buffers.rootAbsmax = owned.storageFrom(`${label} root absmax`, 'quantization-scales', root.absmax);
    } else {
      this.buffers.root = owned.storageFrom(`${label} root`, 'preconditioner', identity);
    }
  }

  /** Dispatches of the factor step for gradient block `g`. */
  factorDispatches(g: GradientBlock): Dispatch[] {
    if (this.plan.storage === 'eigen-fp32' || this.plan.storage === 'eigen-4bit') return this.eigenFactorDispatches(g);
    return this.matrixFactorDispatches(g);
  }

  /** Dispatches of the root step. */
  rootDispatches(): Dispatch[] {
    if (this.plan.storage === 'eigen-fp32' || this.plan.storage === 'eigen-4bit') return this.eigenRootDispatches();
    return this.matrixRootDispatches();
  }

  /**
   * Dispatches that leave the inverse root in an f32 n×n buffer, and that buffer: the persistent
   * root itself, or the shared scratch matrix holding the dequantized root.
   */
  rootForUse(): { dispatches: Dispatch[]; root: GPUBuffer } {
    const { ctx, scratch } = this.fc;
    const { buffers, n } = this;
    if (buffers.root) return { dispatches: [], root: buffers.root };
    const dequantize = makeDequantizeOffDiagonal4(ctx, `${this.plan.label} dequantize root`, {
      codes: buffers.rootCodes!,
      absmax: buffers.rootAbsmax!,
      diagonal: buffers.rootDiagonal!,
      values: scratch.matrix,
      n,
      codebook: this.codebook,
    });
    return { dispatches: [dequantize], root: scratch.matrix };
  }

  /** 'fp32' and 'factor-4bit': C = β·L + (1−β)·G·Gᵀ, checked, committed (requantized for 4-bit). */
  private matrixFactorDispatches(g: GradientBlock): Dispatch[] {
    const { ctx, scratch, config } = this.fc;
    const { buffers, n, plan } = this;
    const label = plan.label;
    const candidate = scratch.candidate;
    const dispatches: Dispatch[] = [];

    if (buffers.factor) dispatches.push(makeCopy(ctx, `${label} copy L`, { src: buffers.factor, out: candidate, count: n * n }));
    else dispatches.push(makeDequantize4(ctx, `${label} dequantize L`, this.factorCodesArgs(candidate)));
    dispatches.push(
      makeGramEma(ctx, `${label} EMA`, { ...gradientView(g), factor: candidate, side: plan.side, beta: config.factorDecay }),
      ...this.countNonFinite(`${label} check L`, candidate, n * n, FACTOR_STATUS.COUNT),
      this.factorCheck(FACTOR_STATUS.ZERO),
    );

    if (buffers.factor) {
      dispatches.push(this.commit(`${label} commit L`, candidate, buffers.factor, n * n, FACTOR_STATUS.GATE));
      return dispatches;
    }
    const layout = quant4Layout(n, n);
    dispatches.push(
      makeQuantize4(ctx, `${label} quantize L`, { values: candidate, codes: scratch.codes, absmax: scratch.absmax, rows: n, cols: n, codebook: this.codebook }),
      this.commit(`${label} commit L codes`, scratch.codes, buffers.factorCodes!, layout.codeWords, FACTOR_STATUS.GATE),
      this.commit(`${label} commit L absmax`, scratch.absmax, buffers.factorAbsmax!, layout.scaleCount, FACTOR_STATUS.GATE),
    );
    return dispatches;
  }

  /** 'fp32' and 'factor-4bit': L̂ = (L + ε·λmax·I)^(−1/4) by the coupled Newton iteration. */
  private matrixRootDispatches(): Dispatch[] {
    const { ctx, scratch, config, status } = this.fc;
    const { buffers, n, plan } = this;
    const label = plan.label;
    const rootArgs = { n, status, statusOffset: this.statusBase + FACTOR_STATUS.ROOT, workspace: scratch.workspace, epsilon: config.epsilon };

    if (buffers.factor) {
      return [...makeInverseRoot(ctx, `${label} inverse root`, { ...rootArgs, a: buffers.factor, root: buffers.root! }), this.rootCheck()];
    }
    return [
      makeDequantize4(ctx, `${label} dequantize L`, this.factorCodesArgs(scratch.candidate)),
      ...makeInverseRoot(ctx, `${label} inverse root`, { ...rootArgs, a: scratch.candidate, root: scratch.matrix }),
      this.rootCheck(),
      ...this.storeQuantizedRoot(),
    ];
  }

  /** 'eigen-fp32' and 'eigen-4bit': one warm-started subspace-iteration step with eigenvalue read-off. */
  private eigenFactorDispatches(g: GradientBlock): Dispatch[] {
    const { ctx, scratch, config } = this.fc;
    const { buffers, n, plan } = this;
    const label = plan.label;
    const dispatches: Dispatch[] = [];

    // 1. Vᵀ: the stored f32 matrix, or the dequantized codes (one Björck step when rectifying).
    let vt = buffers.eigenvectors;
    if (!vt) {
      vt = scratch.eigenvectors;
      dispatches.push(makeDequantize4(ctx, `${label} dequantize Vᵀ`, this.eigenvectorCodesArgs(vt)));
      if (this.rectify) dispatches.push(...makeBjorck(ctx, `${label} rectify Vᵀ`, { v: vt, n, steps: 1, workspace: scratch.workspace }));
    }

    // 2. A = β·V·diag(S)·Vᵀ + (1−β)·G·Gᵀ in the scratch matrix.
    const a = scratch.matrix;
    dispatches.push(
      makeGemm(ctx, `${label} V·diag(S)·Vᵀ`, { a: rowMajor(vt, n, true), b: rowMajor(vt, n), out: a, m: n, k: n, n, weights: buffers.eigenvalues!, symmetric: true }),
      makeGramEma(ctx, `${label} EMA`, { ...gradientView(g), factor: a, side: plan.side, beta: config.factorDecay }),
    );

    // 3. Pᵀ = rows-QR(Vᵀ·A), S' = diag(Pᵀ·A·P), both checked.
    const candidate = scratch.candidate;
    dispatches.push(
      makeGemm(ctx, `${label} Vᵀ·A`, { a: rowMajor(vt, n), b: rowMajor(a, n), out: candidate, m: n, k: n, n }),
      ...makeQrLarge(ctx, `${label} QR`, { a: candidate, m: n, k: n, layout: 'rows', workspace: scratch.workspace }),
      ...makeDiagQuadratic(ctx, `${label} diag(Pᵀ·A·P)`, { p: candidate, n, layout: 'rows', out: scratch.values, a, workspace: scratch.workspace }),
      ...this.countNonFinite(`${label} check Vᵀ`, candidate, n * n, FACTOR_STATUS.COUNT),
      ...this.countNonFinite(`${label} check S`, scratch.values, n, FACTOR_STATUS.VALUES_COUNT),
      this.factorCheck(FACTOR_STATUS.VALUES_COUNT),
      this.commit(`${label} commit S`, scratch.values, buffers.eigenvalues!, n, FACTOR_STATUS.GATE),
    );

    // 4. Commit Pᵀ as it is, or requantized.
    if (buffers.eigenvectors) {
      dispatches.push(this.commit(`${label} commit Vᵀ`, candidate, buffers.eigenvectors, n * n, FACTOR_STATUS.GATE));
      return dispatches;
    }
    const layout = quant4Layout(n, n);
    dispatches.push(
      makeQuantize4(ctx, `${label} quantize Vᵀ`, { values: candidate, codes: scratch.codes, absmax: scratch.absmax, rows: n, cols: n, codebook: this.codebook }),
      this.commit(`${label} commit Vᵀ codes`, scratch.codes, buffers.eigenvectorCodes!, layout.codeWords, FACTOR_STATUS.GATE),
      this.commit(`${label} commit Vᵀ absmax`, scratch.absmax, buffers.eigenvectorAbsmax!, layout.scaleCount, FACTOR_STATUS.GATE),
    );
    return dispatches;
  }

  /** 'eigen-fp32' and 'eigen-4bit': Â = V·diag((S + ε·max S)^(−1/4))·Vᵀ. */
  private eigenRootDispatches(): Dispatch[] {
    const { ctx, scratch, config, status } = this.fc;
    const { buffers, n, plan } = this;
    const label = plan.label;
    const rootArgs = { values: buffers.eigenvalues!, n, status, statusOffset: this.statusBase + FACTOR_STATUS.ROOT, workspace: scratch.workspace, epsilon: config.epsilon };

    if (buffers.eigenvectors) {
      return [...makeEigenRoot(ctx, `${label} eigen root`, { ...rootArgs, vt: buffers.eigenvectors, root: buffers.root! }), this.rootCheck()];
    }
    const vt = scratch.eigenvectors;
    const dispatches = [makeDequantize4(ctx, `${label} dequantize Vᵀ`, this.eigenvectorCodesArgs(vt))];
    if (this.rectify) dispatches.push(...makeBjorck(ctx, `${label} rectify Vᵀ`, { v: vt, n, steps: ROOT_BJORCK_STEPS, workspace: scratch.workspace }));
    dispatches.push(
      ...makeEigenRoot(ctx, `${label} eigen root`, { ...rootArgs, vt, root: scratch.matrix }),
      this.rootCheck(),
      ...this.storeQuantizedRoot(),
    );
    return dispatches;
  }

  /** Quantizes the root in the scratch matrix and commits it when the root kernel wrote it (ROOT_STATUS.WRITE). */
  private storeQuantizedRoot(): Dispatch[] {
    const { ctx, scratch } = this.fc;
    const { buffers, n, plan } = this;
    const layout = quant4Layout(n, n);
    const gate = this.statusBase + FACTOR_STATUS.ROOT + ROOT_STATUS.WRITE;
    return [
      makeQuantizeOffDiagonal4(ctx, `${plan.label} quantize root`, {
        values: scratch.matrix,
        codes: scratch.codes,
        absmax: scratch.absmax,
        diagonal: scratch.diagonal,
        n,
        codebook: this.codebook,
      }),
      this.commitWord(`${plan.label} commit root codes`, scratch.codes, buffers.rootCodes!, layout.codeWords, gate),
      this.commitWord(`${plan.label} commit root absmax`, scratch.absmax, buffers.rootAbsmax!, layout.scaleCount, gate),
      this.commitWord(`${plan.label} commit root diagonal`, scratch.diagonal, buffers.rootDiagonal!, n, gate),
    ];
  }

  private factorCodesArgs(values: GPUBuffer) {
    return { codes: this.buffers.factorCodes!, absmax: this.buffers.factorAbsmax!, values, rows: this.n, cols: this.n, codebook: this.codebook };
  }

  private eigenvectorCodesArgs(values: GPUBuffer) {
    return { codes: this.buffers.eigenvectorCodes!, absmax: this.buffers.eigenvectorAbsmax!, values, rows: this.n, cols: this.n, codebook: this.codebook };
  }

  private countNonFinite(label: string, src: GPUBuffer, count: number, word: number): Dispatch[] {
    const { ctx, status, scratch } = this.fc;
    return makeCountNonFinite(ctx, label, { src, n: count, results: status, index: this.statusBase + word, partials: scratch.partials });
  }

  /** Checks COUNT plus `secondWord`, writes GATE and logs a factor event on failure. */
  private factorCheck(secondWord: number): Dispatch {
    const { ctx, status, log, clock } = this.fc;
    const base = this.statusBase;
    return makeHealthCheck(ctx, `${this.plan.label} factor check`, {
      status,
      mode: 'counts',
      firstWord: base + FACTOR_STATUS.COUNT,
      secondWord: base + secondWord,
      gateWord: base + FACTOR_STATUS.GATE,
      log,
      clock,
      tensor: this.index,
      kind: EVENT_KIND.factor,
    });
  }

  /** Logs a root event when the root kernel kept the previous root. */
  private rootCheck(): Dispatch {
    const { ctx, status, log, clock } = this.fc;
    const base = this.statusBase;
    return makeHealthCheck(ctx, `${this.plan.label} root check`, {
      status,
      mode: 'rootFlags',
      firstWord: base + FACTOR_STATUS.ROOT + ROOT_STATUS.FLAGS,
      secondWord: base + FACTOR_STATUS.ZERO,
      gateWord: base + FACTOR_STATUS.ROOT_GATE,
      log,
      clock,
      tensor: this.index,
      kind: EVENT_KIND.root,
    });
  }

  private commit(label: string, src: GPUBuffer, dst: GPUBuffer, count: number, word: number): Dispatch {
    return this.commitWord(label, src, dst, count, this.statusBase + word);
  }

  private commitWord(label: string, src: GPUBuffer, dst: GPUBuffer, count: number, gateWord: number): Dispatch {
    return makeGatedCopy(this.fc.ctx, label, { status: this.fc.status, gateWord, src, dst, count });
  }
}

function gradientView(g: GradientBlock) {
  return { g: g.g, rows: g.rows, cols: g.cols, offset: g.offset, rowStride: g.rowStride };
}

function scaledIdentity(n: number, value: number): Float32Array {
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = value;
  return out;
}
