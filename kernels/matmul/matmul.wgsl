// Tiled matmul: out[M,N] = a[M,K] · b (+ bias[N]), row-major f32, M, K, N in the uniform block.
// The *_nn entry points read b as K×N (GPT-2 Conv1D layout); the *_nt entry points read b as N×K
// (a Linear weight, or the tied wte of the LM head) and use it transposed. The *_tn entry points
// read a as K×M and use it transposed, with b K×N (weight gradients dW = dYᵀ·X).
// A product can sit inside larger matrices (one chunk of a weight split by rows): the *_nn and *_nt
// entry points read a's columns [a_offset, a_offset + K) of rows a_stride long, every entry point
// writes out's columns [out_offset, out_offset + N) of rows out_stride long, and with accumulate
// each sum starts from the value already in out, continuing the same fma chain.
//
// A workgroup of WORKGROUP_X × WORKGROUP_Y threads computes one TILE_M × TILE_N block of out.
// Thread (x, y) owns rows y + i·WORKGROUP_Y and columns x + j·WORKGROUP_X of that block, so
// neighbouring threads write neighbouring columns. The inner dimension is walked TILE_K at a time
// through workgroup memory; loads past the matrix edges read zeros, stores past them are skipped.
// Injected by the host: WORKGROUP_X, WORKGROUP_Y, ROWS_PER_THREAD, COLS_PER_THREAD, TILE_M, TILE_N,
// TILE_K, WORKGROUP_INVOCATIONS.

struct Params {
  m: u32,
  k: u32,
  n: u32,
  a_stride: u32, // row length of a (non-transposed), K unless a is wider
  a_offset: u32, // column of a where this product's k = 0 lies
  out_stride: u32, // row length of out, N unless out is wider
  out_offset: u32, // column of out where this product's column 0 lies
  accumulate: u32, // 1: start each sum from out
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
// Bound only by the *_bias entry points; the others never reference it, so their layout omits it.
@group(0) @binding(4) var<storage, read> bias: array<f32>;

var<workgroup> a_tile: array<f32, TILE_M * TILE_K>; // [row][k]
var<workgroup> b_tile: array<f32, TILE_K * TILE_N>; // [k][col]

alias Accumulator = array<array<f32, COLS_PER_THREAD>, ROWS_PER_THREAD>;
alias BiasColumns = array<f32, COLS_PER_THREAD>;

fn load_a_tile(row0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_M * TILE_K; e += WORKGROUP_INVOCATIONS) {
    let r = e / TILE_K;
    let kk = e % TILE_K;
    let row = row0 + r;
    let k = k0 + kk;
    var value = 0.0;
    if (row < params.m && k < params.k) {
      value = a[row * params.a_stride + params.a_offset + k];
    }
    a_tile[r * TILE_K + kk] = value;
  }
}

// a is K×M: consecutive threads read consecutive rows of out, which are adjacent in a.
fn load_a_tile_tn(row0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_M * TILE_K; e += WORKGROUP_INVOCATIONS) {
    let kk = e / TILE_M;
    let r = e % TILE_M;
    let row = row0 + r;
    let k = k0 + kk;
    var value = 0.0;
    if (row < params.m && k < params.k) {
      value = a[k * params.m + row];
    }
    a_tile[r * TILE_K + kk] = value;
  }
}

// b is K×N: consecutive threads read consecutive columns of one row.
fn load_b_tile_nn(col0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_K * TILE_N; e += WORKGROUP_INVOCATIONS) {
    let kk = e / TILE_N;
    let c = e % TILE_N;
    let k = k0 + kk;
    let col = col0 + c;
    var value = 0.0;
    if (k < params.k && col < params.n) {
      value = b[k * params.n + col];
    }
    b_tile[kk * TILE_N + c] = value;
  }
}

// b is N×K: consecutive threads read consecutive k of one row of b, stored transposed in the tile.
fn load_b_tile_nt(col0: u32, k0: u32, thread: u32) {
  for (var e = thread; e < TILE_K * TILE_N; e += WORKGROUP_INVOCATIONS) {
    let c = e / TILE_K;
    let kk = e % TILE_K;
    let k = k0 + kk;
    let col = col0 + c;
    var value = 0.0;
    if (k < params.k && col < params.n) {
      value = b[col * params.k + k];
    }
    b_tile[kk * TILE_N + c] = value;
  }
}

// Accumulates this thread's ROWS_PER_THREAD × COLS_PER_THREAD outputs over the whole K.
// transpose_a and transpose_b are the same for every thread of a dispatch, so the branches are uniform.
fn tile_product(group: vec2<u32>, local: vec2<u32>, transpose_a: bool, transpose_b: bool) -> Accumulator {
  let row0 = group.y * TILE_M;
  let col0 = group.x * TILE_N;
  let thread = local.y * WORKGROUP_X + local.x;
  var acc: Accumulator;
  if (params.accumulate != 0u) {
    for (var i = 0u; i < ROWS_PER_THREAD; i++) {
      let row = row0 + local.y + i * WORKGROUP_Y;
      for (var j = 0u; j < COLS_PER_THREAD; j++) {
        let col = col0 + local.x + j * WORKGROUP_X;
        if (row < params.m && col < params.n) {
          acc[i][j] = out[row * params.out_stride + params.out_offset + col];
        }
      }
    }
  }
  var a_values: array<f32, ROWS_PER_THREAD>;
  var b_values: array<f32, COLS_PER_THREAD>;

  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    if (transpose_a) {
      load_a_tile_tn(row0, k0, thread);
    } else {
      load_a_tile(row0, k0, thread);
    }
    if (transpose_b) {
      load_b_tile_nt(col0, k0, thread);
    } else {
      load_b_tile_nn(col0, k0, thread);
    }
    workgroupBarrier();

    for (var kk = 0u; kk < TILE_K; kk++) {
      for (var i = 0u; i < ROWS_PER_THREAD; i++) {
        a_values[i] = a_tile[(local.y + i * WORKGROUP_Y) * TILE_K + kk];
      }
      for (var j = 0u; j < COLS_PER_THREAD; j++) {
        b_values[j] = b_tile[kk * TILE_N + local.x + j * WORKGROUP_X];
      }
      for (var i = 0u; i < ROWS_PER_THREAD; i++) {
        for (var j = 0u; j < COLS_PER_THREAD; j++) {
          acc[i][j] = fma(a_values[i], b_values[j], acc[i][j]);
        }
      }
    }
    // The next iteration overwrites the tiles, so every thread must be done reading them.
    workgroupBarrier();
  }
  return acc;
}

fn bias_columns(group: vec2<u32>, local: vec2<u32>) -> BiasColumns {
  var values: BiasColumns;
  for (var j = 0u; j < COLS_PER_THREAD; j++) {
    let col = group.x * TILE_N + local.x + j * WORKGROUP_X;
    if (col < params.n) {
      values[j] = bias[col];
    }
  }
  return values;
}

fn store_tile(group: vec2<u32>, local: vec2<u32>, acc: Accumulator, bias_values: BiasColumns) {
  for (var i = 0u; i < ROWS_PER_THREAD; i++) {
    let row = group.y * TILE_M + local.y + i * WORKGROUP_Y;
    for (var j = 0u; j < COLS_PER_THREAD; j++) {
      let col = group.x * TILE_N + local.x + j * WORKGROUP_X;
      if (row < params.m && col < params.n) {
        out[row * params.out_stride + params.out_offset + col] = acc[i][j] + bias_values[j];
      }
    }
  }
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main_nn(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let acc = tile_product(group.xy, local.xy, false, false);
  store_tile(group.xy, local.xy, acc, BiasColumns());
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main_nn_bias(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let acc = tile_product(group.xy, local.xy, false, false);
  store_tile(group.xy, local.xy, acc, bias_columns(group.xy, local.xy));
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main_nt(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let acc = tile_product(group.xy, local.xy, false, true);
  store_tile(group.xy, local.xy, acc, BiasColumns());
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main_nt_bias(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let acc = tile_product(group.xy, local.xy, false, true);
  store_tile(group.xy, local.xy, acc, bias_columns(group.xy, local.xy));
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main_tn(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let acc = tile_product(group.xy, local.xy, true, false);
  store_tile(group.xy, local.xy, acc, BiasColumns());
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main_tn_bias(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let acc = tile_product(group.xy, local.xy, true, false);
  store_tile(group.xy, local.xy, acc, bias_columns(group.xy, local.xy));
}
