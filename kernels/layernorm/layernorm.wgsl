// LayerNorm over rows of C: out[n, :] = (x[n, :] - mean) / sqrt(var + eps) * gamma + beta, with
// the biased variance. One workgroup per row. Sums run over x shifted by the row's first element,
// and the variance is a second pass over (x - mean)^2, so both stay accurate when |mean| is much
// larger than the spread. Both sums use a tree reduction
// in workgroup memory, so the order of additions is fixed. Rows are spread over workgroup_id.x and
// .y as the host's workgroupGrid splits them. Injected by the host: WORKGROUP_SIZE (a power of two).

struct Params {
  n: u32,
  c: u32,
  eps: f32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

// Returns the sum of every thread's `value`, the same in every thread.
fn workgroup_sum(value: f32, thread: u32) -> f32 {
  partial[thread] = value;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (thread < stride) {
      partial[thread] += partial[thread + stride];
    }
    workgroupBarrier();
  }
  let total = partial[0];
  // Another call may overwrite partial[0] right after this one returns.
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) thread: u32,
) {
  let row = group.x + group.y * groups.x;
  if (row >= params.n) {
    return;
  }
  let c = params.c;
  let offset = row * c;

  // The mean is kept as shift + mean_offset, with shift = x[row, 0], and x - mean is computed as
  // (x - shift) - mean_offset. When |mean| >> spread, x - shift is exact and small, whereas forming
  // the mean itself would round it to the f32 grid at |mean|.
  let shift = x[offset];
  var shifted_sum = 0.0;
  for (var i = thread; i < c; i += WORKGROUP_SIZE) {
    shifted_sum += x[offset + i] - shift;
  }
  let mean_offset = workgroup_sum(shifted_sum, thread) / f32(c);

  var squares = 0.0;
  for (var i = thread; i < c; i += WORKGROUP_SIZE) {
    let centered = (x[offset + i] - shift) - mean_offset;
    squares += centered * centered;
  }
  let rstd = inverseSqrt(workgroup_sum(squares, thread) / f32(c) + params.eps);

  for (var i = thread; i < c; i += WORKGROUP_SIZE) {
    let centered = (x[offset + i] - shift) - mean_offset;
    out[offset + i] = centered * rstd * gamma[i] + beta[i];
  }
}
