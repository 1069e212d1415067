/**
 * The 4-bit codebooks of 4-bit Shampoo and the layout constants of the block-wise quantizer,
 * defined once here and injected into quant4.wgsl as WGSL `const` declarations.
 *
 * A codebook is 16 f32 values sorted ascending, and a code is the index of its value. Encoding
 * uses the 15 midpoints between neighbouring values: the code of y is the number of midpoints
 * m with m ≤ y, so y is mapped to its nearest value and an exact midpoint goes to the upper
 * (larger) value. The midpoints are f32 (each is the f32 rounding of (cᵢ + cᵢ₊₁) / 2) and are part
 * of the definition, so the CPU reference and the shader decide every tie the same way.
 */

/** Entries per absmax block, counted along a row. A multiple of CODES_PER_WORD, so every block starts on a u32 boundary. */
export const QUANT4_BLOCK_SIZE = 64;
/** 4-bit codes packed into one u32. */
export const CODES_PER_WORD = 8;
/** Values per codebook (2⁴). */
export const CODEBOOK_SIZE = 16;

export type CodebookName = 'linear-2' | 'dynamic-tree';
export const CODEBOOK_NAMES: readonly CodebookName[] = ['linear-2', 'dynamic-tree'];

export interface Codebook {
  name: CodebookName;
  /** [CODEBOOK_SIZE] f32 values, ascending. Code q decodes to values[q] · absmax. */
  values: Float32Array;
  /** [CODEBOOK_SIZE − 1] f32 midpoints: midpoints[i] separates values[i] and values[i + 1]. */
  midpoints: Float32Array;
}

/**
 * Linear-2 map: R(j) = −(−1 + 2j/15)² for j < 7, 0 for j = 7, (−1 + 2j/15)² for j > 7. It is
 * asymmetric (0.004444 has no negative twin) and dense near zero, where most eigenvector entries lie.
 */
function linear2Values(): number[] {
  const values: number[] = [];
  for (let j = 0; j < CODEBOOK_SIZE; j++) {
    const t = -1 + (2 * j) / 15;
    if (j < 7) values.push(-(t * t));
    else if (j === 7) values.push(0);
    else values.push(t * t);
  }
  return values;
}

/** 4-bit dynamic-tree map: ±0.0055, ±0.0325, ±0.0775, ±0.2125, ±0.4375, ±0.6625, ±0.8875, 0 and +1 (−1 is absent). */
function dynamicTreeValues(): number[] {
  const magnitudes = [0.0055, 0.0325, 0.0775, 0.2125, 0.4375, 0.6625, 0.8875];
  return [...magnitudes.map((m) => -m), 0, ...magnitudes, 1].sort((a, b) => a - b);
}

function buildCodebook(name: CodebookName, values: number[]): Codebook {
  if (values.length !== CODEBOOK_SIZE) throw new Error(`Codebook ${name} has ${values.length} values, expected ${CODEBOOK_SIZE}`);
  const table = Float32Array.from(values);
  for (let i = 1; i < CODEBOOK_SIZE; i++) {
    if (!(table[i - 1] < table[i])) throw new Error(`Codebook ${name} is not strictly ascending at index ${i}`);
  }
  const midpoints = new Float32Array(CODEBOOK_SIZE - 1);
  for (let i = 0; i + 1 < CODEBOOK_SIZE; i++) midpoints[i] = (table[i] + table[i + 1]) / 2;
  return { name, values: table, midpoints };
}

export const CODEBOOKS: Readonly<Record<CodebookName, Codebook>> = {
  'linear-2': buildCodebook('linear-2', linear2Values()),
  'dynamic-tree': buildCodebook('dynamic-tree', dynamicTreeValues()),
};

export function getCodebook(name: CodebookName): Codebook {
  const codebook = CODEBOOKS[name];
  if (!codebook) throw new Error(`Unknown codebook ${JSON.stringify(name)}: expected one of ${CODEBOOK_NAMES.join(', ')}`);
  return codebook;
}

/** Returns the largest distance between neighbouring codebook values, also counting the gap from −1 to the smallest value. */
export function largestCodebookGap(codebook: Codebook): number {
  const { values } = codebook;
  let gap = values[0] - -1;
  for (let i = 1; i < values.length; i++) gap = Math.max(gap, values[i] - values[i - 1]);
  return gap;
}

/**
 * Renders the codebook as WGSL `const` arrays CODEBOOK and MIDPOINTS. The values are written as
 * hexadecimal float literals, which denote their f32 value exactly, so no decimal rounding in the
 * shader compiler can move a threshold.
 */
export function codebookWgsl(codebook: Codebook): string {
  const format = (table: Float32Array) => Array.from(table, hexFloatLiteral).join(', ');
  return (
    `// Codebook ${codebook.name}.\n` +
    `const CODEBOOK = array<f32, ${codebook.values.length}>(${format(codebook.values)});\n` +
    `const MIDPOINTS = array<f32, ${codebook.midpoints.length}>(${format(codebook.midpoints)});\n`
  );
}

/** Formats a finite f32 value as an exact WGSL hexadecimal float literal, for example 0x1.8p-1f for 0.75. */
export function hexFloatLiteral(value: number): string {
  const bits = new Uint32Array(Float32Array.of(value).buffer)[0];
  const sign = bits >>> 31 ? '-' : '';
  const exponentBits = (bits >>> 23) & 0xff;
  const fraction = bits & 0x7fffff;
  if (exponentBits === 0xff) throw new Error(`hexFloatLiteral: ${value} is not finite`);
  if (exponentBits === 0 && fraction === 0) return `${sign}0.0f`;
  // Subnormals are written as 0x0.<fraction>p-126; normal numbers as 0x1.<fraction>p<exponent>.
  const lead = exponentBits === 0 ? 0 : 1;
  const exponent = exponentBits === 0 ? -126 : exponentBits - 127;
  const digits = (fraction << 1).toString(16).padStart(6, '0');
  return `${sign}0x${lead}.${digits}p${exponent}f`;
}
