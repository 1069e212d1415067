// SGD with momentum, one step over N elements:
//   d' = d + wd·p (when apply_decay), m = μ·m + d', p = p − η·m
// d is the gradient or a preconditioned direction; p and m are updated in place.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  n: u32,
  apply_decay: u32,
}

// Rewritten by the host between steps; one buffer is shared by every tensor of the optimizer.
struct SgdHyperparameters {
  learning_rate: f32,
  momentum: f32,
  weight_decay: f32,
}

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@group(0) @binding(4) var<uniform> hyper: SgdHyperparameters;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  let weight = p[i];
  var direction = d[i];
  if (params.apply_decay != 0u) {
    direction += hyper.weight_decay * weight;
  }
  let velocity = hyper.momentum * m[i] + direction;
  m[i] = velocity;
  p[i] = weight - hyper.learning_rate * velocity;
}
