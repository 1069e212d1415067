/**
 * CPU reference of GPT-2's input embedding: out[b*T + t, :] = wte[tokens[b*T + t], :] + wpe[t, :].
 * A token id >= V selects a zero row of wte, so its output is wpe[t, :] alone.
 */
export function embeddingRef(
  tokens: Uint32Array, // B×T
  wte: Float32Array, // V×C
  wpe: Float32Array, // P×C, P >= T
  B: number,
  T: number,
  C: number,
  V: number,
): Float32Array {
  if (tokens.length < B * T) throw new Error(`embeddingRef: tokens has ${tokens.length} elements, expected B*T = ${B}*${T} = ${B * T}`);
  if (wte.length < V * C) throw new Error(`embeddingRef: wte has ${wte.length} elements, expected V*C = ${V}*${C} = ${V * C}`);
  if (wpe.length < T * C) throw new Error(`embeddingRef: wpe has ${wpe.length} elements, expected at least T*C = ${T}*${C} = ${T * C}`);

  const out = new Float32Array(B * T * C);
  for (let row = 0; row < B * T; row++) {
    const token = tokens[row];
    const t = row % T;
    for (let c = 0; c < C; c++) {
      const tokenValue = token < V ? wte[token * C + c] : 0;
      out[row * C + c] = tokenValue + wpe[t * C + c];
    }
  }
  return out;
}
