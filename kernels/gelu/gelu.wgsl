// GELU, tanh form, element-wise over n floats: gelu(x) = 0.5·x·(1 + tanh(u)), u = GELU_SCALE·(x + GELU_CUBIC·x³).
// It is evaluated as x·sigmoid(2u) = x / (1 + exp(-2u)), which equals the tanh form exactly and
// has no cancellation for negative x. x is clamped to ±GELU_SATURATION before u is formed, so x³
// and exp never overflow (WGSL leaves overflow results undefined): beyond it gelu(x) is x for
// positive x (sigmoid rounds to 1) and is returned as 0 for negative x (|gelu| < 1e-36 there).
// Entry points: main reads x and writes out; main_in_place updates one read_write buffer, because
// WebGPU rejects one buffer bound to two writable or mixed bindings in the same dispatch.
// Injected by the host: WORKGROUP_SIZE, GELU_SCALE, GELU_CUBIC, GELU_SATURATION.

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// Used only by main_in_place, which binds nothing at 2.
@group(0) @binding(1) var<storage, read_write> data: array<f32>;

fn gelu(value: f32) -> f32 {
  if (value < -GELU_SATURATION) {
    return 0.0;
  }
  let clamped = min(value, GELU_SATURATION);
  let u = GELU_SCALE * (clamped + GELU_CUBIC * clamped * clamped * clamped);
  return value / (1.0 + exp(-2.0 * u));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  out[i] = gelu(x[i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_in_place(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  data[i] = gelu(data[i]);
}
