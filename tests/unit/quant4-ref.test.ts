import { describe, expect, it } from 'vitest';
import {
  CODEBOOKS,
  CODEBOOK_NAMES,
  hexFloatLiteral,
  largestCodebookGap,
  type CodebookName,
} from '../../kernels/quant4/codebooks';
import {
  decodeValue,
  dequantize4Ref,
  dequantizeOffDiagonal4Ref,
  encodeValue,
  quant4CodeBytes,
  quant4Layout,
  quant4ScaleBytes,
  quantize4Ref,
  quantizeOffDiagonal4Ref,
} from '../../kernels/quant4/quant4.ref';
import { randomArray } from '../helpers/gpu';

const linear2 = CODEBOOKS['linear-2'];
const dynamicTree = CODEBOOKS['dynamic-tree'];

/** Returns the 4-bit codes of one row, unpacked low nibble first. */
function unpackRow(codes: Uint32Array, row: number, cols: number): number[] {
  const { wordsPerRow } = quant4Layout(row + 1, cols);
  return Array.from({ length: cols }, (_, col) => (codes[row * wordsPerRow + (col >> 3)] >>> (4 * (col & 7))) & 0xf);
}

/** Returns the largest f32 below a positive or negative normal f32 value. */
function nextDown(value: number): number {
  const bits = new Uint32Array(Float32Array.of(value).buffer);
  const float = new Float32Array(bits.buffer);
  if (value > 0) bits[0]--;
  else if (value < 0) bits[0]++;
  else throw new Error('nextDown of 0 is not needed here');
  return float[0];
}

/** Parses a WGSL hexadecimal float literal as written by hexFloatLiteral. */
function parseHexFloat(literal: string): number {
  const match = /^(-?)0x([01])\.([0-9a-f]{6})p(-?\d+)f$/.exec(literal);
  if (!match) return literal.endsWith('0.0f') ? 0 : NaN;
  const mantissa = Number(match[2]) + parseInt(match[3], 16) / 2 ** 24;
  return (match[1] ? -1 : 1) * mantissa * 2 ** Number(match[4]);
}

describe('quant4 codebooks', () => {
  it('linear-2 values follow R(j)', () => {
    const listed = [-1, -0.751111, -0.537778, -0.36, -0.217778, -0.111111, -0.04, 0, 0.004444, 0.04, 0.111111, 0.217778, 0.36, 0.537778, 0.751111, 1];
    expect(linear2.values.length).toBe(16);
    for (let j = 0; j < 16; j++) expect(linear2.values[j]).toBeCloseTo(listed[j], 6);
    for (let j = 0; j < 16; j++) {
      const t = -1 + (2 * j) / 15;
      let exact = t * t;
      if (j < 7) exact = -exact;
      if (j === 7) exact = 0;
      expect(linear2.values[j]).toBe(Math.fround(exact));
    }
  });

  it('dynamic tree has +1 but not −1', () => {
    const listed = [-0.8875, -0.6625, -0.4375, -0.2125, -0.0775, -0.0325, -0.0055, 0, 0.0055, 0.0325, 0.0775, 0.2125, 0.4375, 0.6625, 0.8875, 1];
    expect(Array.from(dynamicTree.values)).toEqual(listed.map(Math.fround));
    expect(dynamicTree.values).not.toContain(-1);
  });

  it.each(CODEBOOK_NAMES)('%s midpoints are f32 halves', (name) => {
    const { values, midpoints } = CODEBOOKS[name];
    expect(midpoints.length).toBe(15);
    for (let i = 0; i < 15; i++) {
      expect(midpoints[i]).toBe(Math.fround((values[i] + values[i + 1]) / 2));
      expect(midpoints[i]).toBeGreaterThan(values[i]);
      expect(midpoints[i]).toBeLessThan(values[i + 1]);
    }
  });

  it('largest gaps are the outer ones', () => {
    expect(largestCodebookGap(linear2)).toBeCloseTo(1 - 0.751111, 6);
    expect(largestCodebookGap(dynamicTree)).toBeCloseTo(0.8875 - 0.6625, 6);
  });

  it('hex float literals are exact', () => {
    expect(hexFloatLiteral(0.75)).toBe('0x1.800000p-1f');
    expect(hexFloatLiteral(-1)).toBe('-0x1.000000p0f');
    expect(hexFloatLiteral(0)).toBe('0.0f');
    expect(hexFloatLiteral(2 ** -149)).toBe('0x0.000002p-126f');
    for (const name of CODEBOOK_NAMES) {
      for (const value of [...CODEBOOKS[name].values, ...CODEBOOKS[name].midpoints]) expect(parseHexFloat(hexFloatLiteral(value))).toBe(value);
    }
  });
});

describe('quant4 reference', () => {
  it('codes one linear-2 word by hand', () => {
    // absmax 1; 0.5 lies above the midpoint 0.44889 of 0.36 and 0.53778, 0.2 above 0.16444.
    const values = Float32Array.from([1, 0.5, -0.5, 0, 0.04, -1, 0.36, 0.2]);
    const { codes, absmax } = quantize4Ref(values, 1, 8, 'linear-2');
    expect(unpackRow(codes, 0, 8)).toEqual([15, 13, 2, 7, 9, 0, 12, 11]);
    expect(codes[0]).toBe(0xbc0972df);
    expect(Array.from(absmax)).toEqual([1]);
  });

  it('codes one dynamic-tree word by hand', () => {
    // −1 has no code of its own and goes to −0.8875; 0.95 lies above the midpoint 0.94375.
    const values = Float32Array.from([1, -1, 0.5, -0.5, 0.01, -0.01, 0.95, 0.9]);
    const { codes } = quantize4Ref(values, 1, 8, 'dynamic-tree');
    expect(unpackRow(codes, 0, 8)).toEqual([15, 0, 12, 2, 8, 6, 15, 14]);
    expect(codes[0]).toBe(0xef682c0f);
  });

  it('codes a 3×5 matrix by hand', () => {
    // absmax 2 and 0.25 are powers of two, so x / absmax and the midpoint test are exact.
    const values = Float32Array.from([
      2, -1, 0, 0.5, -2,
      0, 0, 0, 0, 0,
      0.25, 0.125, -0.0625, 0.001, 0.01,
    ]);
    const { codes, absmax } = quantize4Ref(values, 3, 5, 'linear-2');
    expect(Array.from(codes)).toEqual([0x0000b72f, 0, 0x000984df]);
    expect(Array.from(absmax)).toEqual([2, 0, 0.25]);

    const decoded = dequantize4Ref(codes, absmax, 3, 5, 'linear-2');
    const v = linear2.values;
    const expected = [2, 2 * v[2], 0, 2 * v[11], -2, 0, 0, 0, 0, 0, 0.25, 0.25 * v[13], 0.25 * v[4], 0.25 * v[8], 0.25 * v[9]];
    expect(Array.from(decoded)).toEqual(expected.map(Math.fround));
  });

  it.each(CODEBOOK_NAMES)('%s exact midpoints go to the upper code', (name) => {
    const { midpoints } = CODEBOOKS[name];
    for (const absmax of [1, 2, 0.3, 1e-20]) {
      for (let i = 0; i < midpoints.length; i++) {
        const tie = Math.fround(midpoints[i] * absmax);
        expect(encodeValue(tie, absmax, CODEBOOKS[name])).toBe(i + 1);
        expect(encodeValue(nextDown(tie), absmax, CODEBOOKS[name])).toBe(i);
      }
    }
  });

  it('ties by hand in a packed block', () => {
    // −0.02 = f32(−0.04) / 2 is the exact real midpoint between −0.04 and 0: it goes to 0 (code 7),
    // and the next f32 below it goes to −0.04 (code 6).
    const tie = Math.fround(-0.04) / 2;
    const values = Float32Array.from([1, tie, nextDown(tie), linear2.values[8] / 2]);
    const { codes } = quantize4Ref(values, 1, 4, 'linear-2');
    expect(unpackRow(codes, 0, 4)).toEqual([15, 7, 6, 8]);
  });

  it('all-zero block decodes to +0', () => {
    // A row of 100 has blocks of 64 and 36; only the second is zero, one of its entries −0.
    const cols = 100;
    const values = new Float32Array(cols);
    for (let col = 0; col < 64; col++) values[col] = (col - 20) / 64;
    values[80] = -0;
    for (const name of CODEBOOK_NAMES) {
      const { codes, absmax } = quantize4Ref(values, 1, cols, name);
      expect(absmax.length).toBe(2);
      expect(absmax[1]).toBe(0);
      expect(unpackRow(codes, 0, cols).slice(64)).toEqual(new Array(36).fill(0));
      const decoded = dequantize4Ref(codes, absmax, 1, cols, name);
      for (let col = 64; col < cols; col++) expect(Object.is(decoded[col], 0)).toBe(true);
      expect(decodeValue(0, 0, CODEBOOKS[name])).toBe(0);
    }
  });

  it('pads rows to whole words', () => {
    // 7×130: 17 words per row (the last holds 2 codes), blocks of 64, 64 and 2 entries.
    const rows = 7;
    const cols = 130;
    const layout = quant4Layout(rows, cols);
    expect(layout.wordsPerRow).toBe(17);
    expect(layout.blocksPerRow).toBe(3);
    expect(quant4CodeBytes(rows, cols)).toBe(7 * 17 * 4);
    expect(quant4ScaleBytes(rows, cols)).toBe(7 * 3 * 4);

    const values = new Float32Array(rows * cols).fill(1);
    for (let row = 0; row < rows; row++) values[row * cols + 129] = row + 1;
    const { codes, absmax } = quantize4Ref(values, rows, cols, 'linear-2');
    expect(codes.length).toBe(rows * 17);
    for (let row = 0; row < rows; row++) {
      // The last word contains entry 128 (a 1 in a block of absmax row + 1) and entry 129 (the
      // absmax), and its six padding nibbles are 0.
      const last = codes[row * 17 + 16];
      expect(last >>> 8).toBe(0);
      expect(last & 0xf).toBe(encodeValue(1, row + 1, linear2));
      expect((last >>> 4) & 0xf).toBe(15);
      expect(codes[row * 17]).toBe(0xffffffff);
      expect(absmax[row * 3 + 2]).toBe(row + 1);
    }
  });

  it.each(CODEBOOK_NAMES)('%s round trip within half the largest gap', (name: CodebookName) => {
    const codebook = CODEBOOKS[name];
    const rows = 9;
    const cols = 150;
    const values = randomArray(rows * cols, 3);
    for (let i = 0; i < values.length; i++) values[i] *= 10 ** ((i % 5) - 2);
    const { codes, absmax } = quantize4Ref(values, rows, cols, name);
    const decoded = dequantize4Ref(codes, absmax, rows, cols, name);
    const { blocksPerRow } = quant4Layout(rows, cols);
    const halfGap = largestCodebookGap(codebook) / 2;

    let worst = 0;
    for (let row = 0; row < rows; row++) {
      for (let col = 0; col < cols; col++) {
        const scale = absmax[row * blocksPerRow + (col >> 6)];
        const x = values[row * cols + col];
        const error = Math.abs(x - decoded[row * cols + col]);
        // Slack: the rounded midpoint and the rounded product each move by at most 2⁻²⁴·absmax.
        expect(error).toBeLessThanOrEqual((halfGap + 2 ** -22) * scale);
        // Nearest value: no other codebook value is closer (up to the same slack).
        const nearest = Math.min(...Array.from(codebook.values, (c) => Math.abs(x - c * scale)));
        expect(error).toBeLessThanOrEqual(nearest + 2 ** -22 * scale);
        worst = Math.max(worst, error / scale);
      }
    }
    expect(worst).toBeGreaterThan(0);
  });

  it('off-diagonal variant keeps the diagonal exactly', () => {
    const n = 70;
    const values = randomArray(n * n, 9, 0.01);
    for (let i = 0; i < n; i++) values[i * n + i] = 1 + i / 3;
    for (const name of CODEBOOK_NAMES) {
      const quantized = quantizeOffDiagonal4Ref(values, n, name);
      expect(Array.from(quantized.diagonal)).toEqual(Array.from({ length: n }, (_, i) => values[i * n + i]));

      // The absmax ignores the diagonal: it equals the largest off-diagonal entry of the block.
      const { blocksPerRow } = quant4Layout(n, n);
      for (let row = 0; row < n; row++) {
        let offDiagonalMax = 0;
        for (let col = 0; col < 64; col++) if (col !== row) offDiagonalMax = Math.max(offDiagonalMax, Math.abs(values[row * n + col]));
        expect(quantized.absmax[row * blocksPerRow]).toBe(offDiagonalMax);
      }

      const decoded = dequantizeOffDiagonal4Ref(quantized.codes, quantized.absmax, quantized.diagonal, n, name);
      for (let i = 0; i < n; i++) expect(decoded[i * n + i]).toBe(values[i * n + i]);
      let offDiagonalError = 0;
      for (let i = 0; i < n * n; i++) offDiagonalError = Math.max(offDiagonalError, Math.abs(decoded[i] - values[i]));
      expect(offDiagonalError).toBeLessThan(0.01 * (largestCodebookGap(CODEBOOKS[name]) / 2) + 1e-9);
    }
  });

  it('rejects bad input', () => {
    expect(() => quantize4Ref(Float32Array.of(1, NaN), 1, 2, 'linear-2')).toThrow(/values\[0, 1\] is not finite/);
    expect(() => quantize4Ref(new Float32Array(5), 2, 3, 'linear-2')).toThrow(/expected at least rows·cols/);
    expect(() => quant4Layout(0, 3)).toThrow(/rows must be a positive integer/);
    expect(() => quantize4Ref(new Float32Array(4), 2, 2, 'linear-3' as CodebookName)).toThrow(/Unknown codebook "linear-3"/);
  });
});
