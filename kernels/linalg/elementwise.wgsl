// Elementwise helpers of the linalg ops. Needs WORKGROUP_SIZE.
//   scaled_identity: out[0 .. n²) = value·I (n×n row-major)
//   copy:            out[0 .. count) = src[0 .. count)

struct Params {
  n: u32,
  count: u32,
  value: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> src: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scaled_identity(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = flat_index(id, groups);
  let n = params.n;
  if (index < n * n) {
    out[index] = select(0.0, params.value, index / n == index % n);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn copy(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let index = flat_index(id, groups);
  if (index < params.count) {
    out[index] = src[index];
  }
}
