// Counter-based standard normal generator, included into kernels by `rngWgsl()`.
// gaussian(seed, stream, index) = table inverse CDF of word 0 of
// Philox4x32-10(counter = (index, stream, 0, 0), key = (seed, 0)).
// Every step is integer arithmetic and the final conversion is exact, so the result matches the
// CPU reference (rng.ref.ts) bit for bit. The PHILOX_* and GAUSSIAN_* constants are injected.

// Inverse-CDF table: fixed-point magnitudes, GAUSSIAN_TABLE_ENTRIES u32 values.
@group(0) @binding(GAUSSIAN_TABLE_BINDING) var<storage, read> gaussian_table: array<u32>;

// Returns (high, low) words of the 64-bit product a·b. WGSL has no mulhi, so the high word is
// assembled from the four 16-bit partial products.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a_low = a & 0xffffu;
  let a_high = a >> 16u;
  let b_low = b & 0xffffu;
  let b_high = b >> 16u;
  let low_low = a_low * b_low;
  let low_high = a_low * b_high;
  let high_low = a_high * b_low;
  let high_high = a_high * b_high;
  let middle = (low_low >> 16u) + (low_high & 0xffffu) + (high_low & 0xffffu);
  let high = high_high + (low_high >> 16u) + (high_low >> 16u) + (middle >> 16u);
  return vec2<u32>(high, a * b);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var x = counter;
  var k = key;
  for (var r = 0u; r < PHILOX_ROUNDS; r++) {
    if (r > 0u) {
      k += vec2<u32>(PHILOX_W0, PHILOX_W1);
    }
    let product0 = philox_mulhilo(PHILOX_M0, x.x);
    let product1 = philox_mulhilo(PHILOX_M1, x.z);
    x = vec4<u32>(product1.x ^ x.y ^ k.x, product1.y, product0.x ^ x.w ^ k.y, product0.y);
  }
  return x;
}

// Fixed-point |x| for the 31-bit field t: direct entry below GAUSSIAN_DIRECT_ENTRIES, otherwise
// linear interpolation between the two knots of t's segment, rounded half up.
fn gaussian_magnitude(t: u32) -> u32 {
  if (t < GAUSSIAN_DIRECT_ENTRIES) {
    return gaussian_table[t];
  }
  let octave = firstLeadingBit(t);
  let shift = octave - GAUSSIAN_SEGMENT_BITS;
  let knot = ((octave - GAUSSIAN_SEGMENT_BITS + 1u) << GAUSSIAN_SEGMENT_BITS) + ((t >> shift) - GAUSSIAN_SEGMENTS);
  let left = gaussian_table[min(knot, GAUSSIAN_TABLE_ENTRIES - 2u)];
  let right = gaussian_table[min(knot + 1u, GAUSSIAN_TABLE_ENTRIES - 1u)];
  let drop = max(shift, GAUSSIAN_WEIGHT_BITS) - GAUSSIAN_WEIGHT_BITS;
  let weight_bits = shift - drop;
  let weight = (t & ((1u << shift) - 1u)) >> drop;
  let step = ((left - right) * weight + (1u << (weight_bits - 1u))) >> weight_bits;
  return left - step;
}

fn gaussian_from_bits(bits: u32) -> f32 {
  let magnitude = i32(gaussian_magnitude(bits & 0x7fffffffu));
  let signed = select(magnitude, -magnitude, (bits & 0x80000000u) != 0u);
  return f32(signed) * GAUSSIAN_SCALE;
}

fn gaussian(seed: u32, stream: u32, index: u32) -> f32 {
  let bits = philox4x32_10(vec4<u32>(index, stream, 0u, 0u), vec2<u32>(seed, 0u));
  return gaussian_from_bits(bits.x);
}
