// Reduction kind: number of NaN and ±Inf entries of f32 data, as u32. The test reads the exponent
// bits (all ones for NaN and ±Inf), so a compiler that assumes finite math cannot fold it away.
alias Acc = u32;
const ZERO: Acc = 0u;

fn data_term(bits: u32) -> Acc {
  return select(0u, 1u, (bits & 0x7f800000u) == 0x7f800000u);
}

fn to_bits(value: Acc) -> u32 {
  return value;
}

fn from_bits(bits: u32) -> Acc {
  return bits;
}
