// Copies count 32-bit words from src to dst when status[gate_word] is non-zero, bit for bit (f32
// values and packed 4-bit codes alike), and leaves dst untouched otherwise.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  count: u32,
  gate_word: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> status: array<u32>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.count || status[params.gate_word] == 0u) {
    return;
  }
  dst[i] = src[i];
}
