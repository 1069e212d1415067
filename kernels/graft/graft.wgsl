// Norm grafting in place: direction[offset + i] *= ‖G‖_F / (‖Ĝ‖_F + GRAFT_EPSILON) for i < N,
// where ‖G‖² = results[gradient_index] and ‖Ĝ‖² = results[direction_index] are sums of squares
// written earlier on the GPU. Every thread computes the same scale from the same two words, so
// all elements use identical bits. A zero direction stays zero (0 · finite scale).
// Injected by the host: WORKGROUP_SIZE, GRAFT_EPSILON.

struct Params {
  n: u32,
  offset: u32,
  gradient_index: u32,
  direction_index: u32,
}

@group(0) @binding(0) var<storage, read_write> direction: array<f32>;
@group(0) @binding(1) var<storage, read> results: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  let scale = sqrt(results[params.gradient_index]) / (sqrt(results[params.direction_index]) + GRAFT_EPSILON);
  let j = params.offset + i;
  direction[j] = direction[j] * scale;
}
