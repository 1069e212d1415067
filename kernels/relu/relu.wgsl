// ReLU forward and backward, element-wise over n floats.
// relu(x) = 0 for x < 0 and x otherwise (written with select, not max, so that NaN is kept where
// the hardware follows IEEE 754). Backward: dx = dy where x > 0, else 0. x may be the forward
// output instead, because relu(x) > 0 exactly where x > 0.
// Entry points: main (x → out), main_in_place (data → data), main_backward (x, dy → dx),
// main_backward_in_place (x, data = dy → data = dx). The in-place forms exist because WebGPU rejects
// one buffer bound to a read-only and a writable binding in the same dispatch.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// Used by main_in_place, which binds nothing at 2.
@group(0) @binding(1) var<storage, read_write> data: array<f32>;
// Used by the backward entry points: main_backward binds x, dy and dx, and main_backward_in_place
// binds x and dy_dx.
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read_write> dy_dx: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

fn relu(value: f32) -> f32 {
  return select(value, 0.0, value < 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= params.n) {
    return;
  }
  out[i] = relu(x[i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_in_place(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= params.n) {
    return;
  }
  data[i] = relu(data[i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= params.n) {
    return;
  }
  dx[i] = select(0.0, dy[i], x[i] > 0.0);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_backward_in_place(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= params.n) {
    return;
  }
  dy_dx[i] = select(0.0, dy_dx[i], x[i] > 0.0);
}
