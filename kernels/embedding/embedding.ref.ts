/**
 * CPU reference of GPT-2's input embedding: out[b*T + t, :] = wte[tokens[b*T + t], :] + wpe[t, :].
 * A token id >= V selects a zero row of wte, so its output is wpe[t, :] alone.
 *
 * For a wte split by rows, `wte` may hold only rows [wteRowStart, wteRowStart + wteRows) of the
 * V×C table. Then only the output rows whose token falls in that range are written into `out`
 * (which keeps its other values), plus the rows of ids >= V when the chunk ends at row V, so the
 * chunks of one table together write every row once, with the values of the unsplit table.
 */
export function embeddingRef(
  tokens: Uint32Array, // B×T
  wte: Float32Array, // wteRows×C (V×C unsplit)
  wpe: Float32Array, // P×C, P >= T
  B: number,
  T: number,
  C: number,
  V: number,
  wteRowStart = 0,
  wteRows = V - wteRowStart,
  out: Float32Array = new Float32Array(B * T * C),
): Float32Array {
  if (tokens.length < B * T) throw new Error(`embeddingRef: tokens has ${tokens.length} elements, expected B*T = ${B}*${T} = ${B * T}`);
  if (wteRowStart + wteRows > V) throw new Error(`embeddingRef: wte rows ${wteRowStart} + ${wteRows} exceed V = ${V}`);
  if (wte.length < wteRows * C) throw new Error(`embeddingRef: wte has ${wte.length} elements, expected wteRows*C = ${wteRows}*${C} = ${wteRows * C}`);
  if (wpe.length < T * C) throw new Error(`embeddingRef: wpe has ${wpe.length} elements, expected at least T*C = ${T}*${C} = ${T * C}`);
  if (out.length < B * T * C) throw new Error(`embeddingRef: out has ${out.length} elements, expected B*T*C = ${B * T * C}`);

  const ownsUnknown = wteRowStart + wteRows === V;
  for (let row = 0; row < B * T; row++) {
    const token = tokens[row];
    const inChunk = token >= wteRowStart && token < wteRowStart + wteRows;
    if (!inChunk && !(token >= V && ownsUnknown)) continue;
    const t = row % T;
    for (let c = 0; c < C; c++) {
      const tokenValue = inChunk ? wte[(token - wteRowStart) * C + c] : 0;
      out[row * C + c] = tokenValue + wpe[t * C + c];
    }
  }
  return out;
}
