// Block-wise 4-bit quantizer (see quant4.ref.ts for the exact rules, which this shader follows bit
// for bit). Four entry points share one binding layout:
//   quantize, quantize_off_diagonal     values → codes, absmax (and diagonal)
//   dequantize, dequantize_off_diagonal codes, absmax (and diagonal) → values
// The *_off_diagonal pair treats a square matrix whose diagonal is stored apart in f32.
//
// quantize: one workgroup of QUANT4_BLOCK_SIZE lanes per block, lane l holding entry l of the block.
// The absmax is a tree max in workgroup memory (max is exact, so the order does not matter), and
// lanes 0..7 each pack one word of eight codes. dequantize: one invocation per matrix entry.
// Needs QUANT4_BLOCK_SIZE, CODES_PER_WORD, CODEBOOK_SIZE, DEQUANTIZE_WORKGROUP_SIZE, CODEBOOK, MIDPOINTS.
//
// NOTE: WGSL lets an implementation flush f32 subnormals to zero, so a block whose absmax or scaled
// midpoints are subnormal (below 1.2e-38) may code differently from the CPU reference.

struct Quant4Params {
  rows: u32,
  cols: u32,
  // ⌈cols / CODES_PER_WORD⌉
  words_per_row: u32,
  // ⌈cols / QUANT4_BLOCK_SIZE⌉
  blocks_per_row: u32,
}

@group(0) @binding(0) var<uniform> params: Quant4Params;
// [rows, cols] f32, row-major: read by quantize, written by dequantize.
@group(0) @binding(1) var<storage, read_write> values: array<f32>;
// [rows, words_per_row] packed codes, entry j of a row in word j / 8, bits 4·(j % 8).
@group(0) @binding(2) var<storage, read_write> codes: array<u32>;
// [rows, blocks_per_row] absmax per block.
@group(0) @binding(3) var<storage, read_write> absmax: array<f32>;
// [rows] the diagonal, for the *_off_diagonal entry points only (rows = cols).
@group(0) @binding(4) var<storage, read_write> diagonal: array<f32>;

var<workgroup> block_max: array<f32, QUANT4_BLOCK_SIZE>;
var<workgroup> block_codes: array<u32, QUANT4_BLOCK_SIZE>;

// Code of x: the number of scaled midpoints at or below x. An all-zero block gets code 0.
fn encode(x: f32, scale: f32) -> u32 {
  if (scale == 0.0) {
    return 0u;
  }
  var code = 0u;
  for (var i = 0u; i < CODEBOOK_SIZE - 1u; i++) {
    if (MIDPOINTS[i] * scale <= x) {
      code += 1u;
    }
  }
  return code;
}

fn decode(code: u32, scale: f32) -> f32 {
  if (scale == 0.0) {
    return 0.0;
  }
  return CODEBOOK[code] * scale;
}

// Quantizes one block. `row` and `block` are uniform across the workgroup, as the barriers require.
// This function does not touch `diagonal`, so the plain entry points need no diagonal binding.
fn quantize_block(row: u32, block: u32, lane: u32, off_diagonal: bool) {
  let cols = params.cols;
  let col = block * QUANT4_BLOCK_SIZE + lane;
  let inside = col < cols;

  // 1. Load this lane's entry. Past the row's end it is 0, and so is a diagonal entry stored apart.
  var x = 0.0;
  if (inside && !(off_diagonal && col == row)) {
    x = values[row * cols + col];
  }

  // 2. absmax of the block by a tree max.
  block_max[lane] = abs(x);
  workgroupBarrier();
  for (var stride = QUANT4_BLOCK_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (lane < stride) {
      block_max[lane] = max(block_max[lane], block_max[lane + stride]);
    }
    workgroupBarrier();
  }
  let scale = block_max[0];

  // 3. Code every entry. Padding after the row's end stays 0.
  var code = 0u;
  if (inside) {
    code = encode(x, scale);
  }
  block_codes[lane] = code;
  workgroupBarrier();

  // 4. Lanes 0..7 each pack eight codes, low nibble first, into a word of the row.
  let words_in_block = QUANT4_BLOCK_SIZE / CODES_PER_WORD;
  let word_in_row = block * words_in_block + lane;
  if (lane < words_in_block && word_in_row < params.words_per_row) {
    var word = 0u;
    for (var k = 0u; k < CODES_PER_WORD; k++) {
      word |= block_codes[lane * CODES_PER_WORD + k] << (4u * k);
    }
    codes[row * params.words_per_row + word_in_row] = word;
  }
  if (lane == 0u) {
    absmax[row * params.blocks_per_row + block] = scale;
  }
}

// Flat block index from a grid that workgroupGrid may have split over x and y.
fn block_index(group: vec3<u32>, groups: vec3<u32>) -> u32 {
  return group.x + group.y * groups.x;
}

@compute @workgroup_size(QUANT4_BLOCK_SIZE)
fn quantize(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let index = block_index(group, groups);
  if (index >= params.rows * params.blocks_per_row) {
    return;
  }
  quantize_block(index / params.blocks_per_row, index % params.blocks_per_row, lane, false);
}

@compute @workgroup_size(QUANT4_BLOCK_SIZE)
fn quantize_off_diagonal(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  let index = block_index(group, groups);
  if (index >= params.rows * params.blocks_per_row) {
    return;
  }
  let row = index / params.blocks_per_row;
  let block = index % params.blocks_per_row;
  let col = block * QUANT4_BLOCK_SIZE + lane;
  if (col == row) {
    diagonal[row] = values[row * params.cols + col];
  }
  quantize_block(row, block, lane, true);
}

// Decodes entry (row, col) from its word and its block's absmax.
fn dequantize_entry(row: u32, col: u32) -> f32 {
  let word = codes[row * params.words_per_row + col / CODES_PER_WORD];
  let code = (word >> (4u * (col % CODES_PER_WORD))) & 0xfu;
  return decode(code, absmax[row * params.blocks_per_row + col / QUANT4_BLOCK_SIZE]);
}

fn entry_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * (groups.x * DEQUANTIZE_WORKGROUP_SIZE);
}

@compute @workgroup_size(DEQUANTIZE_WORKGROUP_SIZE)
fn dequantize(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = entry_index(id, groups);
  if (index >= params.rows * params.cols) {
    return;
  }
  values[index] = dequantize_entry(index / params.cols, index % params.cols);
}

@compute @workgroup_size(DEQUANTIZE_WORKGROUP_SIZE)
fn dequantize_off_diagonal(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = entry_index(id, groups);
  if (index >= params.rows * params.cols) {
    return;
  }
  let row = index / params.cols;
  let col = index % params.cols;
  if (row == col) {
    values[index] = diagonal[row];
  } else {
    values[index] = dequantize_entry(row, col);
  }
}
