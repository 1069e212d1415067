// Causal multi-head self-attention of GPT-2, one workgroup per (b, h, query position t).
// qkv is (B·T)×3C: q in columns [0, C), k in [C, 2C), v in [2C, 3C); head h uses columns
// h·HS .. (h+1)·HS of each. out is (B·T)×C with the heads side by side:
// out[b*T + t, h·HS + d] = Σ_{j <= t} softmax_j(q_t · k_j · scale) · v_j[d].
//
// Keys 0..t are visited in blocks of KEY_BLOCK (one key per thread) with an online softmax: a
// running max m and running sum l of exp(score - m) are rescaled whenever a block raises m, so
// neither T nor HS is bounded by an array size. The running weighted sum of values is kept in the
// output row itself, each thread owning the dimensions d ≡ thread (mod KEY_BLOCK), and is divided
// by l at the end. Every thread computes m and l from the same workgroup arrays in the same order,
// so all threads hold identical copies. Workgroups are spread over workgroup_id.x and .y as the
// host's workgroupGrid splits them.
// Injected by the host: KEY_BLOCK (the workgroup size).

struct Params {
  b: u32,
  t: u32,
  c: u32,
  nh: u32,
  hs: u32,
  scale: f32,
}

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> scores: array<f32, KEY_BLOCK>;
var<workgroup> weights: array<f32, KEY_BLOCK>;

@compute @workgroup_size(KEY_BLOCK)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) thread: u32,
) {
  let flat = group.x + group.y * groups.x;
  if (flat >= params.b * params.nh * params.t) {
    return;
  }
  let t = flat % params.t;
  let h = (flat / params.t) % params.nh;
  let b = flat / (params.t * params.nh);
  let hs = params.hs;
  let row_stride = 3u * params.c;
  let q_offset = (b * params.t + t) * row_stride + h * hs;
  let k_base = b * params.t * row_stride + params.c + h * hs;
  let v_base = b * params.t * row_stride + 2u * params.c + h * hs;
  let out_offset = (b * params.t + t) * params.c + h * hs;

  var running_max = 0.0;
  var running_sum = 0.0;
  for (var j0 = 0u; j0 <= t; j0 += KEY_BLOCK) {
    // Keys j0 .. j0 + valid - 1 are at or before t; there is at least one.
    let valid = min(KEY_BLOCK, t + 1u - j0);

    // 1. One score per thread.
    let j = j0 + thread;
    var score = 0.0;
    if (thread < valid) {
      let k_offset = k_base + j * row_stride;
      for (var d = 0u; d < hs; d++) {
        score = fma(qkv[q_offset + d], qkv[k_offset + d], score);
      }
      score *= params.scale;
    }
    scores[thread] = score;
    workgroupBarrier();

    // 2. New running max. The first block has no previous max, so it takes the block's own.
    var block_max = scores[0];
    for (var i = 1u; i < valid; i++) {
      block_max = max(block_max, scores[i]);
    }
    var new_max = block_max;
    var correction = 0.0;
    if (j0 > 0u) {
      new_max = max(running_max, block_max);
      correction = exp(running_max - new_max);
    }

    // 3. Softmax weights of this block; keys after t get weight 0 without calling exp.
    var weight = 0.0;
    if (thread < valid) {
      weight = exp(scores[thread] - new_max);
    }
    weights[thread] = weight;
    workgroupBarrier();

    var block_sum = 0.0;
    for (var i = 0u; i < valid; i++) {
      block_sum += weights[i];
    }
    running_sum = running_sum * correction + block_sum;
    running_max = new_max;

    // 4. Rescale this thread's output dimensions and add the block's weighted values.
    for (var d = thread; d < hs; d += KEY_BLOCK) {
      var acc = 0.0;
      if (j0 > 0u) {
        acc = out[out_offset + d] * correction;
      }
      for (var i = 0u; i < valid; i++) {
        acc = fma(weights[i], qkv[v_base + (j0 + i) * row_stride + d], acc);
      }
      out[out_offset + d] = acc;
    }
    // The next block overwrites scores and weights.
    workgroupBarrier();
  }

  // running_sum >= 1, because the key with the max score has weight exp(0).
  for (var d = thread; d < hs; d += KEY_BLOCK) {
    out[out_offset + d] = out[out_offset + d] / running_sum;
  }
}
