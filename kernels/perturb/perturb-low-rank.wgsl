// Low-rank perturbation of an M×N matrix, one workgroup per row i:
//   dst[i, j] = (apply_decay ? keep : 1) · src[i, j] + c · scale · (U Σ)[row_offset + i, :] · V[j, :]
// U: [rows, R], V: [N, R], Σ: [R, R], row-major. Z = U Σ Vᵀ is never stored: the workgroup first
// computes row i of c · scale · U Σ into workgroup memory, then each invocation sweeps columns.
// Needs WORKGROUP_SIZE, LOW_RANK_MAX_RANK, StepParams and a tensor-binding variant.

struct PerturbLowRankParams {
  m: u32,
  n: u32,
  r: u32,
  scale: f32,
  apply_decay: u32,
  row_offset: u32,
}

@group(0) @binding(0) var<uniform> params: PerturbLowRankParams;
@group(0) @binding(1) var<uniform> step_params: StepParams;
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> sigma: array<f32>;

// c · scale · (U Σ)[row, k] for k < R.
var<workgroup> row_direction: array<f32, LOW_RANK_MAX_RANK>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) lane: u32,
) {
  // The row depends only on the workgroup id, so this return is uniform and the barrier below is valid.
  let row = group.x + group.y * groups.x;
  if (row >= params.m) {
    return;
  }
  let r = params.r;

  // 1. Row of U Σ, scaled by c · scale.
  if (lane < r) {
    let u_row = (params.row_offset + row) * r;
    var sum = 0.0;
    for (var l = 0u; l < r; l++) {
      sum += u[u_row + l] * sigma[l * r + lane];
    }
    row_direction[lane] = step_params.c * params.scale * sum;
  }
  workgroupBarrier();

  // 2. Each invocation handles columns lane, lane + WORKGROUP_SIZE, ...
  for (var j = lane; j < params.n; j += WORKGROUP_SIZE) {
    var direction = 0.0;
    for (var k = 0u; k < r; k++) {
      direction += row_direction[k] * v[j * r + k];
    }
    let i = row * params.n + j;
    var base = load_src(i);
    if (params.apply_decay != 0u) {
      base = step_params.keep * base;
    }
    store_dst(i, base + direction);
  }
}
