// Copies an H×W sub-block between a row-major matrix with row stride COLS and a contiguous H×W
// buffer. Element (r, c) of the block is matrix[matrix_offset + (r0 + r)·cols + c0 + c] and
// block[block_offset + r·w + c]. `gather` copies matrix → block, `scatter` copies block → matrix.
// Words are copied as u32, so every bit pattern (NaN payloads included) survives.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  cols: u32,
  r0: u32,
  c0: u32,
  h: u32,
  w: u32,
  matrix_offset: u32,
  block_offset: u32,
}

@group(0) @binding(0) var<storage, read_write> matrix: array<u32>;
@group(0) @binding(1) var<storage, read_write> block: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

struct BlockElement {
  matrix_index: u32,
  block_index: u32,
  // False for the threads past the last element (the grid is rounded up to whole workgroups).
  inside: bool,
}

fn block_element(id: vec3<u32>, groups: vec3<u32>) -> BlockElement {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  let row = i / params.w;
  let col = i - row * params.w;
  let matrix_index = params.matrix_offset + (params.r0 + row) * params.cols + params.c0 + col;
  return BlockElement(matrix_index, params.block_offset + i, row < params.h);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let element = block_element(id, groups);
  if (element.inside) {
    block[element.block_index] = matrix[element.matrix_index];
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatter(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let element = block_element(id, groups);
  if (element.inside) {
    matrix[element.matrix_index] = block[element.block_index];
  }
}
