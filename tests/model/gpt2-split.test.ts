/**
 * GPT-2 with tensors split by rows across buffers. The binding limit is lowered to a few KiB, so
 * the tiny models split wte (read by the embedding gather and the tied head) or the Conv1D weights
 * (c_fc, mlp.c_proj) into chunks of unequal size. The forward must be bit-identical to the unsplit model.
 */
import { describe, expect, it } from 'vitest';
import type { GpuContext } from '../../kernels/gpu/context';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { getGaussianTable } from '../../kernels/rng/rng';
import { exportGpt2Safetensors } from '../../app/model/export';
import { Gpt2Model, plainView } from '../../app/model/gpt2';
import type { Gpt2Config } from '../../app/model/gpt2-config';
import { validateGpt2Weights } from '../../app/model/gpt2-weights';
import { parseSafetensors } from '../../app/model/safetensors';
import { gpu } from '../helpers/gpu';
import { tinyModel, TINY_CONFIG } from '../helpers/tiny-gpt2';

/**
 * Returns the test file's context with its Gaussian table (12.8 KiB, created once per context)
 * already made: a first use under a lowered binding limit would not fit.
 */
async function context(): Promise<GpuContext> {
  const ctx = await gpu();
  getGaussianTable(ctx);
  return ctx;
}

/** Runs `body` with ctx.maxBindingBytes lowered to `bytes`, restoring it afterwards. */
async function withBindingLimit<T>(ctx: GpuContext, bytes: number, body: () => Promise<T>): Promise<T> {
  const saved = ctx.maxBindingBytes;
  ctx.maxBindingBytes = bytes;
  try {
    return await body();
  } finally {
    ctx.maxBindingBytes = saved;
  }
}

interface SplitCase {
  name: string;
  config: Gpt2Config;
  maxBytes: number;
  B: number;
  T: number;
  /** Row counts of the chunks of every tensor with more than one. */
  chunkRows: Record<string, number[]>;
}

/** wte (256 × 24, 24 KiB) splits in three. Every other tensor and activation fits 12000 bytes. */
const WTE_SPLIT: SplitCase = {
  name: 'wte in 3 chunks',
  config: { ...TINY_CONFIG, nEmbd: 24, nHead: 3, nLayer: 2 },
  maxBytes: 12000,
  B: 2,
  T: 5,
  chunkRows: { 'wte.weight': [86, 85, 85] },
};

/** c_fc (25 × 100) splits in two, mlp.c_proj (100 × 25) in two and wte (256 × 25) in four. */
const FC_SPLIT: SplitCase = {
  name: 'c_fc, mlp.c_proj and wte split',
  config: { ...TINY_CONFIG, nEmbd: 25, nHead: 5, nLayer: 2 },
  maxBytes: 8000,
  B: 1,
  T: 7,
  chunkRows: {
    'wte.weight': [64, 64, 64, 64],
    'h.0.mlp.c_fc.weight': [13, 12],
    'h.0.mlp.c_proj.weight': [50, 50],
    'h.1.mlp.c_fc.weight': [13, 12],
    'h.1.mlp.c_proj.weight': [50, 50],
  },
};

/** Runs one plain forward and returns logits, per-token losses, mean loss, dispatch count and chunking. */
async function forward(ctx: GpuContext, c: SplitCase) {
  const loaded = tinyModel(c.config, 31);
  const model = new Gpt2Model(ctx, c.config, loaded.weights);
  const activations = model.createActivations(c.B, c.T);
  const plan = model.buildForward(activations, plainView);
  try {
    const N = c.B * c.T;
    const V = c.config.vocabSize;
    // Ids spread over the whole vocabulary, so every chunk of wte is read.
    const inputs = Uint32Array.from({ length: N }, (_, i) => (i * 97 + 13) % V);
    inputs[0] = V - 1;
    const targets = Uint32Array.from({ length: N }, (_, i) => (i * 53 + 200) % V);
    const mask = new Float32Array(N).map((_, i) => (i % 3 === 2 ? 0 : 1));
    model.writeBatch(activations, { inputs, targets, mask });
    runDispatches(ctx, plan.dispatches);
    const chunkRows: Record<string, number[]> = {};
    for (const param of model.parameters) if (param.chunks.length > 1) chunkRows[param.name] = param.chunks.map((chunk) => chunk.rows);
    return {
      logits: await readF32(ctx, activations.logits, N * V),
      losses: await readF32(ctx, activations.losses, N),
      loss: await readF32(ctx, activations.loss, 1),
      dispatches: plan.dispatches.length,
      chunkRows,
    };
  } finally {
    model.releasePlan(plan);
    model.releaseActivations(activations);
    model.release();
  }
}

function bits(values: Float32Array): number[] {
  return Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));
}

describe('gpt2 with tensors split by rows', () => {
  it.each([WTE_SPLIT, FC_SPLIT])('forward matches unsplit bit for bit ($name)', async (c) => {
    const ctx = await context();
    const before = ctx.pool.bytes();
    const whole = await forward(ctx, c);
    const split = await withBindingLimit(ctx, c.maxBytes, () => forward(ctx, c));

    expect(whole.chunkRows).toEqual({});
    expect(split.chunkRows).toEqual(c.chunkRows);
    expect(bits(split.logits)).toEqual(bits(whole.logits));
    expect(bits(split.losses)).toEqual(bits(whole.losses));
    expect(bits(split.loss)).toEqual(bits(whole.loss));
    expect(Number.isFinite(whole.loss[0])).toBe(true);
    // Each extra chunk adds one dispatch per op reading it: wte twice (embedding, head), a Conv1D weight once.
    let extra = 0;
    for (const [name, rows] of Object.entries(c.chunkRows)) extra += (rows.length - 1) * (name === 'wte.weight' ? 2 : 1);
    expect(split.dispatches).toBe(whole.dispatches + extra);
    expect(ctx.pool.bytes()).toEqual(before);
  });

  it('exports a split tensor whole', async () => {
    const ctx = await context();
    const loaded = tinyModel(FC_SPLIT.config, 5);
    await withBindingLimit(ctx, FC_SPLIT.maxBytes, async () => {
      const model = new Gpt2Model(ctx, FC_SPLIT.config, loaded.weights);
      try {
        expect(model.param('wte.weight').chunks).toHaveLength(4);
        expect(() => model.param('wte.weight').buffer).toThrow(/tensor "wte\.weight" is split into 4 buffers by rows; read its chunks/);
        expect(bits(await model.readParameter(model.param('h.1.mlp.c_fc.weight')))).toEqual(bits(loaded.weights.get('h.1.mlp.c_fc.weight')!));
        const file = await exportGpt2Safetensors(ctx, model);
        const tensors = parseSafetensors(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer, 'split.safetensors');
        const weights = validateGpt2Weights(tensors, FC_SPLIT.config, 'split.safetensors');
        for (const [name, values] of loaded.weights) expect(bits(weights.get(name)!), name).toEqual(bits(values));
      } finally {
        model.release();
      }
    });
  });

  it('rejects a row above the limit', async () => {
    const ctx = await context();
    const config = WTE_SPLIT.config;
    const loaded = tinyModel(config);
    const before = ctx.pool.bytes();
    await withBindingLimit(ctx, 64, async () => {
      expect(() => new Gpt2Model(ctx, config, loaded.weights)).toThrow(
        /Tensor "wte\.weight" \[256 × 24\] needs 24576 bytes, above the binding limit of 64 bytes, and cannot be split across buffers by rows: one row of 24 f32 values is 96 bytes/,
      );
    });
    expect(ctx.pool.bytes()).toEqual(before);
  });

  it('rejects an oversized unsplittable tensor', async () => {
    const ctx = await context();
    const config = WTE_SPLIT.config;
    const loaded = tinyModel(config);
    const before = ctx.pool.bytes();
    // wpe (16 × 24 = 1536 bytes) is read whole by the embedding; wte is split and uploaded first.
    await withBindingLimit(ctx, 1500, async () => {
      expect(() => new Gpt2Model(ctx, config, loaded.weights)).toThrow(/Buffer "wpe\.weight" needs 1536 bytes, above the binding limit of 1500 bytes/);
    });
    expect(ctx.pool.bytes()).toEqual(before);
  });

  it('rejects logits above the limit', async () => {
    const ctx = await context();
    const config = WTE_SPLIT.config;
    await withBindingLimit(ctx, WTE_SPLIT.maxBytes, async () => {
      const model = new Gpt2Model(ctx, config, tinyModel(config).weights);
      try {
        const before = ctx.pool.bytes();
        expect(() => model.createActivations(3, 5)).toThrow(
          /Batch 3 × sequence length 5 = 15 tokens need a logits buffer of 15 × 256 f32 values = 15360 bytes, above the binding limit of 12000 bytes .*Lower the batch size or the sequence length so that batch × sequence length ≤ 11\./,
        );
        expect(ctx.pool.bytes()).toEqual(before);
        model.releaseActivations(model.createActivations(1, 11));
      } finally {
        model.release();
      }
    });
  });
});
