/**
 * CPU reference of the vision optimizers' whole step in f64: SGD, AdamW, and 32-bit and 4-bit
 * Shampoo with blocking, grafting and the base optimizer. It is the specification that the GPU
 * optimizers in this folder are tested against; the schedule and storage rules are those of
 * shampoo-blocks.ts.
 *
 * Quantized 4-bit state is emulated with the quantizer's own CPU reference (f32 codes and absmax).
 * The 4-bit paths are therefore exact only up to code flips, because a value within rounding of a
 * midpoint may get the neighbouring code on the GPU. The f32 and f64 paths have no such step.
 */
import {
  dequantize4Ref,
  dequantizeOffDiagonal4Ref,
  quantize4Ref,
  quantizeOffDiagonal4Ref,
  type Quantized4,
  type Quantized4OffDiagonal,
} from '../../../kernels/quant4/quant4.ref';
import type { CodebookName } from '../../../kernels/quant4/codebooks';
import { GRAFT_EPSILON } from '../../../kernels/graft/graft';
import type { VisionParameter } from '../../model/vision-types';
import type { FirstOrderConfig, ShampooConfig, VisionOptimizerConfig } from '../../run/types';
import { BaseUpdateRef, type RefParameter } from './first-order.ref';
import { bjorckRef } from '../../../kernels/linalg/bjorck.ref';
import { diagQuadraticRef } from '../../../kernels/linalg/diag-quadratic.ref';
import { eigenRootRef } from '../../../kernels/linalg/eigen-root.ref';
import { inverseRootRef } from '../../../kernels/linalg/inverse-root.ref';
import { qrLargeRef } from '../../../kernels/qr-large/qr-large.ref';
import { allFinite, frobeniusNorm, gram, identity, matmul, transpose } from './dense.ref';
import { ROOT_BJORCK_STEPS } from './shampoo-factors';
import { isFactorStep, isRootStep, planMatrixBlocks, type BlockPlan, type FactorPlan } from './shampoo-blocks';



export interface RefWarning {
  step: number;
  /** The factor's label, naming the parameter and block. */
  tensor: string;
  kind: 'factor' | 'root';
}

/** One Shampoo factor (L or R of one block) with its inverse root. */
export interface FactorRef {
  readonly plan: FactorPlan;
  /** Factor step: folds the block gradient g (h×w) into the factor. Returns false when the result was non-finite and was dropped. */
  update(g: Float64Array, rows: number, cols: number): boolean;
  /** Root step. Returns false when the root was non-finite and was dropped. */
  updateRoot(): boolean;
  /** The inverse root as applied (dequantized), order×order. */
  root(): Float64Array;
}

/** shampoo32, and the small factors of the naive 4-bit variant: L = β·L + (1−β)·G·Gᵀ, L̂ by the coupled Newton iteration. */
class Fp32FactorRef implements FactorRef {
  factor: Float64Array;
  inverseRoot: Float64Array;

  constructor(
    readonly plan: FactorPlan,
    private readonly config: ShampooConfig,
  ) {
    this.factor = identity(plan.order, config.epsilon);
    this.inverseRoot = identity(plan.order);
  }

  update(g: Float64Array, rows: number, cols: number): boolean {
    const next = emaGram(this.factor, g, rows, cols, this.plan.side, this.config.factorDecay);
    if (!allFinite(next)) return false;
    this.factor = next;
    return true;
  }

  updateRoot(): boolean {
    const next = inverseRootRef(this.factor, this.plan.order, { epsilon: this.config.epsilon }).root;
    if (!next) return false;
    this.inverseRoot = next;
    return true;
  }

  root(): Float64Array {
    return this.inverseRoot;
  }
}

/** Naive 4-bit variant: the factor itself is stored as 4-bit codes; the root as an f32 diagonal plus 4-bit off-diagonal. */
class QuantizedFactorRef implements FactorRef {
  factor: Quantized4;
  inverseRoot: Quantized4OffDiagonal;

  constructor(
    readonly plan: FactorPlan,
    private readonly config: ShampooConfig,
    private readonly codebook: CodebookName,
  ) {
    const n = plan.order;
    this.factor = quantize4Ref(Float32Array.from(identity(n, config.epsilon)), n, n, codebook);
    this.inverseRoot = quantizeOffDiagonal4Ref(Float32Array.from(identity(n)), n, codebook);
  }

  dequantizedFactor(): Float32Array {
    const n = this.plan.order;
    return dequantize4Ref(this.factor.codes, this.factor.absmax, n, n, this.codebook);
  }

  update(g: Float64Array, rows: number, cols: number): boolean {
    const n = this.plan.order;
    const next = emaGram(this.dequantizedFactor(), g, rows, cols, this.plan.side, this.config.factorDecay);
    if (!allFinite(next)) return false;
    this.factor = quantize4Ref(Float32Array.from(next), n, n, this.codebook);
    return true;
  }

  updateRoot(): boolean {
    const n = this.plan.order;
    const next = inverseRootRef(this.dequantizedFactor(), n, { epsilon: this.config.epsilon }).root;
    if (!next) return false;
    this.inverseRoot = quantizeOffDiagonal4Ref(Float32Array.from(next), n, this.codebook);
    return true;
  }

  root(): Float64Array {
    const { codes, absmax, diagonal } = this.inverseRoot;
    return Float64Array.from(dequantizeOffDiagonal4Ref(codes, absmax, diagonal, this.plan.order, this.codebook));
  }
}

/**
 * 4-bit Shampoo's eigenvector form: Vᵀ (rows are eigenvectors), eigenvalues S and the root Â.
 * Factor step, from the stored Vᵀ (one Björck step first when quantized and rectifying):
 *   A = β·V·diag(S)·Vᵀ + (1−β)·G·Gᵀ,  P = Q of QR(A·V),  S = diag(Pᵀ·A·P),  Vᵀ = Pᵀ
 * Root step, from the stored Vᵀ (four Björck steps first when quantized and rectifying):
 *   Â = V·diag((max(S, 0) + ε·max S)^(−1/4))·Vᵀ
 * Quantized factors store Vᵀ as 4-bit codes and Â as an f32 diagonal plus 4-bit off-diagonal.
 */
class EigenFactorRef implements FactorRef {
  eigenvectors: Float64Array | Quantized4;
  eigenvalues: Float64Array;
  inverseRoot: Float64Array | Quantized4OffDiagonal;

  constructor(
    readonly plan: FactorPlan,
    private readonly config: ShampooConfig,
    private readonly codebook: CodebookName,
  ) {
    const n = plan.order;
    this.eigenvalues = new Float64Array(n).fill(config.epsilon);
    if (this.quantized) {
      this.eigenvectors = quantize4Ref(Float32Array.from(identity(n)), n, n, codebook);
      this.inverseRoot = quantizeOffDiagonal4Ref(Float32Array.from(identity(n)), n, codebook);
    } else {
      this.eigenvectors = identity(n);
      this.inverseRoot = identity(n);
    }
  }

  get quantized(): boolean {
    return this.plan.storage === 'eigen-4bit';
  }

  private get rectify(): boolean {
    return this.quantized && (this.config.rectify ?? true);
  }

  /** Returns the stored Vᵀ, dequantized. */
  storedEigenvectors(): Float64Array {
    const n = this.plan.order;
    const stored = this.eigenvectors;
    if (stored instanceof Float64Array) return stored;
    return Float64Array.from(dequantize4Ref(stored.codes, stored.absmax, n, n, this.codebook));
  }

  update(g: Float64Array, rows: number, cols: number): boolean {
    const n = this.plan.order;
    let vt = this.storedEigenvectors();
    if (this.rectify) vt = bjorckRef(vt, n, 1);

    const scaled = new Float64Array(n * n);
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) scaled[k * n + j] = this.eigenvalues[k] * vt[k * n + j];
    const a = emaGram(matmul(transpose(vt, n, n), scaled, n, n, n), g, rows, cols, this.plan.side, this.config.factorDecay);

    // The rows of Vᵀ·A are (A·vₖ)ᵀ, so their QR is P = Q of QR(A·V), stored transposed.
    const nextVt = qrLargeRef(matmul(vt, a, n, n, n), n, n, 'rows');
    const eigenvalues = diagQuadraticRef(nextVt, a, n, 'rows');
    if (!allFinite(nextVt) || !allFinite(eigenvalues)) return false;

    this.eigenvalues = eigenvalues;
    this.eigenvectors = this.quantized ? quantize4Ref(Float32Array.from(nextVt), n, n, this.codebook) : nextVt;
    return true;
  }

  updateRoot(): boolean {
    const n = this.plan.order;
    let vt = this.storedEigenvectors();
    if (this.rectify) vt = bjorckRef(vt, n, ROOT_BJORCK_STEPS);

    // The GPU stores S in f32.
    const next = eigenRootRef(vt, Float32Array.from(this.eigenvalues), n, this.config.epsilon);
    if (!next) return false;

    this.inverseRoot = this.quantized ? quantizeOffDiagonal4Ref(Float32Array.from(next), n, this.codebook) : next;
    return true;
  }

  root(): Float64Array {
    const stored = this.inverseRoot;
    if (stored instanceof Float64Array) return stored;
    return Float64Array.from(dequantizeOffDiagonal4Ref(stored.codes, stored.absmax, stored.diagonal, this.plan.order, this.codebook));
  }
}

/** Returns β·factor + (1−β)·G·Gᵀ (left) or β·factor + (1−β)·Gᵀ·G (right). */
function emaGram(factor: ArrayLike<number>, g: Float64Array, rows: number, cols: number, side: 'left' | 'right', beta: number): Float64Array {
  const product = gram(g, rows, cols, side);
  const out = new Float64Array(product.length);
  for (let i = 0; i < out.length; i++) out[i] = beta * factor[i] + (1 - beta) * product[i];
  return out;
}

function makeFactorRef(plan: FactorPlan, config: ShampooConfig): FactorRef {
  const codebook = config.codebook ?? 'linear-2';
  switch (plan.storage) {
    case 'fp32':
      return new Fp32FactorRef(plan, config);
    case 'factor-4bit':
      return new QuantizedFactorRef(plan, config, codebook);
    case 'eigen-fp32':
    case 'eigen-4bit':
      return new EigenFactorRef(plan, config, codebook);
  }
}

interface BlockRef {
  plan: BlockPlan;
  left: FactorRef;
  right: FactorRef;
}

/**
 * The whole optimizer on the CPU. `step` takes the weights (f64, updated in place) and the
 * gradients of step `step`; steps must come in order from 0.
 */
export class VisionOptimizerRef {
  readonly warnings: RefWarning[] = [];
  private readonly bases: BaseUpdateRef[];
  private readonly blocks: (BlockRef[] | null)[];
  private readonly shampoo: ShampooConfig | null;

  constructor(
    private readonly parameters: readonly RefParameter[],
    config: VisionOptimizerConfig,
  ) {
    this.shampoo = config.name === 'shampoo32' || config.name === 'shampoo4' ? config : null;
    const base = this.shampoo ? this.shampoo.base : (config as FirstOrderConfig);
    this.bases = parameters.map((param) => new BaseUpdateRef(base, param.size, param.decay));
    this.blocks = parameters.map((param) => {
      const shampoo = this.shampoo;
      if (!shampoo || !param.matrix) return null;
      return planMatrixBlocks(param.name, param.matrix.rows, param.matrix.cols, shampoo).map((plan) => ({
        plan,
        left: makeFactorRef(plan.left, shampoo),
        right: makeFactorRef(plan.right, shampoo),
      }));
    });
  }

  /** Returns the factors of block `blockIndex` of parameter `parameterIndex`, or null for 1-D parameters. */
  block(parameterIndex: number, blockIndex: number): BlockRef | null {
    return this.blocks[parameterIndex]?.[blockIndex] ?? null;
  }

  step(step: number, weights: Float64Array[], grads: readonly ArrayLike<number>[]): void {
    this.parameters.forEach((param, index) => {
      const blocks = this.blocks[index];
      const direction = blocks && this.shampoo ? this.direction(step, param, blocks, grads[index]) : grads[index];
      this.bases[index].apply(step, weights[index], direction);
    });
  }

  /** Computes the grafted Shampoo direction of one matrix parameter, after this step's factor and root updates. */
  private direction(step: number, param: RefParameter, blocks: BlockRef[], grad: ArrayLike<number>): Float64Array {
    const config = this.shampoo!;
    const { cols } = param.matrix!;
    const out = new Float64Array(param.size);
    for (const { plan, left, right } of blocks) {
      const h = plan.rows;
      const w = plan.cols;
      const g = new Float64Array(h * w);
      for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) g[r * w + c] = grad[(plan.r0 + r) * cols + plan.c0 + c];

      if (isFactorStep(config, step)) {
        for (const factor of [left, right]) {
          if (!factor.update(g, h, w)) this.warnings.push({ step, tensor: factor.plan.label, kind: 'factor' });
        }
      }
      if (isRootStep(config, step)) {
        for (const factor of [left, right]) {
          if (!factor.updateRoot()) this.warnings.push({ step, tensor: factor.plan.label, kind: 'root' });
        }
      }

      const preconditioned = matmul(matmul(left.root(), g, h, h, w), right.root(), h, w, w);
      for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) out[(plan.r0 + r) * cols + plan.c0 + c] = preconditioned[r * w + c];
    }

    const scale = frobeniusNorm(grad) / (frobeniusNorm(out) + GRAFT_EPSILON);
    for (let i = 0; i < out.length; i++) out[i] *= scale;
    return out;
  }
}
