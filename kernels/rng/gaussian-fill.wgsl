// Gaussian fill: out[i] = gaussian(step_params.seed, params.stream, params.index_offset + i) for i < n.
// Needs rngWgsl(), the StepParams struct and WORKGROUP_SIZE ahead of it.

struct FillParams {
  n: u32,
  stream: u32,
  index_offset: u32,
}

@group(0) @binding(1) var<uniform> params: FillParams;
@group(0) @binding(2) var<uniform> step_params: StepParams;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  out[i] = gaussian(step_params.seed, params.stream, params.index_offset + i);
}
