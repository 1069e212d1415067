// Causal multi-head self-attention of GPT-2, one invocation per (b, h, query position t).
// qkv is (B·T)×3C: q in columns [0, C), k in [C, 2C), v in [2C, 3C); head h uses columns
// h·HS .. (h+1)·HS of each. out is (B·T)×C with the heads side by side:
// out[b*T + t, h·HS + d] = Σ_{j <= t} softmax_j(q_t · k_j · scale) · v_j[d].
//
// A workgroup covers QUERY_BLOCK consecutive queries of one (b, h). It walks the keys 0 .. (its
// last query) in tiles of TILE_KEYS rows: all invocations copy the tile's k and v rows into
// workgroup memory, then each invocation scores its own query against the tile's keys at or
// before it. Rows are stored as HEAD_VEC4S = ceil(HS / 4) vec4s, zero-padded after HS, so the
// padding adds nothing to dot products and accumulators. HEAD_VEC4S is a compile-time constant,
// so the loops over a row have fixed bounds that the compiler can unroll (twice as fast on Mesa 25
// lavapipe as a bound read from the uniforms).
//
// Softmax is computed online: each invocation keeps a running max m and a running sum l of
// exp(score - m), and its output row acc in a private array. Once per tile, acc and l are
// multiplied by exp(m_old - m_new) when the tile raises m, so neither T nor the tile size bounds
// the key count. The row is divided by l at the end.
//
// Barriers sit in the tile loop, whose bounds depend only on the workgroup, so control flow is
// uniform there. Invocations past T (the last workgroup of a (b, h) may be partial) load and wait
// like the others, compute for query T - 1, and skip the store.
// Workgroups are spread over workgroup_id.x and .y as the host's workgroupGrid splits them.
// Injected by the host: QUERY_BLOCK (the workgroup size), HEAD_VEC4S, TILE_KEYS.

struct Params {
  b: u32,
  t: u32,
  c: u32,
  nh: u32,
  hs: u32,
  scale: f32,
  // Workgroups per (b, h): ceil(T / QUERY_BLOCK).
  query_blocks: u32,
}

@group(0) @binding(0) var<storage, read> qkv: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

const TILE_VEC4S = TILE_KEYS * HEAD_VEC4S;

// Rows j0 .. j0 + TILE_KEYS - 1 of k and v for head h, HEAD_VEC4S vec4s each.
var<workgroup> k_tile: array<vec4<f32>, TILE_VEC4S>;
var<workgroup> v_tile: array<vec4<f32>, TILE_VEC4S>;

// Returns 4 elements of a row of qkv starting at column d, with zeros at and after column hs.
fn load_vec4(row_offset: u32, d: u32, hs: u32) -> vec4<f32> {
  var value = vec4<f32>(0.0);
  for (var e = 0u; e < 4u; e++) {
    if (d + e < hs) {
      value[e] = qkv[row_offset + d + e];
    }
  }
  return value;
}

@compute @workgroup_size(QUERY_BLOCK)
fn main(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
  @builtin(local_invocation_index) thread: u32,
) {
  // The early return is uniform: the whole workgroup takes it or none does.
  let flat = group.x + group.y * groups.x;
  if (flat >= params.b * params.nh * params.query_blocks) {
    return;
  }
  let block = flat % params.query_blocks;
  let h = (flat / params.query_blocks) % params.nh;
  let b = flat / (params.query_blocks * params.nh);
  let hs = params.hs;
  let row_stride = 3u * params.c;
  let first_query = block * QUERY_BLOCK;
  let last_query = min(first_query + QUERY_BLOCK, params.t) - 1u;
  let t = min(first_query + thread, params.t - 1u);
  let batch_row = b * params.t;
  let k_base = batch_row * row_stride + params.c + h * hs;
  let v_base = batch_row * row_stride + 2u * params.c + h * hs;

  // 1. This invocation's query row, and an empty accumulator.
  var q: array<vec4<f32>, HEAD_VEC4S>;
  var acc: array<vec4<f32>, HEAD_VEC4S>;
  let q_offset = (batch_row + t) * row_stride + h * hs;
  for (var c4 = 0u; c4 < HEAD_VEC4S; c4++) {
    q[c4] = load_vec4(q_offset, 4u * c4, hs);
    acc[c4] = vec4<f32>(0.0);
  }

  var running_max = 0.0;
  var running_sum = 0.0;
  var scores: array<f32, TILE_KEYS>;
  for (var j0 = 0u; j0 <= last_query; j0 += TILE_KEYS) {
    // 2. Copy keys j0 .. j0 + TILE_KEYS - 1 (those before T) into the tiles.
    for (var i = thread; i < TILE_VEC4S; i += QUERY_BLOCK) {
      let j = j0 + i / HEAD_VEC4S;
      let d = 4u * (i % HEAD_VEC4S);
      var k = vec4<f32>(0.0);
      var v = vec4<f32>(0.0);
      if (j < params.t) {
        k = load_vec4(k_base + j * row_stride, d, hs);
        v = load_vec4(v_base + j * row_stride, d, hs);
      }
      k_tile[i] = k;
      v_tile[i] = v;
    }
    workgroupBarrier();

    // 3. Scores of the tile's keys at or before t, and their max. There are none when t < j0.
    var valid = 0u;
    if (t >= j0) {
      valid = min(TILE_KEYS, t + 1u - j0);
    }
    var tile_max = 0.0;
    for (var i = 0u; i < valid; i++) {
      var dot4 = vec4<f32>(0.0);
      for (var c4 = 0u; c4 < HEAD_VEC4S; c4++) {
        dot4 = fma(q[c4], k_tile[i * HEAD_VEC4S + c4], dot4);
      }
      let score = ((dot4.x + dot4.y) + (dot4.z + dot4.w)) * params.scale;
      scores[i] = score;
      if (i == 0u || score > tile_max) {
        tile_max = score;
      }
    }

    if (valid > 0u) {
      // 4. Rescale the running sum and row to the new max. The first tile holds key 0 for every
      // query, and has no previous max to correct.
      if (j0 == 0u) {
        running_max = tile_max;
      } else if (tile_max > running_max) {
        let correction = exp(running_max - tile_max);
        running_sum *= correction;
        for (var c4 = 0u; c4 < HEAD_VEC4S; c4++) {
          acc[c4] *= correction;
        }
        running_max = tile_max;
      }

      // 5. Add the tile's weighted values.
      for (var i = 0u; i < valid; i++) {
        let weight = exp(scores[i] - running_max);
        running_sum += weight;
        for (var c4 = 0u; c4 < HEAD_VEC4S; c4++) {
          acc[c4] = fma(vec4<f32>(weight), v_tile[i * HEAD_VEC4S + c4], acc[c4]);
        }
      }
    }
    // The next tile overwrites k_tile and v_tile.
    workgroupBarrier();
  }

  // 6. running_sum >= 1, because the key with the max score has weight exp(0).
  if (first_query + thread < params.t) {
    let out_offset = (batch_row + t) * params.c + h * hs;
    for (var d = 0u; d < hs; d++) {
      out[out_offset + d] = acc[d / 4u][d % 4u] / running_sum;
    }
  }
}
