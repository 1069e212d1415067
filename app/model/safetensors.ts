/**
 * Reader and writer for the safetensors format:
 *   u64 little-endian header size N | N bytes of JSON header | tensor data.
 * The header maps each tensor name to { dtype, shape, data_offsets: [begin, end] }, with offsets
 * relative to the start of the data section, plus an optional "__metadata__" map of strings.
 * The reader accepts F32, F16 and BF16 and converts every tensor to f32. The writer emits F32.
 */

import { fileAdvice, PICKED_FILE, type ModelFileSource } from './file-source';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

export interface SafetensorsTensor {
  /** Dtype stored in the file. `data` is always f32. */
  dtype: SafetensorsDtype;
  shape: number[];
  /** Row-major values, product(shape) long. */
  data: Float32Array;
}

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Dtypes that the safetensors format defines but this reader does not convert. */
const KNOWN_UNSUPPORTED_DTYPES = new Set([
  'F64', 'F8_E4M3', 'F8_E5M2', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL',
]);

const HEADER_SIZE_BYTES = 8;
const METADATA_KEY = '__metadata__';
const FIX_HINT = 'The file is corrupt or not a safetensors file: download or export it again.';

interface HeaderEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Checks the 8-byte header size field of a safetensors file against the file's length, without
 * parsing the header, and returns the header size. Errors end with what to do for a file from `source`.
 */
export function checkSafetensorsSize(bytes: ArrayBuffer, fileName: string, source: ModelFileSource = PICKED_FILE): number {
  const fail = (message: string): never => {
    throw new Error(`${fileName}: ${message}`);
  };
  if (bytes.byteLength === 0) {
    const advice = fileAdvice(source, 'model.safetensors', 'Pick the model file again.');
    fail(`the file is empty (0 bytes). ${advice} An interrupted download leaves an empty file.`);
  }
  if (bytes.byteLength < HEADER_SIZE_BYTES) {
    fail(`the file is ${bytes.byteLength} bytes long, shorter than the 8-byte header size field. ${FIX_HINT}`);
  }
  const headerSize = new DataView(bytes).getBigUint64(0, true);
  const available = BigInt(bytes.byteLength - HEADER_SIZE_BYTES);
  if (headerSize > available) {
    fail(`the header size field is ${headerSize} bytes but only ${available} bytes follow it. ${FIX_HINT}`);
  }
  return Number(headerSize);
}

/** Parses a safetensors file and converts every tensor to f32. Throws on any invalid field. */
export function parseSafetensors(bytes: ArrayBuffer, fileName: string, source: ModelFileSource = PICKED_FILE): Map<string, SafetensorsTensor> {
  const fail = (message: string): never => {
    throw new Error(`${fileName}: ${message}`);
  };

  // 1. Header size.
  const headerSize = checkSafetensorsSize(bytes, fileName, source);
  const view = new DataView(bytes);
  const headerEnd = HEADER_SIZE_BYTES + headerSize;

  // 2. Header JSON.
  const header = parseHeaderJson(new Uint8Array(bytes, HEADER_SIZE_BYTES, headerSize), fail);

  // 3. Entries, checked one by one, then as a whole against the data section.
  const dataLength = bytes.byteLength - headerEnd;
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      checkMetadata(value, fail);
      continue;
    }
    entries.push(checkEntry(name, value, dataLength, fail));
  }
  checkCoverage(entries, dataLength, fail);

  // 4. Conversion to f32.
  const tensors = new Map<string, SafetensorsTensor>();
  for (const entry of entries) {
    const data = decodeToF32(view, headerEnd + entry.begin, (entry.end - entry.begin) / BYTES_PER_ELEMENT[entry.dtype], entry.dtype);
    tensors.set(entry.name, { dtype: entry.dtype, shape: entry.shape, data });
  }
  return tensors;
}

function parseHeaderJson(headerBytes: Uint8Array, fail: (message: string) => never): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    return fail(`the header is not valid UTF-8. ${FIX_HINT}`);
  }

  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail(`the header is not valid JSON (${reason}); it starts with ${JSON.stringify(text.slice(0, 40))}. ${FIX_HINT}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    return fail(`the header must be a JSON object, got ${describeJson(header)}. ${FIX_HINT}`);
  }
  return header as Record<string, unknown>;
}

function checkMetadata(value: unknown, fail: (message: string) => never): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(`"${METADATA_KEY}" must be an object of strings, got ${describeJson(value)}. ${FIX_HINT}`);
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') {
      fail(`"${METADATA_KEY}.${key}" must be a string, got ${describeJson(item)}. ${FIX_HINT}`);
    }
  }
}

function checkEntry(name: string, value: unknown, dataLength: number, fail: (message: string) => never): HeaderEntry {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`tensor "${name}": the header entry must be an object with dtype, shape and data_offsets, got ${describeJson(value)}. ${FIX_HINT}`);
  }
  const record = value as Record<string, unknown>;

  const dtype = record.dtype;
  if (dtype === undefined) {
    fail(`tensor "${name}": the dtype is missing. ${FIX_HINT}`);
  }
  if (typeof dtype !== 'string') {
    fail(`tensor "${name}": the dtype must be a string, got ${describeJson(dtype)}. ${FIX_HINT}`);
  }
  if (!Object.hasOwn(BYTES_PER_ELEMENT, dtype as string)) {
    const kind = KNOWN_UNSUPPORTED_DTYPES.has(dtype as string) ? 'is not supported' : 'is not a safetensors dtype';
    fail(`tensor "${name}": dtype ${dtype} ${kind}. Supported dtypes are F32, F16 and BF16; convert the checkpoint to one of them (for example with PyTorch: tensor.float()) and save it again.`);
  }

  const shape = record.shape;
  if (!Array.isArray(shape) || !shape.every((size) => Number.isSafeInteger(size) && size >= 0)) {
    fail(`tensor "${name}": the shape must be an array of non-negative integers, got ${describeJson(shape)}. ${FIX_HINT}`);
  }

  const offsets = record.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((offset) => Number.isSafeInteger(offset) && offset >= 0)) {
    fail(`tensor "${name}": data_offsets must be two non-negative integers [begin, end], got ${describeJson(offsets)}. ${FIX_HINT}`);
  }
  const [begin, end] = offsets as number[];
  if (begin > end || end > dataLength) {
    fail(`tensor "${name}": data_offsets [${begin}, ${end}] lie outside the data section of ${dataLength} bytes. ${FIX_HINT}`);
  }

  const typedDtype = dtype as SafetensorsDtype;
  const elementCount = (shape as number[]).reduce((product, size) => product * size, 1);
  const expectedBytes = elementCount * BYTES_PER_ELEMENT[typedDtype];
  if (end - begin !== expectedBytes) {
    fail(`tensor "${name}": data_offsets [${begin}, ${end}] span ${end - begin} bytes, but shape [${shape}] of ${typedDtype} needs ${expectedBytes} bytes. ${FIX_HINT}`);
  }
  return { name, dtype: typedDtype, shape: shape as number[], begin, end };
}

/** Requires the tensors to tile the data section exactly: no overlap, no gap, no trailing bytes. */
function checkCoverage(entries: HeaderEntry[], dataLength: number, fail: (message: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let position = 0;
  let previous: HeaderEntry | undefined;
  for (const entry of sorted) {
    if (entry.begin < position && previous !== undefined) {
      fail(`tensor "${entry.name}" (bytes ${entry.begin}..${entry.end}) overlaps tensor "${previous.name}" (bytes ${previous.begin}..${previous.end}). ${FIX_HINT}`);
    }
    if (entry.begin > position) {
      fail(`bytes ${position}..${entry.begin} of the data section belong to no tensor (the gap ends at tensor "${entry.name}"). ${FIX_HINT}`);
    }
    position = entry.end;
    previous = entry;
  }
  if (position < dataLength) {
    fail(`${dataLength - position} trailing bytes follow the last tensor (data section is ${dataLength} bytes, tensors end at ${position}). ${FIX_HINT}`);
  }
}

function decodeToF32(view: DataView, byteOffset: number, count: number, dtype: SafetensorsDtype): Float32Array {
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(byteOffset + 4 * i, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = f16BitsToNumber(view.getUint16(byteOffset + 2 * i, true));
  } else {
    // bfloat16 is the upper half of an f32, so shifting the bits up 16 places restores the value.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(byteOffset + 2 * i, true) << 16;
  }
  return out;
}

/** Converts IEEE 754 binary16 bits to a number, including subnormals, infinities and NaN. */
export function f16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/**
 * Serializes f32 tensors as a safetensors file, in the map's order, with "__metadata__":
 * {"format": "pt"} so that PyTorch `transformers` loads it. The header is padded with spaces to a
 * multiple of 8 bytes, so every tensor starts 8-byte aligned.
 */
export function writeSafetensors(tensors: Map<string, { shape: number[]; data: Float32Array }>): Uint8Array {
  const header: Record<string, unknown> = { [METADATA_KEY]: { format: 'pt' } };
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const elementCount = tensor.shape.reduce((product, size) => product * size, 1);
    if (elementCount !== tensor.data.length) {
      throw new Error(`writeSafetensors: tensor "${name}" has shape [${tensor.shape}] (${elementCount} values) but ${tensor.data.length} values.`);
    }
    header[name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + 4 * elementCount] };
    offset += 4 * elementCount;
  }

  let headerText = JSON.stringify(header);
  const unpadded = new TextEncoder().encode(headerText).length;
  headerText += ' '.repeat((8 - (unpadded % 8)) % 8);
  const headerBytes = new TextEncoder().encode(headerText);

  const out = new Uint8Array(HEADER_SIZE_BYTES + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, HEADER_SIZE_BYTES);
  let position = HEADER_SIZE_BYTES + headerBytes.length;
  for (const tensor of tensors.values()) {
    for (let i = 0; i < tensor.data.length; i++, position += 4) view.setFloat32(position, tensor.data[i], true);
  }
  return out;
}
