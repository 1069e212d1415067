// Per-pass parameters shared by every tensor of a pass (the host rewrites them between submits):
// seed picks the Gaussian sequence, c multiplies the direction, keep multiplies decayed weights.
struct StepParams {
  seed: u32,
  c: f32,
  keep: f32,
}
