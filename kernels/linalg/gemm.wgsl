// Strided GEMM: out[i, j] = alpha · Σₖ A(i, k) · w[k] · B(k, j) + beta · C[i, j], f32, with
//   A(i, k) = a[a_offset + i·a_row + k·a_col]   (M×K)
//   B(k, j) = b[b_offset + k·b_row + j·b_col]   (K×N)
// so one pipeline serves NN, NT, TN and TT products and sub-blocks of larger matrices. Element
// (i, j) of out (M×N) is out[out_offset + i·out_row + j], and the addend is indexed the same way. The weights w (WEIGHTED), the addend C (a separate buffer, or out itself for an
// in-place update) and the status gate come from snippets the host puts in front of this file:
//   fn weight(k: u32) -> f32, fn accumulate(a: f32, b: f32, w: f32, acc: f32) -> f32,
//   fn addend(index: u32) -> f32, fn gate_open(thread: u32) -> bool.
// The weighted product rounds a·b before the weight, so A = Bᵀ gives an exactly symmetric out.
// SYMMETRIC (B = Aᵀ, M = N): workgroups below the diagonal exit at once, and the others also write
// each entry at its mirrored position (i, j) → (j, i), with the addend read there.
//
// Tiling as in kernels/matmul: a WORKGROUP_X × WORKGROUP_Y workgroup computes a TILE_M × TILE_N
// block of out, each thread ROWS_PER_THREAD × COLS_PER_THREAD of it, walking K by TILE_K through
// workgroup memory. Tile loads put consecutive threads on the operand's unit stride when it has one.
// Injected by the host: WORKGROUP_X, WORKGROUP_Y, ROWS_PER_THREAD, COLS_PER_THREAD, TILE_M, TILE_N,
// TILE_K, WORKGROUP_INVOCATIONS.

struct Params {
  m: u32,
  k: u32,
  n: u32,
  a_offset: u32,
  a_row: u32,
  a_col: u32,
  b_offset: u32,
  b_row: u32,
  b_col: u32,
  alpha: f32,
  beta: f32,
  gate_word: u32,
  gate_mode: u32,
  out_offset: u32,
  out_row: u32,
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

var<workgroup> a_tile: array<f32, TILE_M * TILE_K>; // [row][k]
var<workgroup> b_tile: array<f32, TILE_K * TILE_N>; // [k][col]
var<workgroup> w_tile: array<f32, TILE_K>;

alias Accumulator = array<array<f32, COLS_PER_THREAD>, ROWS_PER_THREAD>;

fn load_a_tile(row0: u32, k0: u32, thread: u32) {
  // k is the fast index when A's k stride is 1 (A row-major), else the row is.
  let k_fast = params.a_col == 1u;
  for (var e = thread; e < TILE_M * TILE_K; e += WORKGROUP_INVOCATIONS) {
    let r = select(e % TILE_M, e / TILE_K, k_fast);
    let kk = select(e / TILE_M, e % TILE_K, k_fast);
    let row = row0 + r;
    let k = k0 + kk;
    var value = 0.0;
    if (row < params.m && k < params.k) {
      value = a[params.a_offset + row * params.a_row + k * params.a_col];
    }
    a_tile[r * TILE_K + kk] = value;
  }
}

fn load_b_tile(col0: u32, k0: u32, thread: u32) {
  // The column is the fast index when B's column stride is 1 (B row-major), else k is.
  let col_fast = params.b_col == 1u;
  for (var e = thread; e < TILE_K * TILE_N; e += WORKGROUP_INVOCATIONS) {
    let kk = select(e % TILE_K, e / TILE_N, col_fast);
    let c = select(e / TILE_K, e % TILE_N, col_fast);
    let k = k0 + kk;
    let col = col0 + c;
    var value = 0.0;
    if (k < params.k && col < params.n) {
      value = b[params.b_offset + k * params.b_row + col * params.b_col];
    }
    b_tile[kk * TILE_N + c] = value;
  }
}

fn load_w_tile(k0: u32, thread: u32) {
  if (thread < TILE_K) {
    let k = k0 + thread;
    w_tile[thread] = select(0.0, weight(k), k < params.k);
  }
}

@compute @workgroup_size(WORKGROUP_X, WORKGROUP_Y)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_id) local: vec3<u32>) {
  let thread = local.y * WORKGROUP_X + local.x;
  if (!gate_open(thread)) {
    return;
  }
  if (SYMMETRIC && group.y > group.x) {
    return;
  }
  let mirrored = SYMMETRIC && group.y < group.x;
  let row0 = group.y * TILE_M;
  let col0 = group.x * TILE_N;
  var acc: Accumulator;
  var a_values: array<f32, ROWS_PER_THREAD>;
  var b_values: array<f32, COLS_PER_THREAD>;

  for (var k0 = 0u; k0 < params.k; k0 += TILE_K) {
    load_a_tile(row0, k0, thread);
    load_b_tile(col0, k0, thread);
    load_w_tile(k0, thread);
    workgroupBarrier();

    for (var kk = 0u; kk < TILE_K; kk++) {
      let w = w_tile[kk];
      for (var i = 0u; i < ROWS_PER_THREAD; i++) {
        a_values[i] = a_tile[(local.y + i * WORKGROUP_Y) * TILE_K + kk];
      }
      for (var j = 0u; j < COLS_PER_THREAD; j++) {
        b_values[j] = b_tile[kk * TILE_N + local.x + j * WORKGROUP_X];
      }
      for (var i = 0u; i < ROWS_PER_THREAD; i++) {
        for (var j = 0u; j < COLS_PER_THREAD; j++) {
          acc[i][j] = accumulate(a_values[i], b_values[j], w, acc[i][j]);
        }
      }
    }
    // The next iteration overwrites the tiles, so every thread must be done reading them.
    workgroupBarrier();
  }

  for (var i = 0u; i < ROWS_PER_THREAD; i++) {
    let row = row0 + local.y + i * WORKGROUP_Y;
    for (var j = 0u; j < COLS_PER_THREAD; j++) {
      let col = col0 + local.x + j * WORKGROUP_X;
      if (row < params.m && col < params.n) {
        let index = params.out_offset + row * params.out_row + col;
        out[index] = fma(params.alpha, acc[i][j], addend(index));
        if (mirrored) {
          let mirror = params.out_offset + col * params.out_row + row;
          out[mirror] = fma(params.alpha, acc[i][j], addend(mirror));
        }
      }
    }
  }
}
