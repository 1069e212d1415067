// Tensor binding of the in-place variant: one read_write buffer is both src and dst.
// TENSOR_BINDING is injected by the host.

@group(0) @binding(TENSOR_BINDING) var<storage, read_write> data: array<f32>;

fn load_src(i: u32) -> f32 {
  return data[i];
}

fn store_dst(i: u32, value: f32) {
  data[i] = value;
}
