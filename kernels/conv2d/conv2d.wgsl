// im2col and col2im for 2-D convolution on NHWC images, one thread per output element.
// main_im2col: cols [B·OH·OW, C·KH·KW] from x [B, H, W, C]. Row (b, oh, ow), column
// (c·KH + ki)·KW + kj is x[b, oh·stride − padding + ki, ow·stride − padding + kj, c], or 0 in the padding.
// main_col2im: the adjoint, dx [B, H, W, C] from dcols. Each input element gathers the column
// entries copied from it in a fixed order (ki, then kj), so it needs no atomics and gives the same
// bits on every run. Input element (h, w) was copied by kernel row ki of output row oh exactly when
// h + padding − ki = oh·stride, and likewise for w.
// Both entry points bind params, their input at 1 and their output at 2.
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  batch: u32,
  height: u32,
  width: u32,
  channels: u32,
  kernel_h: u32,
  kernel_w: u32,
  stride: u32,
  padding: u32,
  out_height: u32,
  out_width: u32,
  count: u32, // elements of cols (im2col) or of dx (col2im)
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> source_values: array<f32>;
@group(0) @binding(2) var<storage, read_write> result: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_im2col(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = flat_index(id, groups);
  if (e >= params.count) {
    return;
  }
  let kernel_area = params.kernel_h * params.kernel_w;
  let patch_size = params.channels * kernel_area;
  let row = e / patch_size;
  let col = e % patch_size;
  let c = col / kernel_area;
  let ki = (col % kernel_area) / params.kernel_w;
  let kj = col % params.kernel_w;
  let ow = row % params.out_width;
  let oh = (row / params.out_width) % params.out_height;
  let b = row / (params.out_width * params.out_height);

  let h = i32(oh * params.stride + ki) - i32(params.padding);
  let w = i32(ow * params.stride + kj) - i32(params.padding);
  var value = 0.0;
  if (h >= 0 && h < i32(params.height) && w >= 0 && w < i32(params.width)) {
    value = source_values[((b * params.height + u32(h)) * params.width + u32(w)) * params.channels + c];
  }
  result[e] = value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_col2im(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= params.count) {
    return;
  }
  let c = i % params.channels;
  let w = (i / params.channels) % params.width;
  let h = (i / (params.channels * params.width)) % params.height;
  let b = i / (params.channels * params.width * params.height);
  let patch_size = params.channels * params.kernel_h * params.kernel_w;

  var sum = 0.0;
  for (var ki = 0u; ki < params.kernel_h; ki++) {
    // th = oh·stride for the output row that kernel row ki maps onto h. It only falls as ki grows.
    let th = i32(h + params.padding) - i32(ki);
    if (th < 0) {
      break;
    }
    if (u32(th) % params.stride != 0u || u32(th) / params.stride >= params.out_height) {
      continue;
    }
    let oh = u32(th) / params.stride;
    for (var kj = 0u; kj < params.kernel_w; kj++) {
      let tw = i32(w + params.padding) - i32(kj);
      if (tw < 0) {
        break;
      }
      if (u32(tw) % params.stride != 0u || u32(tw) / params.stride >= params.out_width) {
        continue;
      }
      let ow = u32(tw) / params.stride;
      let row = (b * params.out_height + oh) * params.out_width + ow;
      sum += source_values[row * patch_size + (c * params.kernel_h + ki) * params.kernel_w + kj];
    }
  }
  result[i] = sum;
}
