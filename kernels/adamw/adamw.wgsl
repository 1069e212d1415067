// AdamW, one step over N elements (t = the step, counted from 1):
//   p = p · (1 − η·wd) (when apply_decay)
//   m = β1·m + (1 − β1)·d,  v = β2·v + (1 − β2)·d²
//   p = p − η · m̂ / (√v̂ + eps),  m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)
// The host computes the bias corrections 1 − β^t from t in f64. WGSL computes pow(β, t) as
// exp2(t·log2(β)) and allows log2 an absolute error of 2^-21 on [0.5, 2] (the accuracy rules as the
// WebGPU conformance tests encode them), which makes 1 − β2^1 = 1e-3 wrong by up to 3e-4 relative.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  n: u32,
  apply_decay: u32,
}

// Rewritten by the host every step; one buffer is shared by every tensor of the optimizer.
struct AdamwHyperparameters {
  learning_rate: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  step: u32,
  // 1 − β1^step and 1 − β2^step.
  bias_correction1: f32,
  bias_correction2: f32,
}

@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> d: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
@group(0) @binding(5) var<uniform> hyper: AdamwHyperparameters;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = id.x + id.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) {
    return;
  }
  var weight = p[i];
  if (params.apply_decay != 0u) {
    weight *= 1.0 - hyper.learning_rate * hyper.weight_decay;
  }
  let g = d[i];
  let first = hyper.beta1 * m[i] + (1.0 - hyper.beta1) * g;
  let second = hyper.beta2 * v[i] + (1.0 - hyper.beta2) * g * g;
  m[i] = first;
  v[i] = second;
  let first_hat = first / hyper.bias_correction1;
  let second_hat = second / hyper.bias_correction2;
  p[i] = weight - hyper.learning_rate * first_hat / (sqrt(second_hat) + hyper.eps);
}
