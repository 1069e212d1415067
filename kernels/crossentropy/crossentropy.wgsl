// Per-row cross-entropy: losses[i] = mask[i] · (logsumexp(logits[i, :]) - logits[i, targets[i]]).
// One workgroup per row of V logits, rows spread over workgroup_id.x and .y as the host's
// workgroupGrid splits them. Each thread keeps an online (max, sum of exp(x - max)) pair over a
// strided slice, and a tree reduction in workgroup memory merges the pairs in a fixed order, so
// the logits are read once and no exp overflows. Rows with mask 0 are skipped and get exactly 0.
// A target >= V reads no logit and gives 0 as well.
// Injected by the host: WORKGROUP_SIZE (a power of two), LOWEST_F32.

struct Params {
  n: u32,
  v: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<u32>;
@group(0) @binding(2) var<storage, read> mask: array<f32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

var<workgroup> partial_max: array<f32, WORKGROUP_SIZE>;
var<workgroup> partial_sum: array<f32, WORKGROUP_SIZE>;
var<workgroup> row_skipped: bool;

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
  let v = params.v;
  let offset = row * v;
  let target_id = targets[row];
  let row_mask = mask[row];

  // 1. Masked rows and out-of-range targets skip the row; the flag is made uniform so the whole
  //    workgroup leaves together, before any barrier.
  if (thread == 0u) {
    row_skipped = row_mask == 0.0 || target_id >= v;
  }
  if (workgroupUniformLoad(&row_skipped)) {
    if (thread == 0u) {
      losses[row] = 0.0;
    }
    return;
  }

  // 2. Online max and sum over this thread's slice. LOWEST_F32 stands for -inf, so an empty slice
  //    is (LOWEST_F32, 0) and vanishes in the merge.
  var running_max = LOWEST_F32;
  var running_sum = 0.0;
  for (var i = thread; i < v; i += WORKGROUP_SIZE) {
    let value = logits[offset + i];
    if (value > running_max) {
      running_sum = running_sum * exp(running_max - value) + 1.0;
      running_max = value;
    } else {
      running_sum += exp(value - running_max);
    }
  }

  // 3. Tree merge of the (max, sum) pairs.
  partial_max[thread] = running_max;
  partial_sum[thread] = running_sum;
  workgroupBarrier();
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    if (thread < stride) {
      let max_a = partial_max[thread];
      let max_b = partial_max[thread + stride];
      let merged_max = max(max_a, max_b);
      partial_sum[thread] = partial_sum[thread] * exp(max_a - merged_max) + partial_sum[thread + stride] * exp(max_b - merged_max);
      partial_max[thread] = merged_max;
    }
    workgroupBarrier();
  }

  // 4. loss = (max - logits[target]) + log(sum), the difference first, so a large common offset
  //    of the logits cancels exactly before the small log term is added.
  if (thread == 0u) {
    let loss = (partial_max[0] - logits[offset + target_id]) + log(partial_sum[0]);
    losses[row] = row_mask * loss;
  }
}
