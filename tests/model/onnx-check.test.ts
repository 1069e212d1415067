/**
 * The ONNX export run by onnxruntime-web (its WebAssembly backend, loaded from node_modules)
 * against the CPU reference forward and the WebGPU forward, on tiny random models and on the
 * embedded gpt2-moby. The ONNX graph shares no code with either, so agreement checks all three.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { evalBatches, tokenizeTexts, type TokenBatch } from '../../app/data/token-windows';
import { Gpt2Model, plainView } from '../../app/model/gpt2';
import type { Gpt2Config } from '../../app/model/gpt2-config';
import { gpt2ForwardRef } from '../../app/model/gpt2.ref';
import { exportGpt2Onnx, ONNX_IGNORE_INDEX, ONNX_IR_VERSION, ONNX_OPSET } from '../../app/model/onnx-export';
import { loadModel } from '../../app/run/load-model';
import { readF32, runDispatches } from '../../kernels/gpu/dispatch';
import { compare, gpu } from '../helpers/gpu';
import { tinyModel, tinyModelFiles, TINY_CONFIG } from '../helpers/tiny-gpt2';

const { onnx } = onnxProto;
const ROOT = new URL('../../', import.meta.url);

/** Same logit tolerance as the GPU forward against the CPU reference: f32 sums in a different order. */
const LOGIT_ATOL = 2e-5;
const LOGIT_RTOL = 1e-4;
const LOSS_TOLERANCE = 1e-5;

// One thread: no worker threads on a 2-core machine, and the same summation order every run.
ort.env.wasm.numThreads = 1;

interface Forward {
  logits: ArrayLike<number>;
  loss: number;
}

/** Runs the exported model with the loss output. Positions with mask 0 get the ignored target id. */
async function runOnnx(bytes: Uint8Array, batch: TokenBatch, B: number, T: number): Promise<Forward> {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const inputIds = BigInt64Array.from(batch.inputs, (id) => BigInt(id));
    const targets = BigInt64Array.from(batch.targets, (id, i) => BigInt(batch.mask[i] === 1 ? id : ONNX_IGNORE_INDEX));
    const out = await session.run({
      input_ids: new ort.Tensor('int64', inputIds, [B, T]),
      targets: new ort.Tensor('int64', targets, [B, T]),
    });
    expect(out.logits.dims).toEqual([B, T, out.logits.dims[2]]);
    return { logits: out.logits.data as Float32Array, loss: (out.loss.data as Float32Array)[0] };
  } finally {
    await session.release();
  }
}

async function runGpu(config: Gpt2Config, weights: Map<string, Float32Array>, batch: TokenBatch, B: number, T: number): Promise<Forward> {
  const ctx = await gpu();
  const model = new Gpt2Model(ctx, config, weights);
  const activations = model.createActivations(B, T);
  const plan = model.buildForward(activations, plainView);
  try {
    model.writeBatch(activations, batch);
    runDispatches(ctx, plan.dispatches);
    const logits = await readF32(ctx, activations.logits, B * T * config.vocabSize);
    const [loss] = await readF32(ctx, activations.loss, 1);
    return { logits, loss };
  } finally {
    model.releasePlan(plan);
    model.releaseActivations(activations);
    model.release();
  }
}

/** Checks the ONNX forward against the CPU reference and the GPU forward. */
async function checkModel(config: Gpt2Config, weights: Map<string, Float32Array>, batch: TokenBatch, B: number, T: number): Promise<void> {
  const bytes = exportGpt2Onnx(config, weights, { includeLoss: true });
  const onnxOut = await runOnnx(bytes, batch, B, T);
  const reference = gpt2ForwardRef(config, weights, batch.inputs, batch.targets, batch.mask, B, T);
  const gpuOut = await runGpu(config, weights, batch, B, T);

  const againstReference = compare(onnxOut.logits, reference.logits, LOGIT_ATOL, LOGIT_RTOL);
  expect(againstReference.mismatches).toEqual([]);
  const againstGpu = compare(onnxOut.logits, gpuOut.logits, LOGIT_ATOL, LOGIT_RTOL);
  expect(againstGpu.mismatches).toEqual([]);
  expect(Math.abs(onnxOut.loss - reference.meanLoss)).toBeLessThan(LOSS_TOLERANCE);
  expect(Math.abs(onnxOut.loss - gpuOut.loss)).toBeLessThan(LOSS_TOLERANCE);
}

/** Deterministic token ids with every fourth position masked out of the loss. */
function syntheticBatch(config: Gpt2Config, B: number, T: number): TokenBatch {
  const N = B * T;
  return {
    inputs: new Uint32Array(N).map((_, i) => (i * 37 + 11) % config.vocabSize),
    targets: new Uint32Array(N).map((_, i) => (i * 53 + 5) % config.vocabSize),
    mask: new Float32Array(N).map((_, i) => (i % 4 === 3 ? 0 : 1)),
  };
}

/** Decodes a serialized model. Decoded repeated fields are arrays, empty when absent. */
function decodeGraph(bytes: Uint8Array) {
  const model = onnx.ModelProto.decode(bytes);
  return { model, graph: model.graph as InstanceType<typeof onnx.GraphProto> };
}

function readEmbeddedModel() {
  return loadModel({
    name: 'gpt2-moby',
    config: readFileSync(new URL('public/models/gpt2-moby/config.json', ROOT), 'utf8'),
    safetensors: new Uint8Array(readFileSync(new URL('public/models/gpt2-moby/model.safetensors', ROOT))).buffer,
    tokenizer: readFileSync(new URL('public/models/gpt2-moby/tokenizer.json', ROOT), 'utf8'),
  });
}

const TINY_CASES: Array<[string, Gpt2Config, number, number]> = [
  ['1 layer, B=2, T=8', TINY_CONFIG, 2, 8],
  ['2 layers, odd sizes, B=3, T=5', { ...TINY_CONFIG, vocabSize: 251, nPositions: 13, nEmbd: 12, nLayer: 2, nHead: 3 }, 3, 5],
  ['full context, B=1, T=16', TINY_CONFIG, 1, 16],
];

describe('ONNX export of GPT-2', () => {
  it.each(TINY_CASES)('matches the reference and GPU (%s)', async (_name, config, B, T) => {
    await checkModel(config, tinyModel(config, 21).weights, syntheticBatch(config, B, T), B, T);
  });

  it('matches on gpt2-moby and held-out text', async () => {
    const loaded = readEmbeddedModel();
    const text = readFileSync(new URL('public/datasets/sotu/eval.txt', ROOT), 'utf8');
    const tokens = tokenizeTexts(loaded.tokenizer, [text], loaded.config.vocabSize, 'eval.txt');
    const B = 2;
    const T = 32;
    const [batch] = evalBatches(tokens, B, T, 1);
    expect(batch.mask.every((value) => value === 1)).toBe(true);

    await checkModel(loaded.config, loaded.weights, batch, B, T);
  });

  it('uses only default-domain ops of opset 17', () => {
    const config = { ...TINY_CONFIG, nLayer: 2 };
    const { model, graph } = decodeGraph(exportGpt2Onnx(config, tinyModel(config).weights, { includeLoss: true }));
    expect(Number(model.irVersion)).toBe(ONNX_IR_VERSION);
    expect(model.opsetImport.map((opset) => [opset.domain, Number(opset.version)])).toEqual([['', ONNX_OPSET]]);
    expect(graph.node.every((node) => !node.domain)).toBe(true);
    const ops = new Set(graph.node.map((node) => node.opType));
    const standard = ['Gather', 'Shape', 'Slice', 'Concat', 'Add', 'LayerNormalization', 'MatMul', 'Split', 'Reshape', 'Transpose', 'Div', 'Softmax', 'Pow', 'Mul', 'Tanh', 'SoftmaxCrossEntropyLoss'];
    expect([...ops].sort()).toEqual([...standard].sort());
    expect(graph.input.map((input) => input.name)).toEqual(['input_ids', 'targets']);
    expect(graph.output.map((output) => output.name)).toEqual(['logits', 'loss']);
  });

  it('stores the tied head once', () => {
    const { graph } = decodeGraph(exportGpt2Onnx(TINY_CONFIG, tinyModel().weights));
    const names = graph.initializer.map((tensor) => tensor.name);
    expect(names.filter((name) => name?.includes('wte'))).toEqual(['transformer.wte.weight']);
    expect(names).not.toContain('lm_head.weight');
    expect(graph.output.map((output) => output.name)).toEqual(['logits']);
  });

  it('rejects a missing weight', () => {
    const weights = new Map(tinyModel().weights);
    weights.delete('h.0.mlp.c_fc.bias');
    expect(() => exportGpt2Onnx(TINY_CONFIG, weights)).toThrow(/weight "h\.0\.mlp\.c_fc\.bias" is missing/);
  });

  it('rejects weights above 2 GiB', () => {
    const huge: Gpt2Config = { ...TINY_CONFIG, vocabSize: 50_257, nEmbd: 12_288, nHead: 96 };
    expect(() => exportGpt2Onnx(huge, new Map())).toThrow(/above the 2 GiB limit/);
  });

  it('rejects a weight of the wrong size', () => {
    const weights = new Map(tinyModel().weights);
    weights.set('wpe.weight', new Float32Array(3));
    expect(() => exportGpt2Onnx(TINY_CONFIG, weights)).toThrow(/"wpe\.weight" has 3 values, expected 128/);
  });
});

describe('npm run export-onnx', () => {
  it('writes a model that onnxruntime runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'export-onnx-'));
    try {
      const files = tinyModelFiles(TINY_CONFIG, 5);
      writeFileSync(join(dir, 'config.json'), files.config);
      writeFileSync(join(dir, 'model.safetensors'), new Uint8Array(files.safetensors));
      writeFileSync(join(dir, 'tokenizer.json'), files.tokenizer);
      const out = join(dir, 'out', 'tiny.onnx');
      const result = spawnSync('node', ['--import', 'tsx', 'cli/export-onnx.ts', '--model', dir, '--out', out, '--with-loss'], {
        cwd: new URL('.', ROOT),
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.stderr).toMatch(/wrote .*tiny\.onnx: \d+ bytes, ONNX opset 17/);
      expect(result.status).toBe(0);

      const B = 2;
      const T = 6;
      const batch = syntheticBatch(TINY_CONFIG, B, T);
      const onnxOut = await runOnnx(new Uint8Array(readFileSync(out)), batch, B, T);
      const reference = gpt2ForwardRef(TINY_CONFIG, tinyModel(TINY_CONFIG, 5).weights, batch.inputs, batch.targets, batch.mask, B, T);
      expect(compare(onnxOut.logits, reference.logits, LOGIT_ATOL, LOGIT_RTOL).mismatches).toEqual([]);
      expect(Math.abs(onnxOut.loss - reference.meanLoss)).toBeLessThan(LOSS_TOLERANCE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requires --out', () => {
    const result = spawnSync('node', ['--import', 'tsx', 'cli/export-onnx.ts'], { cwd: new URL('.', ROOT), encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toMatch(/--out FILE is required/);
    expect(result.status).toBe(2);
  });
});
