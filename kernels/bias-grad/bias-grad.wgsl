// Bias gradient: out[col] = Σ_row dy[row, col] over dy [N, M], in two passes with a fixed
// reduction order (no atomics), so the same input gives the same bits on every run.
// main_partial: the workgroup at (x, y) sums rows y·ROWS_PER_CHUNK .. (y + 1)·ROWS_PER_CHUNK − 1 for
// COLUMNS columns. Thread (column, lane) adds every LANES-th row of its column in row order, then a
// tree over the lanes adds the LANES partial sums, and partials[chunk, col] gets the result.
// main_final: one workgroup per column. Thread t adds partials[t, col], partials[t + FINAL_WORKGROUP_SIZE, col],
// ... in chunk order, then a tree adds the thread sums. A tree keeps the rounding error of the
// large late sums small, which a single running sum over hundreds of chunks does not.
// Injected by the host: COLUMNS, LANES and FINAL_WORKGROUP_SIZE (powers of two), ROWS_PER_CHUNK.

struct Params {
  n: u32,
  m: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// main_partial binds 1 and 2; main_final binds 3 and 4.
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read> partials_in: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

var<workgroup> lane_sums: array<f32, COLUMNS * LANES>; // [lane][column]
var<workgroup> chunk_sums: array<f32, FINAL_WORKGROUP_SIZE>;

@compute @workgroup_size(COLUMNS, LANES)
fn main_partial(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let col = group.x * COLUMNS + local.x;
  let chunk = group.y;
  let row_end = min((chunk + 1u) * ROWS_PER_CHUNK, params.n);

  // Threads past the last column add nothing but still reach every barrier below.
  var sum = 0.0;
  if (col < params.m) {
    for (var row = chunk * ROWS_PER_CHUNK + local.y; row < row_end; row += LANES) {
      sum += dy[row * params.m + col];
    }
  }
  lane_sums[local.y * COLUMNS + local.x] = sum;
  workgroupBarrier();

  for (var stride = LANES / 2u; stride > 0u; stride /= 2u) {
    if (local.y < stride) {
      lane_sums[local.y * COLUMNS + local.x] += lane_sums[(local.y + stride) * COLUMNS + local.x];
    }
    workgroupBarrier();
  }

  if (local.y == 0u && col < params.m) {
    partials[chunk * params.m + col] = lane_sums[local.x];
  }
}

@compute @workgroup_size(FINAL_WORKGROUP_SIZE)
fn main_final(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) thread: u32,
) {
  // col is the same for the whole workgroup, so this return is uniform and skips no barrier.
  let col = group.x + group.y * groups.x;
  if (col >= params.m) {
    return;
  }
  var sum = 0.0;
  for (var chunk = thread; chunk < params.chunks; chunk += FINAL_WORKGROUP_SIZE) {
    sum += partials_in[chunk * params.m + col];
  }
  chunk_sums[thread] = sum;
  workgroupBarrier();

  for (var stride = FINAL_WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (thread < stride) {
      chunk_sums[thread] += chunk_sums[thread + stride];
    }
    workgroupBarrier();
  }
  if (thread == 0u) {
    out[col] = chunk_sums[0];
  }
}
