// Power iteration for the largest eigenvalue of a symmetric positive semidefinite n×n matrix A
// (row-major). v starts from a fixed hashed vector; each iteration is `matvec` (w = A v) then
// `normalize`, which writes the Rayleigh quotient λ = (v·w) / (v·v) and sets v = w / ‖w‖.
// Needs WORKGROUP_SIZE, MATVEC_WORKGROUP_SIZE (powers of two) and START_SEED, and hash32 and
// hash_to_unit in front.

struct Params {
  n: u32,
  lambda_index: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read> a: array<f32>;
@group(0) @binding(4) var<storage, read_write> lambda_out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn start(@builtin(local_invocation_index) lane: u32) {
  for (var i = lane; i < params.n; i += WORKGROUP_SIZE) {
    v[i] = hash_to_unit(hash32(i + START_SEED));
  }
}

var<workgroup> row_partial: array<f32, MATVEC_WORKGROUP_SIZE>;

// One workgroup per row: w[row] = Σⱼ A[row, j] · v[j].
@compute @workgroup_size(MATVEC_WORKGROUP_SIZE)
fn matvec(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let n = params.n;
  let row = group.x;
  var sum = 0.0;
  for (var j = lane; j < n; j += MATVEC_WORKGROUP_SIZE) {
    sum = fma(a[row * n + j], v[j], sum);
  }
  row_partial[lane] = sum;
  for (var stride = MATVEC_WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      row_partial[lane] += row_partial[lane + stride];
    }
  }
  if (lane == 0u) {
    w[row] = row_partial[0];
  }
}

var<workgroup> dots: array<vec3<f32>, WORKGROUP_SIZE>;
var<workgroup> squares: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn normalize(@builtin(local_invocation_index) lane: u32) {
  let n = params.n;
  // 1. v·w, v·v and max|w| (the scale that keeps ‖w‖² from overflowing).
  var acc = vec3<f32>(0.0);
  for (var i = lane; i < n; i += WORKGROUP_SIZE) {
    acc += vec3<f32>(v[i] * w[i], v[i] * v[i], 0.0);
    acc.z = max(acc.z, abs(w[i]));
  }
  dots[lane] = acc;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      let other = dots[lane + stride];
      dots[lane] = vec3<f32>(dots[lane].xy + other.xy, max(dots[lane].z, other.z));
    }
  }
  workgroupBarrier();
  let totals = dots[0];
  let scale = totals.z;

  // 2. ‖w / scale‖².
  var sum = 0.0;
  if (scale > 0.0) {
    for (var i = lane; i < n; i += WORKGROUP_SIZE) {
      let scaled = w[i] / scale;
      sum = fma(scaled, scaled, sum);
    }
  }
  squares[lane] = sum;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      squares[lane] += squares[lane + stride];
    }
  }
  workgroupBarrier();
  let norm = scale * sqrt(squares[0]);

  if (lane == 0u) {
    lambda_out[params.lambda_index] = totals.x / totals.y;
  }
  // 3. v = w / ‖w‖; a zero w (A v = 0) keeps v.
  if (norm > 0.0) {
    for (var i = lane; i < n; i += WORKGROUP_SIZE) {
      v[i] = w[i] / norm;
    }
  }
}
