/**
 * `npm run export-onnx`: writes a GPT-2 checkpoint (default: the embedded gpt2-moby) as an ONNX
 * model of standard operators, which onnxruntime and other ONNX runtimes load. Needs no GPU.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EMBEDDED_MODEL_DIR, EMBEDDED_MODEL_FILES } from '../app/model/embedded';
import { exportGpt2Onnx, ONNX_IGNORE_INDEX, ONNX_OPSET } from '../app/model/onnx-export';
import { loadModel } from '../app/run/load-model';
import { pluralize } from '../app/run/plural';

export const EXPORT_ONNX_USAGE = `Usage: npm run export-onnx -- --out FILE.onnx [--model DIR] [--with-loss]

Writes a GPT-2 as an ONNX model (opset ${ONNX_OPSET}, float32 weights as initializers).
Input: input_ids (batch, sequence) int64. Output: logits (batch, sequence, vocab) float32.

  --out FILE        ONNX file to write; its folder is created when missing
  --model DIR       folder with config.json, model.safetensors and tokenizer.json in Hugging Face
                    GPT-2 layout (default: the embedded gpt2-moby)
  --with-loss       also add the input targets (batch, sequence) int64, the next-token ids with
                    ${ONNX_IGNORE_INDEX} where a position is left out, and the output loss, the mean
                    cross-entropy in nats
  --help            print this text`;

const EMBEDDED_DIR = fileURLToPath(new URL(`../public/${EMBEDDED_MODEL_DIR}`, import.meta.url));

async function readModelFile(dir: string, name: string): Promise<Buffer> {
  const path = join(dir, name);
  try {
    return await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`Cannot read ${path}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}. Pass a folder with config.json, model.safetensors and tokenizer.json.`);
  }
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: process.argv.slice(2),
      options: {
        out: { type: 'string' },
        model: { type: 'string' },
        'with-loss': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n${EXPORT_ONNX_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(EXPORT_ONNX_USAGE + '\n');
    return 0;
  }
  if (!values.out) {
    process.stderr.write(`error: --out FILE is required.\n${EXPORT_ONNX_USAGE}\n`);
    return 2;
  }

  const dir = values.model ?? EMBEDDED_DIR;
  try {
    const [config, safetensors, tokenizer] = await Promise.all([
      readModelFile(dir, EMBEDDED_MODEL_FILES.config),
      readModelFile(dir, EMBEDDED_MODEL_FILES.weights),
      readModelFile(dir, EMBEDDED_MODEL_FILES.tokenizer),
    ]);
    const loaded = loadModel({
      name: dir,
      config: config.toString('utf8'),
      safetensors: safetensors.buffer.slice(safetensors.byteOffset, safetensors.byteOffset + safetensors.byteLength) as ArrayBuffer,
      tokenizer: tokenizer.toString('utf8'),
    });
    const bytes = exportGpt2Onnx(loaded.config, loaded.weights, { includeLoss: values['with-loss'], modelName: basename(resolve(dir)) });
    await mkdir(dirname(values.out), { recursive: true });
    await writeFile(values.out, bytes);
    const { nLayer, nEmbd, nHead, vocabSize, nPositions } = loaded.config;
    process.stderr.write(
      `wrote ${values.out}: ${bytes.length} bytes, ONNX opset ${ONNX_OPSET}, GPT-2 with ${pluralize(nLayer, 'layer')}, ${pluralize(nEmbd, 'channel')}, ` +
        `${pluralize(nHead, 'head')}, vocabulary ${vocabSize}, context ${nPositions}${values['with-loss'] ? ', with the loss output' : ''}\n`,
    );
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main();
