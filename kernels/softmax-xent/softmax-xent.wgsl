// Softmax cross-entropy over logits [batch, K] with u32 labels, one thread per row (meant for
// classifier heads: each thread reads its K logits three times).
//   losses[row]  = logsumexp(logits[row, :]) − logits[row, label], computed as
//                  (max − logits[row, label]) + log(Σ exp(logits[row, j] − max)), so no exp overflows
//   dlogits[row, j] = (softmax(logits[row, :])[j] − (j == label)) / batch, the gradient of the mean loss
//   correct[row] = 1 when the first index of the largest logit equals the label, else 0
// Rows at or past params.batch are not touched. A label >= K reads no logit: it writes a NaN loss,
// a NaN dlogits row and correct = 0, so the mean loss shows the bad label.
// Injected by the host: WORKGROUP_SIZE, NAN_BITS (the bits of a quiet f32 NaN).

struct Params {
  batch: u32,
  k: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> losses: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> correct: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let row = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (row >= params.batch) {
    return;
  }
  let k = params.k;
  let offset = row * k;
  let label = labels[row];

  if (label >= k) {
    // A var, not a const: WGSL rejects a NaN produced by a constant expression.
    var nan_bits = NAN_BITS;
    let nan = bitcast<f32>(nan_bits);
    losses[row] = nan;
    for (var j = 0u; j < k; j++) {
      dlogits[offset + j] = nan;
    }
    correct[row] = 0u;
    return;
  }

  // Strict > keeps the first index of the largest logit.
  var max_value = logits[offset];
  var argmax = 0u;
  for (var j = 1u; j < k; j++) {
    let value = logits[offset + j];
    if (value > max_value) {
      max_value = value;
      argmax = j;
    }
  }

  var sum = 0.0;
  for (var j = 0u; j < k; j++) {
    sum += exp(logits[offset + j] - max_value);
  }

  // The difference first, so a large common offset of the logits cancels before log(sum) is added.
  losses[row] = (max_value - logits[offset + label]) + log(sum);

  let batch = f32(params.batch);
  for (var j = 0u; j < k; j++) {
    let probability = exp(logits[offset + j] - max_value) / sum;
    let target_value = select(0.0, 1.0, j == label);
    dlogits[offset + j] = (probability - target_value) / batch;
  }
  correct[row] = select(0u, 1u, argmax == label);
}
