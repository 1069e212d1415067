import { describe, expect, it } from 'vitest';
import { f16BitsToNumber, parseSafetensors, writeSafetensors } from '../../app/model/safetensors';

const FILE = 'model.safetensors';

/** Builds a safetensors file from a raw header object and a raw data section. */
function buildFile(header: unknown, data: Uint8Array, headerSizeOverride?: bigint): ArrayBuffer {
  const headerBytes = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + headerBytes.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerSizeOverride ?? BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(data, 8 + headerBytes.length);
  return out.buffer;
}

function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

function u16Bytes(values: number[]): Uint8Array {
  const out = new Uint8Array(2 * values.length);
  const view = new DataView(out.buffer);
  values.forEach((value, i) => view.setUint16(2 * i, value, true));
  return out;
}

describe('writeSafetensors and parseSafetensors', () => {
  it('round-trips f32 tensors', () => {
    const tensors = new Map([
      ['wte.weight', { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-8, -1e8]) }],
      ['h.0.ln_1.bias', { shape: [3], data: new Float32Array([0.25, 0.5, 0.75]) }],
      ['scalar', { shape: [], data: new Float32Array([42]) }],
    ]);
    const bytes = writeSafetensors(tensors);
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);

    const parsed = parseSafetensors(bytes.slice().buffer, FILE);
    expect([...parsed.keys()]).toEqual([...tensors.keys()]);
    for (const [name, tensor] of tensors) {
      expect(parsed.get(name)!.dtype).toBe('F32');
      expect(parsed.get(name)!.shape).toEqual(tensor.shape);
      expect(Array.from(parsed.get(name)!.data)).toEqual(Array.from(tensor.data));
    }
  });

  it('writes the pt format metadata', () => {
    const bytes = writeSafetensors(new Map([['x', { shape: [1], data: new Float32Array([1]) }]]));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header.__metadata__).toEqual({ format: 'pt' });
  });

  it('rejects data that does not match the shape', () => {
    expect(() => writeSafetensors(new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(/tensor "x" has shape \[2,2\]/);
  });
});

describe('parseSafetensors dtype decoding', () => {
  it('decodes F16 values', () => {
    // 1.0, -2.0, 0.5, 65504 (max half), smallest subnormal, +inf.
    const bits = [0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001, 0x7c00];
    const file = buildFile({ h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] } }, u16Bytes(bits));
    const tensor = parseSafetensors(file, FILE).get('h')!;
    expect(tensor.dtype).toBe('F16');
    expect(Array.from(tensor.data)).toEqual([1, -2, 0.5, 65504, Math.fround(2 ** -24), Infinity]);
  });

  it('decodes F16 NaN', () => {
    expect(f16BitsToNumber(0x7e00)).toBeNaN();
  });

  it('decodes BF16 values', () => {
    // bfloat16 keeps the top 16 bits of an f32: 1.0 = 0x3f80, -3.0 = 0xc040, 0.15625 = 0x3e20.
    const file = buildFile({ b: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, u16Bytes([0x3f80, 0xc040, 0x3e20]));
    const tensor = parseSafetensors(file, FILE).get('b')!;
    expect(tensor.dtype).toBe('BF16');
    expect(Array.from(tensor.data)).toEqual([1, -3, 0.15625]);
  });
});

describe('parseSafetensors rejects corrupt files', () => {
  const valid = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };

  const cases: Array<{ name: string; file: () => ArrayBuffer; message: RegExp }> = [
    { name: 'empty file', file: () => new ArrayBuffer(0), message: /model\.safetensors: the file is empty/ },
    { name: 'file shorter than 8 bytes', file: () => new ArrayBuffer(5), message: /model\.safetensors: the file is 5 bytes long/ },
    {
      name: 'header length beyond file size',
      file: () => buildFile(valid, f32Bytes([1, 2]), 10_000n),
      message: /model\.safetensors: the header size field is 10000 bytes but only \d+ bytes follow/,
    },
    { name: 'header not JSON', file: () => buildFile('{"a": nope}', new Uint8Array(0)), message: /model\.safetensors: the header is not valid JSON/ },
    { name: 'header a JSON array', file: () => buildFile('[1,2]', new Uint8Array(0)), message: /the header must be a JSON object, got \[1,2\]/ },
    {
      name: 'missing dtype',
      file: () => buildFile({ a: { shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      message: /model\.safetensors: tensor "a": the dtype is missing/,
    },
    {
      name: 'unsupported dtype',
      file: () => buildFile({ a: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
      message: /tensor "a": dtype F64 is not supported\. Supported dtypes are F32, F16 and BF16/,
    },
    {
      name: 'unknown dtype',
      file: () => buildFile({ a: { dtype: 'F33', shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      message: /tensor "a": dtype F33 is not a safetensors dtype/,
    },
    {
      name: 'dtype named like an Object method',
      file: () => buildFile({ a: { dtype: 'toString', shape: [2], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      message: /tensor "a": dtype toString is not a safetensors dtype/,
    },
    {
      name: 'non-integer shape',
      file: () => buildFile({ a: { dtype: 'F32', shape: [2.5], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      message: /tensor "a": the shape must be an array of non-negative integers, got \[2\.5\]/,
    },
    {
      name: 'string shape',
      file: () => buildFile({ a: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      message: /tensor "a": the shape must be an array of non-negative integers, got \["2"\]/,
    },
    {
      name: 'offsets out of range',
      file: () => buildFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32Bytes([1, 2])),
      message: /tensor "a": data_offsets \[0, 16\] lie outside the data section of 8 bytes/,
    },
    {
      name: 'offsets not matching shape',
      file: () => buildFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32Bytes([1, 2])),
      message: /tensor "a": data_offsets \[0, 8\] span 8 bytes, but shape \[3\] of F32 needs 12 bytes/,
    },
    {
      name: 'malformed offsets',
      file: () => buildFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, f32Bytes([1, 2])),
      message: /tensor "a": data_offsets must be two non-negative integers/,
    },
    {
      name: 'overlapping tensors',
      file: () =>
        buildFile(
          { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } },
          f32Bytes([1, 2, 3]),
        ),
      message: /tensor "b" \(bytes 4\.\.12\) overlaps tensor "a" \(bytes 0\.\.8\)/,
    },
    {
      name: 'gap between tensors',
      file: () =>
        buildFile(
          { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } },
          f32Bytes([1, 2, 3]),
        ),
      message: /bytes 4\.\.8 of the data section belong to no tensor \(the gap ends at tensor "b"\)/,
    },
    {
      name: 'trailing garbage',
      file: () => buildFile(valid, f32Bytes([1, 2, 3])),
      message: /model\.safetensors: 4 trailing bytes follow the last tensor/,
    },
    {
      name: 'metadata not strings',
      file: () => buildFile({ __metadata__: { format: 1 }, ...valid }, f32Bytes([1, 2])),
      message: /"__metadata__\.format" must be a string, got 1/,
    },
  ];

  for (const testCase of cases) {
    it(`rejects ${testCase.name}`, () => {
      expect(() => parseSafetensors(testCase.file(), FILE)).toThrow(testCase.message);
    });
  }

  it('accepts the valid file the cases start from', () => {
    const tensors = parseSafetensors(buildFile(valid, f32Bytes([1, 2])), FILE);
    expect(Array.from(tensors.get('a')!.data)).toEqual([1, 2]);
  });
});
