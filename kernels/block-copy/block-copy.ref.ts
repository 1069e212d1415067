/**
 * CPU references of the block copies, with the same argument order as `makeBlockGather` and
 * `makeBlockScatter`. Element (r, c) of the h×w block is
 * matrix[matrixOffset + (r0 + r)·cols + c0 + c] and block[blockOffset + r·w + c].
 */

function checkShape(name: string, matrix: Float32Array, block: Float32Array, rows: number, cols: number, r0: number, c0: number, h: number, w: number, matrixOffset: number, blockOffset: number): void {
  if (r0 + h > rows || c0 + w > cols) throw new Error(`${name}: block rows ${r0}..${r0 + h} or cols ${c0}..${c0 + w} fall outside the ${rows}×${cols} matrix`);
  if (matrix.length < matrixOffset + rows * cols) throw new Error(`${name}: matrix has ${matrix.length} elements, fewer than matrixOffset + rows·cols`);
  if (block.length < blockOffset + h * w) throw new Error(`${name}: block has ${block.length} elements, fewer than blockOffset + h·w`);
}

/** Copies the sub-block of matrix into block. */
export function blockGatherRef(
  matrix: Float32Array,
  block: Float32Array,
  rows: number,
  cols: number,
  r0: number,
  c0: number,
  h: number,
  w: number,
  matrixOffset = 0,
  blockOffset = 0,
): void {
  checkShape('blockGatherRef', matrix, block, rows, cols, r0, c0, h, w, matrixOffset, blockOffset);
  for (let r = 0; r < h; r++) {
    const start = matrixOffset + (r0 + r) * cols + c0;
    block.set(matrix.subarray(start, start + w), blockOffset + r * w);
  }
}

/** Copies block into the sub-block of matrix. The rest of matrix is unchanged. */
export function blockScatterRef(
  matrix: Float32Array,
  block: Float32Array,
  rows: number,
  cols: number,
  r0: number,
  c0: number,
  h: number,
  w: number,
  matrixOffset = 0,
  blockOffset = 0,
): void {
  checkShape('blockScatterRef', matrix, block, rows, cols, r0, c0, h, w, matrixOffset, blockOffset);
  for (let r = 0; r < h; r++) {
    const start = blockOffset + r * w;
    matrix.set(block.subarray(start, start + w), matrixOffset + (r0 + r) * cols + c0);
  }
}
