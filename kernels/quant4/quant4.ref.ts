/**
 * CPU reference of the block-wise 4-bit quantizer of 4-bit Shampoo. It is the specification that
 * quant4.wgsl reproduces bit for bit.
 *
 * A rows×cols row-major f32 matrix is cut into blocks of up to QUANT4_BLOCK_SIZE (64) consecutive
 * entries of one row. Blocks never cross rows, so a row of 100 entries has blocks of 64 and 36.
 * Each block stores one f32 absmax = max |x| and one 4-bit code per entry:
 *   code(x) = #{ i : fl(midpoints[i] · absmax) ≤ x },   decode(q) = fl(values[q] · absmax),
 * where fl is f32 rounding. Comparing x with the scaled midpoint, instead of x / absmax with the
 * midpoint, picks the nearest value without a division, whose f32 result WGSL does not round
 * correctly. An exact tie goes to the upper value. A block with absmax 0 stores code 0 and
 * decodes to +0 exactly, although code 0 itself is −1 (Linear-2) or −0.8875 (dynamic tree).
 *
 * Packing: eight codes per u32, entry j of a row in word ⌊j / 8⌋ at bits 4·(j mod 8)..4·(j mod 8)+3,
 * so the first entry sits in the lowest nibble. Every row starts on a fresh word: a row takes
 * wordsPerRow = ⌈cols / 8⌉ words, and the nibbles after its last entry are 0. Because 64 is a
 * multiple of 8, block b of a row starts at word 8b of that row.
 * Scales: absmax[row · blocksPerRow + b], blocksPerRow = ⌈cols / 64⌉.
 *
 * Inputs must be finite: this reference throws on NaN or ±Infinity, and the GPU result for
 * them is unspecified.
 */
import { CODES_PER_WORD, QUANT4_BLOCK_SIZE, getCodebook, type Codebook, type CodebookName } from './codebooks';

/** Sizes of the packed form of a rows×cols matrix. */
export interface Quant4Layout {
  rows: number;
  cols: number;
  /** u32 words of codes per row, ⌈cols / 8⌉. */
  wordsPerRow: number;
  /** absmax blocks per row, ⌈cols / 64⌉. */
  blocksPerRow: number;
  /** rows · wordsPerRow. */
  codeWords: number;
  /** rows · blocksPerRow. */
  scaleCount: number;
  /** Bytes of the codes, counted under the `preconditioner` memory category. */
  codeBytes: number;
  /** Bytes of the absmax scales, counted under `quantization-scales`. */
  scaleBytes: number;
}

export function quant4Layout(rows: number, cols: number): Quant4Layout {
  for (const [name, value] of Object.entries({ rows, cols })) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`quant4Layout: ${name} must be a positive integer, got ${value}`);
  }
  const wordsPerRow = Math.ceil(cols / CODES_PER_WORD);
  const blocksPerRow = Math.ceil(cols / QUANT4_BLOCK_SIZE);
  return {
    rows,
    cols,
    wordsPerRow,
    blocksPerRow,
    codeWords: rows * wordsPerRow,
    scaleCount: rows * blocksPerRow,
    codeBytes: rows * wordsPerRow * 4,
    scaleBytes: rows * blocksPerRow * 4,
  };
}

/** Returns the bytes of the packed 4-bit codes of a rows×cols matrix (`preconditioner` memory). */
export function quant4CodeBytes(rows: number, cols: number): number {
  return quant4Layout(rows, cols).codeBytes;
}

/** Returns the bytes of the f32 absmax scales of a rows×cols matrix (`quantization-scales` memory). */
export function quant4ScaleBytes(rows: number, cols: number): number {
  return quant4Layout(rows, cols).scaleBytes;
}

/** A quantized matrix: packed codes and per-block absmax, in the layout of quant4Layout(rows, cols). */
export interface Quantized4 {
  rows: number;
  cols: number;
  codebook: CodebookName;
  /** [rows · wordsPerRow] packed codes. */
  codes: Uint32Array;
  /** [rows · blocksPerRow] f32 absmax per block. */
  absmax: Float32Array;
}

/** A quantized symmetric n×n matrix whose diagonal is kept apart in f32 (the inverse-root variant). */
export interface Quantized4OffDiagonal extends Quantized4 {
  /** [n] the diagonal, exactly as given. */
  diagonal: Float32Array;
}

/** Returns the code of x in a block with the given absmax (both f32 values). */
export function encodeValue(x: number, absmax: number, codebook: Codebook): number {
  if (absmax === 0) return 0;
  let code = 0;
  for (let i = 0; i < codebook.midpoints.length; i++) {
    if (Math.fround(codebook.midpoints[i] * absmax) <= x) code++;
  }
  return code;
}

/** Returns the f32 value of `code` in a block with the given absmax; +0 for an all-zero block. */
export function decodeValue(code: number, absmax: number, codebook: Codebook): number {
  if (absmax === 0) return 0;
  return Math.fround(codebook.values[code] * absmax);
}

/**
 * Quantizes the rows×cols row-major f32 matrix `values`. With `offDiagonal`, the entries (i, i) count
 * as 0 (used for Â, whose diagonal is stored apart).
 */
function quantizeRows(values: Float32Array, rows: number, cols: number, codebookName: CodebookName, offDiagonal: boolean): Quantized4 {
  const layout = quant4Layout(rows, cols);
  if (values.length < rows * cols) {
    throw new Error(`quantize4Ref: values has ${values.length} elements, expected at least rows·cols = ${rows}·${cols}`);
  }
  const codebook = getCodebook(codebookName);
  const codes = new Uint32Array(layout.codeWords);
  const absmax = new Float32Array(layout.scaleCount);

  for (let row = 0; row < rows; row++) {
    for (let block = 0; block < layout.blocksPerRow; block++) {
      const start = block * QUANT4_BLOCK_SIZE;
      const end = Math.min(cols, start + QUANT4_BLOCK_SIZE);
      const entry = (col: number) => (offDiagonal && col === row ? 0 : values[row * cols + col]);

      // 1. absmax of the block.
      let blockMax = 0;
      for (let col = start; col < end; col++) {
        const x = entry(col);
        if (!Number.isFinite(x)) throw new Error(`quantize4Ref: values[${row}, ${col}] is not finite (${x})`);
        blockMax = Math.max(blockMax, Math.abs(x));
      }
      absmax[row * layout.blocksPerRow + block] = blockMax;

      // 2. Codes, packed low nibble first.
      for (let col = start; col < end; col++) {
        const code = encodeValue(entry(col), blockMax, codebook);
        const word = row * layout.wordsPerRow + Math.floor(col / CODES_PER_WORD);
        codes[word] = (codes[word] | (code << (4 * (col % CODES_PER_WORD)))) >>> 0;
      }
    }
  }
  return { rows, cols, codebook: codebookName, codes, absmax };
}

/** Quantizes a rows×cols row-major f32 matrix to packed 4-bit codes and per-block absmax. */
export function quantize4Ref(values: Float32Array, rows: number, cols: number, codebook: CodebookName): Quantized4 {
  return quantizeRows(values, rows, cols, codebook, false);
}

/** Decodes packed codes back to a rows×cols row-major f32 matrix. */
export function dequantize4Ref(codes: Uint32Array, absmax: Float32Array, rows: number, cols: number, codebookName: CodebookName): Float32Array {
  const layout = quant4Layout(rows, cols);
  if (codes.length < layout.codeWords) throw new Error(`dequantize4Ref: codes has ${codes.length} words, expected ${layout.codeWords}`);
  if (absmax.length < layout.scaleCount) throw new Error(`dequantize4Ref: absmax has ${absmax.length} elements, expected ${layout.scaleCount}`);
  const codebook = getCodebook(codebookName);
  const out = new Float32Array(rows * cols);
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < cols; col++) {
      const word = codes[row * layout.wordsPerRow + Math.floor(col / CODES_PER_WORD)];
      const code = (word >>> (4 * (col % CODES_PER_WORD))) & 0xf;
      const scale = absmax[row * layout.blocksPerRow + Math.floor(col / QUANT4_BLOCK_SIZE)];
      out[row * cols + col] = decodeValue(code, scale, codebook);
    }
  }
  return out;
}

/**
 * Quantizes a symmetric n×n matrix (the inverse root Â) without its diagonal: the diagonal is
 * zeroed before the absmax is taken and returned apart in f32, so large diagonal entries do not
 * coarsen the off-diagonal codes. Symmetry is not checked and not used: every row is coded.
 */
export function quantizeOffDiagonal4Ref(values: Float32Array, n: number, codebook: CodebookName): Quantized4OffDiagonal {
  const quantized = quantizeRows(values, n, n, codebook, true);
  const diagonal = new Float32Array(n);
  for (let i = 0; i < n; i++) diagonal[i] = values[i * n + i];
  return { ...quantized, diagonal };
}

/** Decodes an off-diagonal-quantized n×n matrix and writes the stored diagonal back. */
export function dequantizeOffDiagonal4Ref(
  codes: Uint32Array,
  absmax: Float32Array,
  diagonal: Float32Array,
  n: number,
  codebook: CodebookName,
): Float32Array {
  if (diagonal.length < n) throw new Error(`dequantizeOffDiagonal4Ref: diagonal has ${diagonal.length} elements, expected n = ${n}`);
  const out = dequantize4Ref(codes, absmax, n, n, codebook);
  for (let i = 0; i < n; i++) out[i * n + i] = diagonal[i];
  return out;
}
