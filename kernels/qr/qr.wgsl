// Thin QR by modified Gram–Schmidt in one workgroup: replaces the M×R row-major matrix `a` by Q.
// Right-looking MGS: at step k, column k is final up to its norm, and every later column j is
//   a_j −= (a_k · a_j / ‖a_k‖²) a_k.
// The columns are normalised at the end of each pass, which makes diag(R) positive. QR_PASSES = 2
// runs MGS again on the result (re-orthogonalisation), since f32 MGS loses orthogonality ∝ cond(A).
//
// Invocation layout: lane → column = lane % R, slot = lane / R, with SLOTS = WORKGROUP_SIZE / R
// slots. A slot owns rows slot, slot + SLOTS, …, so the lanes of one row read consecutive addresses.
// Needs WORKGROUP_SIZE, QR_MAX_RANK and QR_PASSES.

struct QrParams {
  m: u32,
  r: u32,
}

@group(0) @binding(0) var<storage, read_write> a: array<f32>;
@group(0) @binding(1) var<uniform> params: QrParams;

// Per-lane partial dot products of step k.
var<workgroup> partial: array<f32, WORKGROUP_SIZE>;
// ‖a_k‖² after orthogonalisation, kept for the final normalisation.
var<workgroup> squared_norm: array<f32, QR_MAX_RANK>;

// Rows are summed in blocks of this many, and the block sums added, to shorten the f32 rounding chain.
const QR_BLOCK = 64u;

// Sum over this lane's rows of a[i, k] · a[i, column].
fn partial_dot(k: u32, column: u32, slot: u32, slots: u32) -> f32 {
  let m = params.m;
  let r = params.r;
  var total = 0.0;
  for (var start = slot; start < m; start += slots * QR_BLOCK) {
    let end = min(m, start + slots * QR_BLOCK);
    var block = 0.0;
    for (var i = start; i < end; i += slots) {
      block += a[i * r + k] * a[i * r + column];
    }
    total += block;
  }
  return total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(local_invocation_index) lane: u32) {
  let m = params.m;
  let r = params.r;
  if (r == 0u || r > QR_MAX_RANK || m < r) {
    return;
  }
  let slots = WORKGROUP_SIZE / r;
  let column = lane % r;
  let slot = lane / r;
  let has_slot = slot < slots;

  for (var sweep = 0u; sweep < QR_PASSES; sweep++) {
    for (var k = 0u; k < r; k++) {
      // 1. Partial dots a_k · a_column for columns ≥ k (column k gives ‖a_k‖²).
      var dot = 0.0;
      if (has_slot && column >= k) {
        dot = partial_dot(k, column, slot, slots);
      }
      partial[lane] = dot;
      workgroupBarrier();

      // 2. Every lane of a column adds up the slots in the same order, so all lanes agree.
      var norm_squared = 0.0;
      var projection = 0.0;
      if (has_slot && column >= k) {
        for (var s = 0u; s < slots; s++) {
          norm_squared += partial[s * r + k];
          projection += partial[s * r + column];
        }
      }
      if (has_slot && column == k && slot == 0u) {
        squared_norm[k] = norm_squared;
      }

      // 3. Remove the a_k component from every later column. A zero column is left as it is.
      if (has_slot && column > k && norm_squared > 0.0) {
        let coefficient = projection / norm_squared;
        for (var i = slot; i < m; i += slots) {
          a[i * r + column] -= coefficient * a[i * r + k];
        }
      }
      storageBarrier();
      workgroupBarrier();
    }

    // 4. Normalise every column. NOTE: a column that became zero (rank-deficient input) stays zero,
    // so Q then has fewer than R orthonormal columns.
    if (has_slot) {
      let norm_squared = squared_norm[column];
      let inverse_norm = select(0.0, 1.0 / sqrt(norm_squared), norm_squared > 0.0);
      for (var i = slot; i < m; i += slots) {
        a[i * r + column] *= inverse_norm;
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
}
