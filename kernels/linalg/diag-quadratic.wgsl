// s[v] = Σₜ P(v, t) · W(v, t): the dot product of vector v of P with vector v of W = A·P (or
// Pᵀ·A), where element t of vector v sits at v·vector_stride + t·element_stride in both.
// One workgroup per vector. Needs WORKGROUP_SIZE (a power of two).

struct Params {
  n: u32,
  vector_stride: u32,
  element_stride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> p: array<f32>;
@group(0) @binding(2) var<storage, read> product: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

var<workgroup> partial: array<f32, WORKGROUP_SIZE>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let vector = group.x;
  var sum = 0.0;
  for (var t = lane; t < params.n; t += WORKGROUP_SIZE) {
    let index = vector * params.vector_stride + t * params.element_stride;
    sum = fma(p[index], product[index], sum);
  }
  partial[lane] = sum;
  for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (lane < stride) {
      partial[lane] += partial[lane + stride];
    }
  }
  if (lane == 0u) {
    out[vector] = partial[0];
  }
}
