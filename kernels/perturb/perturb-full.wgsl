// Full-rank perturbation over N elements:
//   dst[i] = (apply_decay ? keep · src[i] : src[i]) + c · gaussian(seed, stream, index_offset + i)
// Needs WORKGROUP_SIZE, rngWgsl() (table at binding 0), StepParams and a tensor-binding variant.

struct PerturbFullParams {
  n: u32,
  stream: u32,
  apply_decay: u32,
  index_offset: u32,
}

@group(0) @binding(1) var<uniform> params: PerturbFullParams;
@group(0) @binding(2) var<uniform> step_params: StepParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  var base = load_src(i);
  if (params.apply_decay != 0u) {
    base = step_params.keep * base;
  }
  let z = gaussian(step_params.seed, params.stream, params.index_offset + i);
  store_dst(i, base + step_params.c * z);
}
