/**
 * Compute pipeline cache and WGSL constant injection.
 *
 * A pipeline is keyed by its kernel name plus compile-time facts only (workgroup size, a variant
 * name). Shapes that change at run time travel in uniforms, so one pipeline serves every shape.
 */

export type WgslConstant = number | boolean | { u32: number } | { i32: number } | { f32: number };

/**
 * Renders `const NAME: type = value;` lines. A plain integer becomes u32, any other number f32,
 * so the host and the shader share one definition of every constant.
 */
export function wgslConstants(constants: Record<string, WgslConstant>): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(constants)) {
    if (typeof value === 'boolean') lines.push(`const ${name}: bool = ${value};`);
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new Error(`WGSL constant ${name} is not finite: ${value}`);
      if (Number.isInteger(value) && value >= 0) lines.push(`const ${name}: u32 = ${value}u;`);
      else lines.push(`const ${name}: f32 = ${formatF32(value)};`);
    } else if ('u32' in value) lines.push(`const ${name}: u32 = ${value.u32 >>> 0}u;`);
    else if ('i32' in value) lines.push(`const ${name}: i32 = ${value.i32 | 0}i;`);
    else lines.push(`const ${name}: f32 = ${formatF32(value.f32)};`);
  }
  return lines.join('\n') + '\n';
}

function formatF32(value: number): string {
  const text = String(Math.fround(value));
  return /[.eE]/.test(text) ? text : `${text}.0`;
}

export class PipelineCache {
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  /**
   * Returns the pipeline for `key`, compiling `source()` on first use. `source` is only called on a
   * cache miss, so building the WGSL text costs nothing per dispatch.
   */
  get(key: string, source: () => string, entryPoint = 'main'): GPUComputePipeline {
    const cached = this.pipelines.get(key);
    if (cached) return cached;
    const module = this.device.createShaderModule({ label: key, code: source() });
    const pipeline = this.device.createComputePipeline({
      label: key,
      layout: 'auto',
      compute: { module, entryPoint },
    });
    this.pipelines.set(key, pipeline);
    return pipeline;
  }

  get size(): number {
    return this.pipelines.size;
  }
}
