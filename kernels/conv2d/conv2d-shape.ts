/**
 * Shape of a 2-D convolution on NHWC images, shared by the GPU host code and the CPU references.
 * The kernel uses the PyTorch layout (outChannels, C, KH, KW); read row-major it is the
 * (outChannels, C·KH·KW) matrix that the im2col columns multiply.
 */
export interface Conv2dShape {
  /** Batch size (images). */
  B: number;
  /** Input height. */
  H: number;
  /** Input width. */
  W: number;
  /** Input channels. */
  C: number;
  outChannels: number;
  /** Kernel height. */
  KH: number;
  /** Kernel width. */
  KW: number;
  /** Step between neighbouring output positions, the same along height and width. */
  stride: number;
  /** Zero rows and columns added on every side of the input. */
  padding: number;
}

/** Sizes derived from a Conv2dShape. */
export interface Conv2dSizes {
  /** Output height, floor((H + 2·padding − KH) / stride) + 1. */
  OH: number;
  /** Output width, floor((W + 2·padding − KW) / stride) + 1. */
  OW: number;
  /** im2col rows, B·OH·OW: one per output position. */
  rows: number;
  /** im2col columns, C·KH·KW: the inner dimension of the convolution's matmul. */
  patch: number;
}

/**
 * Checks a convolution shape and returns its derived sizes. Throws, naming `label` and the
 * offending field, when a dimension is not a positive integer, the padding is negative or not an
 * integer, or the padded input is smaller than the kernel.
 */
export function conv2dSizes(label: string, shape: Conv2dShape): Conv2dSizes {
  const { B, H, W, C, outChannels, KH, KW, stride, padding } = shape;
  for (const [name, value] of Object.entries({ B, H, W, C, outChannels, KH, KW, stride })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${label}: conv2d ${name} must be a positive integer, got ${value}`);
  }
  if (!Number.isInteger(padding) || padding < 0) throw new Error(`${label}: conv2d padding must be an integer >= 0, got ${padding}`);
  if (H + 2 * padding < KH || W + 2 * padding < KW) {
    throw new Error(
      `${label}: conv2d kernel ${KH}x${KW} is larger than the padded input ${H + 2 * padding}x${W + 2 * padding} ` +
        `(H=${H}, W=${W}, padding=${padding}). Use a smaller kernel or more padding.`,
    );
  }
  const OH = Math.floor((H + 2 * padding - KH) / stride) + 1;
  const OW = Math.floor((W + 2 * padding - KW) / stride) + 1;
  return { OH, OW, rows: B * OH * OW, patch: C * KH * KW };
}
