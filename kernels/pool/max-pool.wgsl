// Non-overlapping 2-D max pooling on NHWC images: window size and stride are both `kernel`, and
// OH = floor(H / kernel), OW = floor(W / kernel).
// main_forward: one thread per output element scans its window row by row (ki, then kj) and keeps
// the first maximum, so ties go to the earliest element in that order. It writes the maximum to
// out and the flat index of the chosen element of x ([B, H, W, C]) to argmax.
// main_backward: one thread per input element. The windows do not overlap, so each input element
// lies in at most one window, and dx is dy of that window where argmax names the element, else 0.
// This gather needs no atomics and writes every element of dx, including the rows and columns
// that the floor drops (they get 0).
// Injected by the host: WORKGROUP_SIZE.

struct Params {
  batch: u32,
  height: u32,
  width: u32,
  channels: u32,
  kernel: u32,
  out_height: u32,
  out_width: u32,
  count: u32, // output elements (forward) or input elements (backward)
}

@group(0) @binding(0) var<uniform> params: Params;
// main_forward binds x, out, argmax; main_backward binds dy, argmax_in, dx at the same slots.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> argmax: array<u32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> argmax_in: array<u32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

fn flat_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
  return id.x + id.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_forward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = flat_index(id, groups);
  if (o >= params.count) {
    return;
  }
  let c = o % params.channels;
  var rest = o / params.channels;
  let ow = rest % params.out_width;
  rest /= params.out_width;
  let oh = rest % params.out_height;
  let b = rest / params.out_height;

  let row_stride = params.width * params.channels;
  let window_start = ((b * params.height + oh * params.kernel) * params.width + ow * params.kernel) * params.channels + c;
  var best_index = window_start;
  var best = x[window_start];
  for (var ki = 0u; ki < params.kernel; ki++) {
    for (var kj = 0u; kj < params.kernel; kj++) {
      let index = window_start + ki * row_stride + kj * params.channels;
      let value = x[index];
      if (value > best) {
        best = value;
        best_index = index;
      }
    }
  }
  out[o] = best;
  argmax[o] = best_index;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main_backward(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let i = flat_index(id, groups);
  if (i >= params.count) {
    return;
  }
  let c = i % params.channels;
  var rest = i / params.channels;
  let w = rest % params.width;
  rest /= params.width;
  let h = rest % params.height;
  let b = rest / params.height;

  let oh = h / params.kernel;
  let ow = w / params.kernel;
  var gradient = 0.0;
  if (oh < params.out_height && ow < params.out_width) {
    let o = ((b * params.out_height + oh) * params.out_width + ow) * params.channels + c;
    if (argmax_in[o] == i) {
      gradient = dy[o];
    }
  }
  dx[i] = gradient;
}
