// GPT-2 input embedding, one thread per output element:
// out[b*T + t, c] = wte[tokens[b*T + t], c] + wpe[t, c]. A token id >= V reads as a zero row of wte
// (the output is wpe[t, c] alone), so no id can index past the end of wte.
// wte holds rows [row_start, row_start + rows) of the V×C table (all of it unless split): a thread
// whose token lies outside them writes nothing, except that the chunk ending at row V writes the
// rows of ids >= V.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  rows: u32, // B*T
  t: u32,
  c: u32,
  v: u32,
  row_start: u32, // first row of the table held by wte
  wte_rows: u32, // rows held by wte
}

@group(0) @binding(0) var<storage, read> tokens: array<u32>;
@group(0) @binding(1) var<storage, read> wte: array<f32>;
@group(0) @binding(2) var<storage, read> wpe: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.rows * params.c) {
    return;
  }
  let row = i / params.c;
  let channel = i % params.c;
  let position = row % params.t;
  let token = tokens[row];

  var token_value = 0.0;
  if (token < params.v) {
    // Unsigned wrap-around puts tokens below row_start far above wte_rows.
    let local_row = token - params.row_start;
    if (local_row >= params.wte_rows) {
      return;
    }
    token_value = wte[local_row * params.c + channel];
  } else if (params.row_start + params.wte_rows != params.v) {
    return;
  }
  out[i] = token_value + wpe[position * params.c + channel];
}
