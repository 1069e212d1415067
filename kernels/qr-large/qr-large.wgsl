// Blocked modified Gram–Schmidt QR of k vectors of length m, in place (see qr-large.ts).
// Element i of vector j sits at a[j·vec_stride + i·elem_stride]: vec_stride = 1, elem_stride = k
// for the columns of an m×k row-major matrix; vec_stride = m, elem_stride = 1 for the rows of a
// k×m one. One pass is `column_norms`, then per panel of PANEL vectors `panel` (one workgroup
// orthonormalises the panel) and `copy_panel`, after which two host GEMMs project the panel out
// of the later vectors.
// Needs WORKGROUP_SIZE, NORM_WORKGROUP_SIZE, PANEL, SLOTS =
// WORKGROUP_SIZE / PANEL, RELATIVE_FLOOR_SQUARED, ABSOLUTE_FLOOR, FALLBACK_SEED, and hash32 and
// hash_to_unit in front.

struct Params {
  m: u32,
  k: u32,
  vec_stride: u32,
  elem_stride: u32,
  // First vector of the panel, and its width (≤ PANEL).
  panel_start: u32,
  panel_width: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> a: array<f32>;
@group(0) @binding(2) var<storage, read_write> norms: array<f32>;
@group(0) @binding(3) var<storage, read_write> coefficients: array<f32>;

fn at(i: u32, j: u32) -> u32 {
  return j * params.vec_stride + i * params.elem_stride;
}

// ---- column_norms: norms[j] = ‖vector j‖², one workgroup per vector.

var<workgroup> norm_partial: array<f32, NORM_WORKGROUP_SIZE>;

@compute @workgroup_size(NORM_WORKGROUP_SIZE)
fn column_norms(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let j = group.x;
  var sum = 0.0;
  for (var i = lane; i < params.m; i += NORM_WORKGROUP_SIZE) {
    let value = a[at(i, j)];
    sum = fma(value, value, sum);
  }
  norm_partial[lane] = sum;
  for (var stride = NORM_WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      norm_partial[lane] += norm_partial[lane + stride];
    }
  }
  if (lane == 0u) {
    norms[j] = norm_partial[0];
  }
}

// ---- panel: orthonormalise vectors panel_start .. panel_start + panel_width − 1 in order.

var<workgroup> reduce_buffer: array<f32, WORKGROUP_SIZE>;
var<workgroup> reduce_result: f32;
var<workgroup> panel_partial: array<f32, WORKGROUP_SIZE>;
// Squared-norm parts of the next panel vector, written while projecting it, and their sum.
var<workgroup> next_norm_partial: array<f32, SLOTS>;
var<workgroup> next_norm: f32;

// Sum of one value per lane, returned uniformly. Call from uniform control flow.
fn reduce_sum(lane: u32, value: f32) -> f32 {
  reduce_buffer[lane] = value;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      reduce_buffer[lane] += reduce_buffer[lane + stride];
    }
  }
  workgroupBarrier();
  if (lane == 0u) {
    reduce_result = reduce_buffer[0];
  }
  return workgroupUniformLoad(&reduce_result);
}

fn squared_norm(lane: u32, j: u32) -> f32 {
  var sum = 0.0;
  for (var i = lane; i < params.m; i += WORKGROUP_SIZE) {
    let value = a[at(i, j)];
    sum = fma(value, value, sum);
  }
  return reduce_sum(lane, sum);
}

fn is_dependent(squared: f32, original: f32) -> bool {
  return !(squared > RELATIVE_FLOOR_SQUARED * original) || !(squared > ABSOLUTE_FLOOR);
}

// norms[j] (the squared norm at the start of the pass), returned uniformly.
fn original_norm(lane: u32, j: u32) -> f32 {
  if (lane == 0u) {
    reduce_result = norms[j];
  }
  return workgroupUniformLoad(&reduce_result);
}

// Replaces vector j by the fixed hashed vector, orthogonalised twice (classical Gram–Schmidt)
// against vectors 0 .. j − 1, which are orthonormal by now. Rare: only dependent inputs get here.
fn replace_dependent(lane: u32, j: u32) {
  let column_seed = hash32(j + FALLBACK_SEED);
  for (var i = lane; i < params.m; i += WORKGROUP_SIZE) {
    a[at(i, j)] = hash_to_unit(hash32(column_seed + i));
  }
  storageBarrier();
  for (var round = 0u; round < 2u; round++) {
    for (var q = lane; q < j; q += WORKGROUP_SIZE) {
      var sum = 0.0;
      for (var i = 0u; i < params.m; i++) {
        sum = fma(a[at(i, q)], a[at(i, j)], sum);
      }
      coefficients[q] = sum;
    }
    storageBarrier();
    for (var i = lane; i < params.m; i += WORKGROUP_SIZE) {
      var sum = 0.0;
      for (var q = 0u; q < j; q++) {
        sum = fma(coefficients[q], a[at(i, q)], sum);
      }
      a[at(i, j)] -= sum;
    }
    storageBarrier();
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn panel(@builtin(local_invocation_index) lane: u32) {
  let m = params.m;
  // Lane → (panel vector c, row slot). Consecutive lanes take consecutive addresses: rows of one
  // vector when elements are contiguous, else the same row of consecutive vectors.
  let rows_contiguous = params.elem_stride == 1u;
  let c = select(lane % PANEL, lane / SLOTS, rows_contiguous);
  let slot = select(lane / PANEL, lane % SLOTS, rows_contiguous);
  let my_vector = params.panel_start + c;

  for (var t = 0u; t < params.panel_width; t++) {
    let j = params.panel_start + t;
    let original = original_norm(lane, j);
    // The first vector's squared norm is summed here; later ones come from the previous
    // projection step, which wrote the vector's final values.
    var squared = 0.0;
    if (t == 0u) {
      squared = squared_norm(lane, j);
    } else {
      if (lane == 0u) {
        var sum = 0.0;
        for (var s = 0u; s < SLOTS; s++) {
          sum += next_norm_partial[s];
        }
        next_norm = sum;
      }
      squared = workgroupUniformLoad(&next_norm);
    }
    if (is_dependent(squared, original)) {
      replace_dependent(lane, j);
      squared = squared_norm(lane, j);
    }
    // A vector that is still zero stays zero rather than becoming NaN.
    let inverse = select(0.0, inverseSqrt(squared), squared > ABSOLUTE_FLOOR);
    for (var i = lane; i < m; i += WORKGROUP_SIZE) {
      a[at(i, j)] *= inverse;
    }
    storageBarrier();

    // Project q_j out of the later vectors of the panel.
    let is_later = c > t && c < params.panel_width;
    var dot = 0.0;
    if (is_later) {
      for (var i = slot; i < m; i += SLOTS) {
        dot = fma(a[at(i, j)], a[at(i, my_vector)], dot);
      }
    }
    panel_partial[c * SLOTS + slot] = dot;
    workgroupBarrier();
    if (is_later) {
      var coefficient = 0.0;
      for (var s = 0u; s < SLOTS; s++) {
        coefficient += panel_partial[c * SLOTS + s];
      }
      var norm_part = 0.0;
      for (var i = slot; i < m; i += SLOTS) {
        let value = a[at(i, my_vector)] - coefficient * a[at(i, j)];
        a[at(i, my_vector)] = value;
        norm_part = fma(value, value, norm_part);
      }
      if (c == t + 1u) {
        next_norm_partial[slot] = norm_part;
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}

// ---- copy_panel: panel_copy[p·m + i] = element i of vector panel_start + p, for p < panel_width.
// The host then projects the panel out of the later vectors with two GEMMs (kernels/linalg/gemm),
// which cannot read the panel from `a` while they write `a`.

@group(0) @binding(4) var<storage, read_write> panel_copy: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy_panel(@builtin(global_invocation_id) id: vec3<u32>) {
  let e = id.x;
  if (e >= params.panel_width * params.m) {
    return;
  }
  let p = e / params.m;
  let i = e % params.m;
  panel_copy[e] = a[at(i, params.panel_start + p)];
}
