// Masked mean in one workgroup: out[out_index] = Σ values / max(Σ mask, 1) over N elements.
// Each thread sums a strided slice, then a tree reduction in workgroup memory adds the partial sums
// in a fixed order, so the same inputs give the same bits on every run. No atomics.
// Injected by the host: WORKGROUP_SIZE (a power of two).

struct Params {
  n: u32,
  out_index: u32,
}

@group(0) @binding(0) var<storage, read> values: array<f32>;
@group(0) @binding(1) var<storage, read> mask: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> value_sums: array<f32, WORKGROUP_SIZE>;
var<workgroup> mask_sums: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) thread: u32) {
  var value_sum = 0.0;
  var mask_sum = 0.0;
  for (var i = thread; i < params.n; i += WORKGROUP_SIZE) {
    value_sum += values[i];
    mask_sum += mask[i];
  }
  value_sums[thread] = value_sum;
  mask_sums[thread] = mask_sum;
  workgroupBarrier();

  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (thread < stride) {
      value_sums[thread] += value_sums[thread + stride];
      mask_sums[thread] += mask_sums[thread + stride];
    }
    workgroupBarrier();
  }

  if (thread == 0u) {
    out[params.out_index] = value_sums[0] / max(mask_sums[0], 1.0);
  }
}
