// Deterministic tree reduction of COUNT 32-bit words into one, in fixed order (no atomics).
//
// The input splits into chunks of CHUNK = WORKGROUP_SIZE · VALUES_PER_THREAD words. Within a
// chunk, each thread loads VALUES_PER_THREAD words (strided by WORKGROUP_SIZE, so loads coalesce),
// adds them pairwise in registers, and a tree over the workgroup adds the threads' sums: every
// chunk sum is a balanced binary tree of depth log2(CHUNK). A workgroup that handles several
// chunks (the second pass) adds the chunk sums in order.
//
// First pass (FROM_DATA): terms come from the data words (x² or "is non-finite"), one chunk per
// workgroup, and workgroup g writes its sum to dst[dst_index + g]. Second pass: the terms are the
// first pass's partial sums, read back as Acc, in one workgroup that writes dst[dst_index].
//
// The kind snippet in front of this file defines: alias Acc, const ZERO: Acc, data_term(bits) -> Acc,
// to_bits(Acc) -> u32 and from_bits(u32) -> Acc.
// Injected by the host: WORKGROUP_SIZE, VALUES_PER_THREAD (powers of two), CHUNK, FROM_DATA.

struct Params {
  src_offset: u32,
  count: u32,
  dst_index: u32,
  // ceil(count / CHUNK).
  chunk_count: u32,
}

@group(0) @binding(0) var<storage, read> src: array<u32>;
@group(0) @binding(1) var<storage, read_write> dst: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

var<workgroup> thread_sums: array<Acc, WORKGROUP_SIZE>;

fn load_term(i: u32) -> Acc {
  let bits = src[params.src_offset + i];
  if (FROM_DATA) {
    return data_term(bits);
  }
  return from_bits(bits);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(
  @builtin(local_invocation_index) thread: u32,
  @builtin(workgroup_id) workgroup: vec3<u32>,
  @builtin(num_workgroups) groups: vec3<u32>,
) {
  let group = workgroup.x + workgroup.y * groups.x;
  let group_count = groups.x * groups.y;
  var total = ZERO;

  for (var chunk = group; chunk < params.chunk_count; chunk += group_count) {
    // Words past COUNT in the last chunk count as zero terms, which leave every sum unchanged.
    var values: array<Acc, VALUES_PER_THREAD>;
    for (var k = 0u; k < VALUES_PER_THREAD; k++) {
      let i = chunk * CHUNK + k * WORKGROUP_SIZE + thread;
      values[k] = ZERO;
      if (i < params.count) {
        values[k] = load_term(i);
      }
    }
    for (var width = VALUES_PER_THREAD / 2u; width > 0u; width /= 2u) {
      for (var k = 0u; k < width; k++) {
        values[k] = values[k] + values[k + width];
      }
    }
    thread_sums[thread] = values[0];
    workgroupBarrier();

    for (var stride = WORKGROUP_SIZE / 2u; stride > 0u; stride /= 2u) {
      if (thread < stride) {
        thread_sums[thread] = thread_sums[thread] + thread_sums[thread + stride];
      }
      workgroupBarrier();
    }
    total = total + thread_sums[0];
    // Every thread has read the chunk sum before the next chunk overwrites thread_sums.
    workgroupBarrier();
  }

  if (thread == 0u && group < params.chunk_count) {
    dst[params.dst_index + group] = to_bits(total);
  }
}
