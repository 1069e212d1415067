/** Shape of a non-overlapping 2-D max pooling on NHWC images, shared by the GPU host code and the CPU references. */
export interface MaxPoolShape {
  /** Batch size (images). */
  B: number;
  /** Input height. */
  H: number;
  /** Input width. */
  W: number;
  /** Channels. */
  C: number;
  /** Window size, the same along height and width. */
  kernel: number;
  /** Step between windows. Only stride = kernel (non-overlapping windows) is supported; defaults to kernel. */
  stride?: number;
}

/** Sizes derived from a MaxPoolShape. */
export interface MaxPoolSizes {
  /** Output height, floor(H / kernel): rows below the last whole window are dropped. */
  OH: number;
  /** Output width, floor(W / kernel). */
  OW: number;
  /** Input elements, B·H·W·C. */
  inputs: number;
  /** Output elements, B·OH·OW·C. */
  outputs: number;
}

/**
 * Checks a pooling shape and returns its derived sizes. Throws, naming `label`, when a dimension
 * is not a positive integer, the stride differs from the kernel, or the kernel is larger than the input.
 */
export function maxPoolSizes(label: string, shape: MaxPoolShape): MaxPoolSizes {
  const { B, H, W, C, kernel } = shape;
  const stride = shape.stride ?? kernel;
  for (const [name, value] of Object.entries({ B, H, W, C, kernel, stride })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: max pool ${name} must be a positive integer, got ${value}`);
  }
  if (stride !== kernel) {
    throw new Error(`${label}: max pool supports only stride = kernel (non-overlapping windows), got kernel ${kernel} and stride ${stride}`);
  }
  if (kernel > H || kernel > W) throw new Error(`${label}: max pool kernel ${kernel} is larger than the ${H}x${W} input`);
  const OH = Math.floor(H / kernel);
  const OW = Math.floor(W / kernel);
  return { OH, OW, inputs: B * H * W * C, outputs: B * OH * OW * C };
}
