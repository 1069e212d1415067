/**
 * CPU reference of GPT-2's causal multi-head self-attention, in f64.
 * qkv is (B·T)×3C as c_attn writes it: q in columns [0, C), k in [C, 2C), v in [2C, 3C), and head h
 * uses columns h·HS .. (h+1)·HS of each, HS = C / NH. For every b, h and query position t:
 * out[b*T + t, h·HS + d] = Σ_{j <= t} softmax_j(q_t · k_j / sqrt(HS)) · v_j[d].
 */
export function attentionRef(
  qkv: Float32Array, // (B·T)×3C
  B: number,
  T: number,
  C: number,
  NH: number,
): Float32Array {
  if (C % NH !== 0) throw new Error(`attentionRef: C = ${C} is not divisible by NH = ${NH}`);
  if (qkv.length < B * T * 3 * C) throw new Error(`attentionRef: qkv has ${qkv.length} elements, expected B*T*3C = ${B}*${T}*${3 * C}`);
  const HS = C / NH;
  const scale = 1 / Math.sqrt(HS);

  const out = new Float32Array(B * T * C);
  const scores = new Float64Array(T);
  const sums = new Float64Array(HS);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      for (let t = 0; t < T; t++) {
        const qOffset = (b * T + t) * 3 * C + h * HS;

        // 1. Scores against keys 0..t, and their max (subtracted only for stability).
        let max = -Infinity;
        for (let j = 0; j <= t; j++) {
          const kOffset = (b * T + j) * 3 * C + C + h * HS;
          let dot = 0;
          for (let d = 0; d < HS; d++) dot += qkv[qOffset + d] * qkv[kOffset + d];
          scores[j] = dot * scale;
          max = Math.max(max, scores[j]);
        }

        // 2. Softmax weights and the weighted sum of values.
        let total = 0;
        sums.fill(0);
        for (let j = 0; j <= t; j++) {
          const weight = Math.exp(scores[j] - max);
          total += weight;
          const vOffset = (b * T + j) * 3 * C + 2 * C + h * HS;
          for (let d = 0; d < HS; d++) sums[d] += weight * qkv[vOffset + d];
        }

        const outOffset = (b * T + t) * C + h * HS;
        for (let d = 0; d < HS; d++) out[outOffset + d] = sums[d] / total;
      }
    }
  }
  return out;
}
