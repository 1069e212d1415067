/**
 * Exports trained weights as safetensors in each model's own layout. GPT-2 uses the Hugging Face
 * GPT2LMHeadModel layout (`transformer.` prefix, Conv1D weights stored (in, out), tied LM head not
 * stored), so PyTorch `transformers` and this playground load the file back. Vision nets use their
 * PyTorch parameter names and shapes: Linear (out, in), conv (out, in, kh, kw).
 */
import type { GpuContext } from '../../kernels/gpu/context';
import type { Gpt2Model } from './gpt2';
import { writeSafetensors } from './safetensors';
import type { VisionNet } from './vision';

/** Prefix of the transformer tensors in GPT2LMHeadModel checkpoints. */
const GPT2_PREFIX = 'transformer.';

/** Reads every GPT-2 parameter back from the GPU (a tensor split by rows comes back whole) and serializes them in checkpoint order. */
export async function exportGpt2Safetensors(_ctx: GpuContext, model: Gpt2Model): Promise<Uint8Array> {
  const values = await Promise.all(model.parameters.map((param) => model.readParameter(param)));
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  model.parameters.forEach((param, i) => tensors.set(GPT2_PREFIX + param.name, { shape: [...param.shape], data: values[i] }));
  return writeSafetensors(tensors);
}

/** Reads every vision-net parameter back from the GPU and serializes them under their spec names. */
export async function exportVisionSafetensors(net: VisionNet): Promise<Uint8Array> {
  const values = await net.readParameters();
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  net.parameters.forEach((param, i) => tensors.set(param.name, { shape: [...param.shape], data: values[i] }));
  return writeSafetensors(tensors);
}
