/**
 * Exports GPT-2 as an ONNX model built from standard ONNX operators only, so any ONNX runtime
 * (onnxruntime-web in the tests) can run the same forward pass as the WGSL engine and check it.
 *
 * The graph mirrors the engine's forward. The embedding is Gather, Slice and Add. Each pre-LN block
 * has LayerNormalization, Conv1D layers as MatMul with the (in, out) weight plus Add, attention from
 * Split, Reshape, Transpose, MatMul, Div, an additive causal mask and Softmax, and GELU in its tanh
 * form from Pow, Mul, Add and Tanh. The head tied to wte is a MatMul with Transpose(wte). Weights
 * are float32 initializers under their Hugging Face checkpoint names.
 *
 * Inputs: `input_ids` (batch, sequence) int64, and with `includeLoss` also `targets` (batch,
 * sequence) int64, the next-token id at each position (already shifted, unlike Hugging Face's
 * `labels`), with ONNX_IGNORE_INDEX at positions left out of the loss.
 * Outputs: `logits` (batch, sequence, vocab) float32, and with `includeLoss` also `loss`, a float32
 * scalar holding the mean cross-entropy over the positions that are not ignored.
 */
import onnxProto from 'onnx-proto';
import type { Gpt2Config } from './gpt2-config';
import { gpt2ExpectedShapes } from './gpt2-weights';

const { onnx } = onnxProto;

/**
 * IR version 8, the newest that onnx-proto 8.0.1 describes. ONNX releases 1.10 to 1.13 write it,
 * and ONNX 1.12 pairs it with opset 17 (table in ONNX's docs/Versioning.md).
 */
export const ONNX_IR_VERSION = 8;
/** Default-domain opset: 17 is the first with LayerNormalization. */
export const ONNX_OPSET = 17;
/** Target id that `SoftmaxCrossEntropyLoss` skips, as in PyTorch's cross_entropy. */
export const ONNX_IGNORE_INDEX = -100;
/** Added to attention scores above the diagonal. It is finite so that no runtime computes with -inf, and exp(-1e9 - max) is 0 in float32. */
const MASKED_SCORE = -1e9;
/** Names of the graph's inputs and outputs. */
export const ONNX_INPUT_IDS = 'input_ids';
export const ONNX_TARGETS = 'targets';
export const ONNX_LOGITS = 'logits';
export const ONNX_LOSS = 'loss';

/** Protobuf messages, and so ONNX files without external data, are limited to 2 GiB. */
const PROTOBUF_MAX_BYTES = 2 ** 31;
const PRODUCER_NAME = 'webgpu-finetune-playground';
/** Initializer names carry the GPT2LMHeadModel prefix, so they match the safetensors export. */
const WEIGHT_PREFIX = 'transformer.';

export interface Gpt2OnnxOptions {
  /** Adds the `targets` input and the `loss` output. Default false. */
  includeLoss?: boolean;
  /** Stored as the graph name and in the model's doc string. Default "gpt2". */
  modelName?: string;
}

/**
 * Builds the serialized ModelProto of a GPT-2 with `config` and `weights` (unprefixed Hugging Face
 * names, Conv1D weights stored (in, out), as validateGpt2Weights returns them). Batch size and
 * sequence length are dynamic, up to `config.nPositions` tokens; a longer input fails in the
 * runtime, where the position embedding does not broadcast. Throws when a weight is missing or has
 * the wrong number of values, or when the weights exceed the 2 GiB limit of one protobuf message.
 */
export function exportGpt2Onnx(config: Gpt2Config, weights: Map<string, Float32Array>, options: Gpt2OnnxOptions = {}): Uint8Array {
  checkConfig(config);
  checkProtobufSize(config);
  const graph = new GraphBuilder();
  for (const [name, shape] of gpt2ExpectedShapes(config)) {
    const data = weights.get(name);
    if (data === undefined) throw new Error(`ONNX export: weight "${name}" is missing. Load the weights with validateGpt2Weights.`);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (data.length !== numel) {
      throw new Error(`ONNX export: weight "${name}" has ${data.length} values, expected ${numel} for shape [${shape.join(', ')}].`);
    }
    graph.floatInitializer(WEIGHT_PREFIX + name, shape, data);
  }

  const modelName = options.modelName ?? 'gpt2';
  buildGpt2Graph(graph, config, options.includeLoss ?? false);
  const model = onnx.ModelProto.create({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: PRODUCER_NAME,
    docString:
      `GPT-2 "${modelName}": ${config.nLayer} layers, ${config.nEmbd} channels, ${config.nHead} heads, ` +
      `vocabulary ${config.vocabSize}, context ${config.nPositions} tokens.`,
    graph: graph.toProto(modelName),
  });
  return onnx.ModelProto.encode(model).finish();
}

function checkConfig(config: Gpt2Config): void {
  if (config.nEmbd % config.nHead !== 0) {
    throw new Error(`ONNX export: n_embd (${config.nEmbd}) must be divisible by n_head (${config.nHead}).`);
  }
  if (config.activation !== 'gelu_new' && config.activation !== 'gelu_pytorch_tanh') {
    throw new Error(`ONNX export: activation ${JSON.stringify(config.activation)} is not supported. Only the tanh form of GELU (gelu_new, gelu_pytorch_tanh) is exported.`);
  }
}

/**
 * Rejects models whose float32 weights and causal mask exceed 2 GiB, the largest protobuf message.
 * GPT-2 small (124M parameters) is about 0.5 GB.
 * NOTE: larger models would need ONNX external data (weights in a separate file), not written here.
 */
function checkProtobufSize(config: Gpt2Config): void {
  let floats = config.nPositions * config.nPositions;
  for (const shape of gpt2ExpectedShapes(config).values()) floats += shape.reduce((a, b) => a * b, 1);
  if (floats * 4 >= PROTOBUF_MAX_BYTES) {
    throw new Error(
      `ONNX export: the weights take ${floats * 4} bytes as float32, above the 2 GiB limit of a single ONNX file without external data. ` +
        'Export a smaller model.',
    );
  }
}

/** Adds the nodes, constants, inputs and outputs of the GPT-2 forward (and loss) to `g`. */
function buildGpt2Graph(g: GraphBuilder, config: Gpt2Config, includeLoss: boolean): void {
  const { nEmbd: C, nHead: NH, nLayer, vocabSize: V, nPositions: P, layerNormEpsilon: eps } = config;
  const HS = C / NH;
  const weight = (name: string) => WEIGHT_PREFIX + name;
  g.input(ONNX_INPUT_IDS, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']);

  // 1. Embedding: wte rows of the tokens plus the first T rows of wpe, broadcast over the batch.
  const tokens = g.node('Gather', [weight('wte.weight'), ONNX_INPUT_IDS], { axis: 0 });
  const sequenceLength = g.node('Shape', [ONNX_INPUT_IDS], { start: 1, end: 2 }); // [T]
  const zero = g.int64Constant('zero', [1], [0]);
  const axis0 = g.int64Constant('axis0', [1], [0]);
  const positions = g.node('Slice', [weight('wpe.weight'), zero, sequenceLength, axis0]);
  let x = g.node('Add', [tokens, positions]);

  // The (T, T) corner of a (P, P) additive mask: 0 where key ≤ query, MASKED_SCORE above the diagonal.
  const fullMask = new Float32Array(P * P);
  for (let query = 0; query < P; query++) fullMask.fill(MASKED_SCORE, query * P + query + 1, (query + 1) * P);
  g.floatInitializer('causal_mask', [P, P], fullMask);
  const maskEnd = g.node('Concat', [sequenceLength, sequenceLength], { axis: 0 });
  const mask = g.node('Slice', ['causal_mask', g.int64Constant('zeros2', [2], [0, 0]), maskEnd, g.int64Constant('axes01', [2], [0, 1])]);

  // Shared constants of the blocks.
  const splitSizes = g.int64Constant('qkv_split', [3], [C, C, C]);
  const headShape = g.int64Constant('head_shape', [4], [0, 0, NH, HS]); // 0 copies that input dimension
  const mergedShape = g.int64Constant('merged_shape', [3], [0, 0, C]);
  const scoreScale = g.floatInitializer('sqrt_head_size', [], new Float32Array([Math.sqrt(HS)]));
  const gelu = geluBuilder(g);

  const layerNorm = (input: string, prefix: string) =>
    g.node('LayerNormalization', [input, weight(`${prefix}.weight`), weight(`${prefix}.bias`)], { axis: -1, epsilon: { float: eps } });
  const conv1d = (input: string, prefix: string) => g.node('Add', [g.node('MatMul', [input, weight(`${prefix}.weight`)]), weight(`${prefix}.bias`)]);

  // 2. Pre-LN blocks.
  for (let layer = 0; layer < nLayer; layer++) {
    const p = `h.${layer}.`;
    const qkv = conv1d(layerNorm(x, `${p}ln_1`), `${p}attn.c_attn`); // (B, T, 3C)
    const [q, k, v] = g.nodeOutputs('Split', [qkv, splitSizes], 3, { axis: 2 });
    const heads = (input: string, perm: number[]) => g.node('Transpose', [g.node('Reshape', [input, headShape])], { perm });
    const queries = heads(q, [0, 2, 1, 3]); // (B, NH, T, HS)
    const keysT = heads(k, [0, 2, 3, 1]); // (B, NH, HS, T)
    const values = heads(v, [0, 2, 1, 3]); // (B, NH, T, HS)
    const scores = g.node('Add', [g.node('Div', [g.node('MatMul', [queries, keysT]), scoreScale]), mask]); // (B, NH, T, T)
    const weights = g.node('Softmax', [scores], { axis: -1 });
    const context = g.node('Transpose', [g.node('MatMul', [weights, values])], { perm: [0, 2, 1, 3] }); // (B, T, NH, HS)
    const attention = conv1d(g.node('Reshape', [context, mergedShape]), `${p}attn.c_proj`);
    x = g.node('Add', [x, attention]);

    const hidden = gelu(conv1d(layerNorm(x, `${p}ln_2`), `${p}mlp.c_fc`)); // (B, T, 4C)
    x = g.node('Add', [x, conv1d(hidden, `${p}mlp.c_proj`)]);
  }

  // 3. Final LayerNorm and the head tied to wte: logits = ln_f(x) · wteᵀ.
  const wteT = g.node('Transpose', [weight('wte.weight')], { perm: [1, 0] });
  g.node('MatMul', [layerNorm(x, 'ln_f'), wteT], {}, ONNX_LOGITS);
  g.output(ONNX_LOGITS, onnx.TensorProto.DataType.FLOAT, ['batch', 'sequence', V]);

  // 4. Optional loss: mean cross-entropy over the (B·T) positions whose target is not ignored.
  if (includeLoss) {
    g.input(ONNX_TARGETS, onnx.TensorProto.DataType.INT64, ['batch', 'sequence']);
    const flatLogits = g.node('Reshape', [ONNX_LOGITS, g.int64Constant('flat_logits_shape', [2], [-1, V])]);
    const flatTargets = g.node('Reshape', [ONNX_TARGETS, g.int64Constant('flat_targets_shape', [1], [-1])]);
    // NOTE: when every target is ignored, onnxruntime-web 1.31 returns NaN (0 / 0), but the engine returns 0.
    g.node('SoftmaxCrossEntropyLoss', [flatLogits, flatTargets], { reduction: 'mean', ignore_index: ONNX_IGNORE_INDEX }, ONNX_LOSS);
    g.output(ONNX_LOSS, onnx.TensorProto.DataType.FLOAT, []);
  }
}

/** Returns a function adding GPT-2's GELU, 0.5·x·(1 + tanh(sqrt(2/π)·(x + 0.044715·x³))), to the graph. */
function geluBuilder(g: GraphBuilder): (x: string) => string {
  const scalar = (name: string, value: number) => g.floatInitializer(name, [], new Float32Array([value]));
  const three = scalar('gelu_three', 3);
  const cubic = scalar('gelu_cubic', 0.044715);
  const scale = scalar('gelu_scale', Math.sqrt(2 / Math.PI));
  const half = scalar('gelu_half', 0.5);
  const one = scalar('gelu_one', 1);
  return (x) => {
    const inner = g.node('Add', [x, g.node('Mul', [g.node('Pow', [x, three]), cubic])]);
    const tanh = g.node('Tanh', [g.node('Mul', [inner, scale])]);
    return g.node('Mul', [g.node('Mul', [x, half]), g.node('Add', [tanh, one])]);
  };
}

/** A number is an INT attribute and must be an integer, and `{ float }` is a FLOAT attribute. */
type AttributeValue = number | number[] | string | { float: number };
type Dimension = number | string;

/** Collects nodes, initializers, inputs and outputs, naming each node output after its operator and a counter. */
class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;

  /** Adds a node with one output and returns the output's name (`outputName` when given). */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputName?: string): string {
    const output = outputName ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.addNode(opType, inputs, [output], attributes);
    return output;
  }

  /** Adds a node with `count` outputs and returns their names. */
  nodeOutputs(opType: string, inputs: string[], count: number, attributes: Record<string, AttributeValue> = {}): string[] {
    const base = `${opType.toLowerCase()}_${this.counter++}`;
    const outputs = Array.from({ length: count }, (_, i) => `${base}_${i}`);
    this.addNode(opType, inputs, outputs, attributes);
    return outputs;
  }

  /** Adds a float32 initializer, stored little-endian in raw_data, and returns its name. */
  floatInitializer(name: string, dims: number[], values: Float32Array): string {
    const bytes = new Uint8Array(values.length * 4);
    const view = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: bytes }));
    return name;
  }

  /** Adds an int64 initializer, stored little-endian in raw_data, and returns its name. */
  int64Constant(name: string, dims: number[], values: number[]): string {
    const bytes = new Uint8Array(values.length * 8);
    const view = new DataView(bytes.buffer);
    values.forEach((value, i) => view.setBigInt64(i * 8, BigInt(value), true));
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.INT64, rawData: bytes }));
    return name;
  }

  /** Declares a graph input; a string dimension is symbolic (dynamic). */
  input(name: string, elemType: number, shape: Dimension[]): void {
    this.inputs.push(valueInfo(name, elemType, shape));
  }

  output(name: string, elemType: number, shape: Dimension[]): void {
    this.outputs.push(valueInfo(name, elemType, shape));
  }

  toProto(name: string): InstanceType<typeof onnx.GraphProto> {
    return onnx.GraphProto.create({ name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs });
  }

  private addNode(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue>): void {
    const attribute = Object.entries(attributes).map(([name, value]) => attributeProto(name, value));
    this.nodes.push(onnx.NodeProto.create({ opType, input: inputs, output: outputs, name: outputs[0], attribute }));
  }
}

function attributeProto(name: string, value: AttributeValue): InstanceType<typeof onnx.AttributeProto> {
  const Type = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return onnx.AttributeProto.create({ name, type: Type.STRING, s: new TextEncoder().encode(value) });
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: Type.INTS, ints: value });
  if (typeof value === 'object') return onnx.AttributeProto.create({ name, type: Type.FLOAT, f: value.float });
  if (!Number.isInteger(value)) throw new Error(`ONNX export: attribute "${name}" = ${value} is not an integer. Pass { float: ${value} } for a FLOAT attribute.`);
  return onnx.AttributeProto.create({ name, type: Type.INT, i: value });
}

function valueInfo(name: string, elemType: number, shape: Dimension[]): InstanceType<typeof onnx.ValueInfoProto> {
  const dim = shape.map((size) => (typeof size === 'string' ? { dimParam: size } : { dimValue: size }));
  return onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType, shape: { dim } } } });
}
