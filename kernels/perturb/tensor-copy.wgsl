// Tensor bindings of the copy variant: read src, write dst (src and dst are different buffers).
// TENSOR_BINDING is injected by the host.

@group(0) @binding(TENSOR_BINDING) var<storage, read> src: array<f32>;
@group(0) @binding(TENSOR_BINDING + 1u) var<storage, read_write> dst: array<f32>;

fn load_src(i: u32) -> f32 {
  return src[i];
}

fn store_dst(i: u32, value: f32) {
  dst[i] = value;
}
