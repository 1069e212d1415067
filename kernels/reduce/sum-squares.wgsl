// Reduction kind: sum of squares of f32 data. An |x| above about 1.8e19 squares to +Inf.
alias Acc = f32;
const ZERO: Acc = 0.0;

fn data_term(bits: u32) -> Acc {
  let x = bitcast<f32>(bits);
  return x * x;
}

fn to_bits(value: Acc) -> u32 {
  return bitcast<u32>(value);
}

fn from_bits(bits: u32) -> Acc {
  return bitcast<f32>(bits);
}
