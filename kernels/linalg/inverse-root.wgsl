// Control and elementwise kernels of the coupled Newton iteration for (A + ridge·I)^(−1/4); the
// products run in gemm.wgsl. The status block (STATUS_* words from status_base, see root-status.ts)
// carries every decision, so the iteration stops and keeps or discards iterates without readback.
// Entry points and their bindings (src, dst, src2, dst2 are n×n f32):
//   prepare  (1 workgroup)  src = A: checks A and λmax, computes z = (p + 1) / (2‖Ã‖∞), sets flags
//   fill     (grid)         src = A → dst = X₀ = z^(1/p)·I, dst2 = M₀ = z·Ã; ERROR = max|M₀ − I|
//   start    (1 thread)     ACTIVE = no flags, ERROR ≥ tolerance and max_iterations > 0
//   affine   (grid, ACTIVE) src = M → dst = T = ((p + 1)I − M) / p
//   measure_error (grid, ACTIVE) src = candidate M → CANDIDATE_ERROR = max|M − I|
//   decide   (1 thread)     accepts or discards the candidate, sets WRITE, ACTIVE, ITERATIONS
//   commit   (grid, WRITE)  src → dst, src2 → dst2 (the candidate X and M become current)
//   finish   (1 thread)     flags from NONFINITE_COUNT and ERROR; WRITE = root may be stored
//   store    (grid, WRITE)  src = X → dst = root
// max|·| maps NaN and ±Inf to +Inf bits, so u32 atomicMax orders it as a float and a non-finite
// error never passes the comparisons. Needs WORKGROUP_SIZE, ROOT_P and the STATUS_*, FLAG_* and
// KEPT_FLAGS constants of root-status.ts.

struct Params {
  n: u32,
  status_base: u32,
  epsilon: f32,
  tolerance: f32,
  max_iterations: u32,
  growth_limit: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> status: array<atomic<u32>>;
@group(0) @binding(2) var<storage, read> src: array<f32>;
@group(0) @binding(3) var<storage, read_write> dst: array<f32>;
@group(0) @binding(4) var<storage, read> src2: array<f32>;
@group(0) @binding(5) var<storage, read_write> dst2: array<f32>;

const INF_BITS = 0x7f800000u;

fn word(index: u32) -> u32 {
  return atomicLoad(&status[params.status_base + index]);
}

fn set_word(index: u32, value: u32) {
  atomicStore(&status[params.status_base + index], value);
}

fn is_finite(x: f32) -> bool {
  return (bitcast<u32>(x) & INF_BITS) != INF_BITS;
}

// |x| as bits, with NaN and ±Inf as +Inf, so that u32 order is float order.
fn abs_bits(x: f32) -> u32 {
  return select(INF_BITS, bitcast<u32>(abs(x)), is_finite(x));
}

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

var<workgroup> uniform_flag: u32;

// Status word read by thread 0 and shared uniformly, so it may guard barriers.
fn uniform_word(lane: u32, index: u32) -> u32 {
  if (lane == 0u) {
    uniform_flag = word(index);
  }
  return workgroupUniformLoad(&uniform_flag);
}

var<workgroup> partial_max: array<u32, WORKGROUP_SIZE>;
var<workgroup> partial_count: array<u32, WORKGROUP_SIZE>;

fn ridge() -> f32 {
  return params.epsilon * max(bitcast<f32>(word(STATUS_LAMBDA_MAX)), 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn prepare(@builtin(local_invocation_index) lane: u32) {
  let n = params.n;
  let lambda = bitcast<f32>(word(STATUS_LAMBDA_MAX));
  let shift = ridge();
  // Row sums of |Ã| (the ∞-norm bound on λmax(Ã)) and a count of non-finite entries of A.
  var norm_bits = 0u;
  var bad = 0u;
  for (var row = lane; row < n; row += WORKGROUP_SIZE) {
    var sum = 0.0;
    for (var j = 0u; j < n; j++) {
      let value = src[row * n + j];
      bad += u32(!is_finite(value));
      sum += abs(select(value, value + shift, j == row));
    }
    norm_bits = max(norm_bits, abs_bits(sum));
  }
  partial_max[lane] = norm_bits;
  partial_count[lane] = bad;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      partial_max[lane] = max(partial_max[lane], partial_max[lane + stride]);
      partial_count[lane] += partial_count[lane + stride];
    }
  }
  workgroupBarrier();
  if (lane != 0u) {
    return;
  }
  let norm = bitcast<f32>(partial_max[0]);
  var flags = 0u;
  if (partial_count[0] > 0u || !is_finite(lambda)) {
    flags = FLAG_NONFINITE_INPUT;
  } else if (!(norm > 0.0) || !is_finite(norm)) {
    flags = FLAG_INVALID_SCALE;
  }
  let scale = f32(ROOT_P + 1u) / (2.0 * norm);
  set_word(STATUS_FLAGS, flags);
  set_word(STATUS_SCALE, bitcast<u32>(select(0.0, scale, flags == 0u)));
  set_word(STATUS_ACTIVE, u32(flags == 0u));
  set_word(STATUS_ITERATIONS, 0u);
  set_word(STATUS_ERROR, 0u);
  set_word(STATUS_CANDIDATE_ERROR, 0u);
  set_word(STATUS_WRITE, 0u);
}

// Reduces each thread's max bits over the workgroup and folds them into status word `index`.
fn fold_max(lane: u32, value: u32, index: u32) {
  partial_max[lane] = value;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      partial_max[lane] = max(partial_max[lane], partial_max[lane + stride]);
    }
  }
  if (lane == 0u) {
    atomicMax(&status[params.status_base + index], partial_max[0]);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  if (uniform_word(lane, STATUS_ACTIVE) == 0u) {
    return;
  }
  let n = params.n;
  let scale = bitcast<f32>(word(STATUS_SCALE));
  let shift = ridge();
  let root_scale = pow(scale, 1.0 / f32(ROOT_P));
  let index = flat_index(id, groups);
  var error_bits = 0u;
  if (index < n * n) {
    let diagonal = index / n == index % n;
    let m = scale * select(src[index], src[index] + shift, diagonal);
    dst[index] = select(0.0, root_scale, diagonal);
    dst2[index] = m;
    error_bits = abs_bits(m - select(0.0, 1.0, diagonal));
  }
  fold_max(lane, error_bits, STATUS_ERROR);
}

@compute @workgroup_size(1)
fn start() {
  let error = bitcast<f32>(word(STATUS_ERROR));
  let go = word(STATUS_ACTIVE) != 0u && !(error < params.tolerance) && params.max_iterations > 0u;
  set_word(STATUS_ACTIVE, u32(go));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn affine(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = flat_index(id, groups);
  let n = params.n;
  if (word(STATUS_ACTIVE) == 0u || index >= n * n) {
    return;
  }
  let diagonal = index / n == index % n;
  dst[index] = (select(0.0, f32(ROOT_P + 1u), diagonal) - src[index]) / f32(ROOT_P);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn measure_error(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
         @builtin(local_invocation_index) lane: u32) {
  if (uniform_word(lane, STATUS_ACTIVE) == 0u) {
    return;
  }
  let n = params.n;
  let index = flat_index(id, groups);
  var error_bits = 0u;
  if (index < n * n) {
    let diagonal = index / n == index % n;
    error_bits = abs_bits(src[index] - select(0.0, 1.0, diagonal));
  }
  fold_max(lane, error_bits, STATUS_CANDIDATE_ERROR);
}

@compute @workgroup_size(1)
fn decide() {
  if (word(STATUS_ACTIVE) == 0u) {
    set_word(STATUS_WRITE, 0u);
    return;
  }
  let candidate = bitcast<f32>(word(STATUS_CANDIDATE_ERROR));
  let current = bitcast<f32>(word(STATUS_ERROR));
  set_word(STATUS_CANDIDATE_ERROR, 0u);
  // A NaN or +Inf candidate fails this comparison too.
  if (candidate < params.growth_limit * current) {
    let iterations = word(STATUS_ITERATIONS) + 1u;
    set_word(STATUS_ERROR, bitcast<u32>(candidate));
    set_word(STATUS_ITERATIONS, iterations);
    set_word(STATUS_WRITE, 1u);
    set_word(STATUS_ACTIVE, u32(!(candidate < params.tolerance) && iterations < params.max_iterations));
  } else {
    set_word(STATUS_WRITE, 0u);
    set_word(STATUS_ACTIVE, 0u);
    set_word(STATUS_FLAGS, word(STATUS_FLAGS) | FLAG_ERROR_GREW);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn commit(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = flat_index(id, groups);
  if (word(STATUS_WRITE) == 0u || index >= params.n * params.n) {
    return;
  }
  dst[index] = src[index];
  dst2[index] = src2[index];
}

@compute @workgroup_size(1)
fn finish() {
  var flags = word(STATUS_FLAGS);
  if ((flags & (FLAG_NONFINITE_INPUT | FLAG_INVALID_SCALE)) == 0u) {
    if (word(STATUS_NONFINITE_COUNT) > 0u) {
      flags |= FLAG_NONFINITE_RESULT;
    }
    if (!(bitcast<f32>(word(STATUS_ERROR)) < params.tolerance)) {
      flags |= FLAG_NOT_CONVERGED;
    }
  }
  let kept = (flags & KEPT_FLAGS) != 0u;
  set_word(STATUS_FLAGS, flags);
  set_word(STATUS_ACTIVE, 0u);
  set_word(STATUS_WRITE, u32(!kept));
  if (kept) {
    set_word(STATUS_KEPT_COUNT, word(STATUS_KEPT_COUNT) + 1u);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn store(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = flat_index(id, groups);
  if (word(STATUS_WRITE) == 0u || index >= params.n * params.n) {
    return;
  }
  dst[index] = src[index];
}
