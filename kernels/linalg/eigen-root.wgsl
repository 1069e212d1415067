// Weights of the eigen inverse root: w[k] = (max(S[k], 0) + ε·max S)^(−1/ROOT_P), with the checks
// that decide whether the root is written (status block of root-status.ts at status_base).
// One workgroup. Needs WORKGROUP_SIZE (a power of two), ROOT_P and the STATUS_*, FLAG_* and
// KEPT_FLAGS constants.

struct Params {
  n: u32,
  status_base: u32,
  epsilon: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> status: array<u32>;
@group(0) @binding(2) var<storage, read> values: array<f32>;
@group(0) @binding(3) var<storage, read_write> weights: array<f32>;

const INF_BITS = 0x7f800000u;

var<workgroup> partial_max: array<f32, WORKGROUP_SIZE>;
var<workgroup> partial_count: array<u32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lane: u32) {
  let n = params.n;
  var largest = 0.0;
  var bad = 0u;
  for (var k = lane; k < n; k += WORKGROUP_SIZE) {
    let value = values[k];
    if ((bitcast<u32>(value) & INF_BITS) == INF_BITS) {
      bad += 1u;
    } else {
      largest = max(largest, value);
    }
  }
  partial_max[lane] = largest;
  partial_count[lane] = bad;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      partial_max[lane] = max(partial_max[lane], partial_max[lane + stride]);
      partial_count[lane] += partial_count[lane + stride];
    }
  }
  workgroupBarrier();
  let max_value = partial_max[0];
  let ridge = params.epsilon * max_value;
  let base = params.status_base;

  var flags = 0u;
  if (partial_count[0] > 0u || status[base + STATUS_NONFINITE_COUNT] > 0u) {
    flags = FLAG_NONFINITE_INPUT;
  } else if (!(ridge > 0.0)) {
    // Every S ≤ 0, or ε = 0: the root of a zero eigenvalue is infinite.
    flags = FLAG_INVALID_SCALE;
  }
  if (flags == 0u) {
    for (var k = lane; k < n; k += WORKGROUP_SIZE) {
      weights[k] = pow(max(values[k], 0.0) + ridge, -1.0 / f32(ROOT_P));
    }
  }
  if (lane == 0u) {
    let kept = (flags & KEPT_FLAGS) != 0u;
    status[base + STATUS_FLAGS] = flags;
    status[base + STATUS_LAMBDA_MAX] = bitcast<u32>(max_value);
    status[base + STATUS_ACTIVE] = 0u;
    status[base + STATUS_ITERATIONS] = 0u;
    status[base + STATUS_WRITE] = u32(!kept);
    if (kept) {
      status[base + STATUS_KEPT_COUNT] += 1u;
    }
  }
}
