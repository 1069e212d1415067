/**
 * GPT-2 on the GPU: parameters in pooled buffers and prepared forward plans.
 *
 * Shapes: B batch, T time, C channels, V vocabulary, P positions, NH heads.
 * Weights use Hugging Face's layout: Conv1D weights are (in × out), the LM head is tied to wte (V×C).
 * A forward plan is built once per (B, T, parameter view) and re-encoded every step. The perturbed
 * plans of the zeroth-order optimizers read parameters through a view that first materialises
 * `θ + c·Z` into a small scratch slot. So the master weights are written only by the update.
 *
 * A 2-D weight above the binding limit (`ctx.maxBindingBytes`) is stored as several buffers of
 * whole rows (kernels/gpu/split.ts). The ops that read it run once per chunk: the embedding gather
 * writes the tokens of the chunk's rows, the tied head fills the chunk's logit columns, and a
 * Conv1D matmul adds the chunk's part of the inner dimension. Each result is bit-identical to the
 * unsplit tensor's, and a tensor that fits is one chunk with the dispatches it always had.
 */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Dispatch } from '../../kernels/gpu/dispatch';
import { makeAdd } from '../../kernels/add/add';
import { makeAttention } from '../../kernels/attention/attention';
import { makeCrossEntropy, makeMaskedMean } from '../../kernels/crossentropy/crossentropy';
import { makeEmbedding } from '../../kernels/embedding/embedding';
import { makeGelu } from '../../kernels/gelu/gelu';
import { makeLayerNorm } from '../../kernels/layernorm/layernorm';
import { makeMatmul } from '../../kernels/matmul/matmul';
import { chunkLabel, largestChunkElements, planRowChunks, readRowChunks, uploadRowChunks, type RowChunk, type RowRange } from '../../kernels/gpu/split';
import type { Gpt2Config } from './gpt2-config';
import { gpt2ExpectedShapes } from './gpt2-weights';

/** One trainable tensor. 2-D tensors are m×n row-major; 1-D tensors have m = 1. */
export interface Parameter {
  /** Index in `Gpt2Model.parameters`, also the tensor's random stream id. */
  index: number;
  /** Unprefixed Hugging Face name, e.g. `h.0.attn.c_attn.weight`. */
  name: string;
  shape: number[];
  numel: number;
  /** Rows and columns of the 2-D view (1-D tensors: 1 × numel). */
  rows: number;
  cols: number;
  /** Biases and LayerNorm parameters are excluded from weight decay. */
  decay: boolean;
  /**
   * Buffers of whole rows in order, each within the binding limit: a single chunk holding every
   * row unless the tensor is split.
   */
  chunks: readonly RowChunk[];
  /** The buffer of an unsplit tensor. Throws for a split one, whose rows live in `chunks`. */
  readonly buffer: GPUBuffer;
}

/** Scratch slots a perturbed view may write into; one forward op uses at most two at once. */
export type ScratchSlot = 'matrix' | 'matrix2' | 'vector' | 'vector2';

/** One chunk of a parameter as an op reads it: the buffer holding rows [rowStart, rowStart + rows) and the dispatches that fill it. */
export interface ViewChunk extends RowRange {
  buffer: GPUBuffer;
  dispatches: Dispatch[];
}

/**
 * Returns, per chunk of `param`, the buffer an op should read and the dispatches that fill it
 * first. A view may reuse one scratch buffer for every chunk, so the caller records chunk i's
 * dispatches and then the op on chunk i before chunk i + 1's dispatches. The plain view returns the
 * master weights and no dispatches.
 */
export type ParameterView = (param: Parameter, slot: ScratchSlot) => ViewChunk[];

export const plainView: ParameterView = (param) => param.chunks.map((chunk) => ({ ...chunk, dispatches: [] }));

/** Tensors the forward reads by rows, chunk by chunk: wte and the Conv1D weights. Others must fit one binding. */
function splittable(name: string, shape: readonly number[]): boolean {
  return shape.length === 2 && name !== 'wpe.weight';
}

/** Activation buffers of one (B, T) shape, shared by every plan of that shape. */
export interface Activations {
  B: number;
  T: number;
  tokens: GPUBuffer; // (B·T) u32
  targets: GPUBuffer; // (B·T) u32
  mask: GPUBuffer; // (B·T) f32
  residualA: GPUBuffer; // (B·T)×C
  residualB: GPUBuffer; // (B·T)×C
  normed: GPUBuffer; // (B·T)×C
  qkv: GPUBuffer; // (B·T)×3C
  attention: GPUBuffer; // (B·T)×C
  projected: GPUBuffer; // (B·T)×C
  hidden: GPUBuffer; // (B·T)×4C
  logits: GPUBuffer; // (B·T)×V
  losses: GPUBuffer; // (B·T)
  /** Mean masked loss of the last forward, one f32. */
  loss: GPUBuffer;
  buffers: GPUBuffer[];
}

export interface ForwardPlan {
  activations: Activations;
  dispatches: Dispatch[];
  /** Uniform and scratch buffers the plan's kernels created; freed by `releasePlan`. */
  buffers: GPUBuffer[];
}

export class Gpt2Model {
  readonly parameters: Parameter[] = [];
  private readonly byName = new Map<string, Parameter>();

  constructor(
    readonly ctx: GpuContext,
    readonly config: Gpt2Config,
    weights: Map<string, Float32Array>,
  ) {
    // Every tensor is checked and planned before the first upload, so a bad one allocates nothing.
    const plans = [...gpt2ExpectedShapes(config)].map(([name, shape]) => {
      const data = weights.get(name);
      if (!data) throw new Error(`GPT-2 weights: tensor "${name}" is missing.`);
      const numel = shape.reduce((a, b) => a * b, 1);
      if (data.length !== numel) {
        throw new Error(`GPT-2 weights: tensor "${name}" has ${data.length} values, expected ${numel} for shape [${shape.join(', ')}].`);
      }
      const rows = shape.length === 2 ? shape[0] : 1;
      const cols = shape.length === 2 ? shape[1] : shape[0];
      // An unsplittable tensor is one chunk; the pool rejects it with its name if it is too large.
      const ranges = splittable(name, shape) ? planRowChunks(name, rows, cols, ctx.maxBindingBytes) : [{ rowStart: 0, rows }];
      return { name, shape, numel, rows, cols, data, ranges };
    });
    try {
      for (const { name, shape, numel, rows, cols, data, ranges } of plans) {
        const chunks = uploadRowChunks(ctx, name, 'weights', data, cols, ranges);
        const param: Parameter = {
          index: this.parameters.length,
          name,
          shape,
          numel,
          rows,
          cols,
          decay: shape.length === 2,
          chunks,
          get buffer(): GPUBuffer {
            if (chunks.length !== 1) throw new Error(`GPT-2: tensor "${name}" is split into ${chunks.length} buffers by rows; read its chunks.`);
            return chunks[0].buffer;
          },
        };
        this.parameters.push(param);
        this.byName.set(name, param);
      }
    } catch (error) {
      this.release();
      throw error;
    }
  }

  get parameterCount(): number {
    return this.parameters.reduce((sum, param) => sum + param.numel, 0);
  }

  param(name: string): Parameter {
    const param = this.byName.get(name);
    if (!param) throw new Error(`GPT-2: no parameter named "${name}".`);
    return param;
  }

  /**
   * Element counts each scratch slot needs: `buildForward` reads wpe through matrix2, every other
   * matrix through matrix, one chunk at a time, so matrix must fit the largest chunk.
   */
  scratchSizes(): Record<ScratchSlot, number> {
    let matrix = 0;
    let vector = 0;
    for (const param of this.parameters) {
      if (param.shape.length === 2) matrix = Math.max(matrix, largestChunkElements(param.chunks, param.cols));
      else vector = Math.max(vector, param.numel);
    }
    return { matrix, matrix2: this.param('wpe.weight').numel, vector, vector2: vector };
  }

  /** Reads a parameter back whole (row-major, its chunks joined). For tests, setup and export only. */
  readParameter(param: Parameter): Promise<Float32Array> {
    return readRowChunks(this.ctx, param.chunks, param.cols);
  }

  /** Creates activation buffers for batches of B sequences of T tokens. */
  createActivations(B: number, T: number, label = 'activations'): Activations {
    const { nEmbd: C, vocabSize: V, nPositions: P } = this.config;
    if (T > P) throw new Error(`Sequence length ${T} exceeds the model's context of ${P} tokens. Use a sequence length of at most ${P}.`);
    const N = B * T;
    this.checkActivationSizes(B, T);
    const pool = this.ctx.pool;
    const make = (name: string, floats: number) => pool.storage(`${label}.${name}`, 'activations', floats * 4);
    const activations: Omit<Activations, 'buffers'> = {
      B,
      T,
      tokens: make('tokens', N),
      targets: make('targets', N),
      mask: make('mask', N),
      residualA: make('residualA', N * C),
      residualB: make('residualB', N * C),
      normed: make('normed', N * C),
      qkv: make('qkv', N * 3 * C),
      attention: make('attention', N * C),
      projected: make('projected', N * C),
      hidden: make('hidden', N * 4 * C),
      logits: make('logits', N * V),
      losses: make('losses', N),
      loss: make('loss', 1),
    };
    const buffers = Object.values(activations).filter((value): value is GPUBuffer => typeof value === 'object');
    return { ...activations, buffers };
  }

  /**
   * Activations are never split, so the widest, the logits (B·T × V), must fit one binding. Says
   * how many tokens per batch would fit, rather than failing in the pool with the buffer size alone.
   */
  private checkActivationSizes(B: number, T: number): void {
    const { nEmbd: C, vocabSize: V } = this.config;
    const limit = this.ctx.maxBindingBytes;
    const N = B * T;
    for (const [name, width] of [['logits', V], ['hidden', 4 * C], ['qkv', 3 * C]] as const) {
      const bytes = N * width * 4;
      if (bytes <= limit) continue;
      const maxTokens = Math.floor(limit / (4 * Math.max(V, 4 * C)));
      throw new Error(
        `Batch ${B} × sequence length ${T} = ${N} tokens need a ${name} buffer of ${N} × ${width} f32 values = ${bytes} bytes, ` +
          `above ${this.ctx.pool.describeLimit()}. Lower the batch size or the sequence length so that batch × sequence length ≤ ${maxTokens}.`,
      );
    }
  }

  releaseActivations(activations: Activations): void {
    for (const buffer of activations.buffers) this.ctx.pool.release(buffer);
  }

  /**
   * Builds the forward pass over `activations`: embedding, pre-LN blocks, final LayerNorm, tied
   * head, per-token cross-entropy and the masked mean into `activations.loss`.
   */
  buildForward(activations: Activations, view: ParameterView, label = 'forward'): ForwardPlan {
    const { result: dispatches, buffers } = this.ctx.pool.capture(() => this.forwardDispatches(activations, view, label));
    return { activations, dispatches, buffers };
  }

  releasePlan(plan: ForwardPlan): void {
    for (const buffer of plan.buffers) this.ctx.pool.release(buffer);
  }

  private forwardDispatches(activations: Activations, view: ParameterView, label: string): Dispatch[] {
    const ctx = this.ctx;
    const { nEmbd: C, vocabSize: V, nHead: NH, nLayer, layerNormEpsilon: eps } = this.config;
    const { B, T } = activations;
    const N = B * T;
    const a = activations;
    const dispatches: Dispatch[] = [];
    // A tensor read whole: one chunk, since only splittable tensors have more.
    const use = (name: string, slot: ScratchSlot): GPUBuffer => {
      const [viewed, ...rest] = view(this.param(name), slot);
      if (rest.length) throw new Error(`GPT-2: tensor "${name}" is split, but the forward reads it whole.`);
      dispatches.push(...viewed.dispatches);
      return viewed.buffer;
    };
    // A tensor read chunk by chunk: each chunk's view dispatches, then the op on that chunk.
    const perChunk = (name: string, slot: ScratchSlot, op: (chunk: ViewChunk, i: number, count: number) => Dispatch) => {
      const chunks = view(this.param(name), slot);
      chunks.forEach((chunk, i) => dispatches.push(...chunk.dispatches, op(chunk, i, chunks.length)));
    };

    // 1. Token plus position embedding into residualA, one dispatch per chunk of wte rows.
    const wpe = use('wpe.weight', 'matrix2');
    perChunk('wte.weight', 'matrix', (wte, _i, count) =>
      makeEmbedding(ctx, chunkLabel(`${label} embedding`, wte, count), {
        tokens: a.tokens,
        wte: wte.buffer,
        wpe,
        out: a.residualA,
        B,
        T,
        C,
        V,
        wteRowStart: wte.rowStart,
        wteRows: wte.rows,
      }),
    );

    // 2. Transformer blocks; the residual stream alternates A → B → A within a block.
    for (let layer = 0; layer < nLayer; layer++) {
      const p = `h.${layer}.`;
      const tag = `${label} h${layer}`;
      const layerNorm = (prefix: string, x: GPUBuffer) => {
        const gamma = use(`${p}${prefix}.weight`, 'vector');
        const beta = use(`${p}${prefix}.bias`, 'vector2');
        dispatches.push(makeLayerNorm(ctx, `${tag} ${prefix}`, { x, gamma, beta, out: a.normed, N, C, eps }));
      };
      // A chunk of Conv1D weight rows is a slice of the inner dimension: the chunks add up in
      // order onto out, continuing each sum, and the last one adds the bias.
      const linear = (prefix: string, x: GPUBuffer, out: GPUBuffer, K: number, M: number) => {
        const bias = use(`${p}${prefix}.bias`, 'vector');
        perChunk(`${p}${prefix}.weight`, 'matrix', (weight, i, count) =>
          makeMatmul(ctx, chunkLabel(`${tag} ${prefix}`, weight, count), {
            a: x,
            b: weight.buffer,
            bias: i === count - 1 ? bias : undefined,
            out,
            M: N,
            K: weight.rows,
            N: M,
            transposeB: false,
            aColumns: K,
            aColumnOffset: weight.rowStart,
            accumulate: i > 0,
          }),
        );
      };

      layerNorm('ln_1', a.residualA);
      linear('attn.c_attn', a.normed, a.qkv, C, 3 * C);
      dispatches.push(...makeAttention(ctx, `${tag} attention`, { qkv: a.qkv, out: a.attention, B, T, C, NH }));
      linear('attn.c_proj', a.attention, a.projected, C, C);
      dispatches.push(makeAdd(ctx, `${tag} residual 1`, { a: a.residualA, b: a.projected, out: a.residualB, n: N * C }));

      layerNorm('ln_2', a.residualB);
      linear('mlp.c_fc', a.normed, a.hidden, C, 4 * C);
      dispatches.push(makeGelu(ctx, `${tag} gelu`, { x: a.hidden, out: a.hidden, n: N * 4 * C }));
      linear('mlp.c_proj', a.hidden, a.projected, 4 * C, C);
      dispatches.push(makeAdd(ctx, `${tag} residual 2`, { a: a.residualB, b: a.projected, out: a.residualA, n: N * C }));
    }

    // 3. Final LayerNorm and the head tied to wte (logits = x · wteᵀ).
    const gamma = use('ln_f.weight', 'vector');
    const beta = use('ln_f.bias', 'vector2');
    dispatches.push(makeLayerNorm(ctx, `${label} ln_f`, { x: a.residualA, gamma, beta, out: a.normed, N, C, eps }));
    // Each chunk of wte rows gives the logit columns of its vocabulary rows.
    perChunk('wte.weight', 'matrix', (head, _i, count) =>
      makeMatmul(ctx, chunkLabel(`${label} lm_head`, head, count), {
        a: a.normed,
        b: head.buffer,
        out: a.logits,
        M: N,
        K: C,
        N: head.rows,
        transposeB: true,
        outColumns: V,
        outColumnOffset: head.rowStart,
      }),
    );

    // 4. Loss: per-token cross-entropy, then the mean over unmasked tokens.
    dispatches.push(makeCrossEntropy(ctx, `${label} cross-entropy`, { logits: a.logits, targets: a.targets, mask: a.mask, losses: a.losses, N, V }));
    dispatches.push(makeMaskedMean(ctx, `${label} mean loss`, { values: a.losses, mask: a.mask, out: a.loss, outIndex: 0, N }));
    return dispatches;
  }

  /** Writes one batch (token ids, next-token targets, mask) into the plan's input buffers. */
  writeBatch(activations: Activations, batch: { inputs: Uint32Array; targets: Uint32Array; mask: Float32Array }): void {
    const queue = this.ctx.device.queue;
    const N = activations.B * activations.T;
    if (batch.inputs.length !== N || batch.targets.length !== N || batch.mask.length !== N) {
      throw new Error(`Batch size mismatch: expected ${N} tokens (B=${activations.B}, T=${activations.T}), got ${batch.inputs.length}.`);
    }
    queue.writeBuffer(activations.tokens, 0, batch.inputs as Uint32Array<ArrayBuffer>);
    queue.writeBuffer(activations.targets, 0, batch.targets as Uint32Array<ArrayBuffer>);
    queue.writeBuffer(activations.mask, 0, batch.mask as Float32Array<ArrayBuffer>);
  }

  release(): void {
    for (const param of this.parameters) for (const chunk of param.chunks) this.ctx.pool.release(chunk.buffer);
  }
}
