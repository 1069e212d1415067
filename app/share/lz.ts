/**
 * A bounded decoder for lz-string's `compressToEncodedURIComponent` format (lz-string 1.5.0).
 *
 * lz-string's own decompressor has no output limit, and the format expands quadratically: each code
 * can repeat a dictionary entry one character longer than the last, so a 200 kB link (about 70,000
 * codes) can decode to billions of characters. This decoder stops as soon as the output would pass `maxLength` characters, before it
 * allocates more. It needs no more memory than the output itself, because every dictionary entry is
 * a substring of the output decoded so far and is stored as an (offset, length) pair.
 *
 * The format, as lz-string writes it: the payload is a string over a 64-character alphabet, each
 * character carrying 6 bits, most significant first. Codes are read as `width`-bit little-endian
 * integers. Code 0 is followed by an 8-bit character, code 1 by a 16-bit one (each becomes a new
 * dictionary entry), code 2 ends the stream, and a code ≥ 3 is a dictionary entry. After each
 * entry is output, the previous entry plus the first character of this one joins the dictionary.
 * A code equal to the next free index names that new entry before it exists, so it decodes to the
 * previous entry plus the previous entry's first character.
 * The width starts at 2 bits for the first code and 3 after it, and grows by one bit each time the
 * dictionary reaches a power of two.
 */

/** The 64 characters of compressToEncodedURIComponent, in value order. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
const BITS_PER_CHARACTER = 6;

const VALUE_OF = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE_OF[ALPHABET.charCodeAt(i)] = i;

const END_OF_STREAM = 2;
const FIRST_ENTRY = 3;

/** Error of a payload that could not be decompressed, with the input offset where decoding stopped. */
export class DecompressionError extends Error {
  constructor(
    message: string,
    /** Characters of input read when decoding stopped. */
    readonly inputOffset: number,
    /** True when the output limit, not corrupt data, stopped decoding. */
    readonly overLimit = false,
  ) {
    super(message);
    this.name = 'DecompressionError';
  }
}

/**
 * Decompresses `input` (compressToEncodedURIComponent output) to at most `maxLength` UTF-16 code
 * units. Throws DecompressionError on a character outside the alphabet, a truncated stream, an
 * invalid code, data after the end marker, or output that would pass `maxLength`. Spaces read as
 * '+', as lz-string does, since some URL decoders turn '+' into a space.
 */
export function decompressBounded(input: string, maxLength: number): string {
  const text = input.replaceAll(' ', '+');
  let inputIndex = 0;
  let character = 0;
  let mask = 0;

  const readBits = (width: number): number => {
    let value = 0;
    for (let bit = 0; bit < width; bit++) {
      if (mask === 0) {
        if (inputIndex >= text.length) throw new DecompressionError('the data ends before its end marker (truncated?)', inputIndex);
        const code = text.charCodeAt(inputIndex);
        const digit = code < 128 ? VALUE_OF[code] : -1;
        if (digit < 0) throw new DecompressionError(`character ${JSON.stringify(text[inputIndex])} at offset ${inputIndex} is not in the URL-safe alphabet`, inputIndex);
        character = digit;
        mask = 1 << (BITS_PER_CHARACTER - 1);
        inputIndex++;
      }
      if (character & mask) value |= 1 << bit;
      mask >>= 1;
    }
    return value;
  };

  let output = new Uint16Array(Math.min(Math.max(maxLength, 1), 1 << 16));
  let length = 0;
  const reserve = (extra: number) => {
    const needed = length + extra;
    if (needed > maxLength) {
      throw new DecompressionError(`the data expands to more than ${maxLength} characters`, inputIndex, true);
    }
    if (needed > output.length) {
      const grown = new Uint16Array(Math.min(maxLength, Math.max(needed, output.length * 2)));
      grown.set(output.subarray(0, length));
      output = grown;
    }
  };

  // Dictionary entries FIRST_ENTRY and up, as offsets and lengths into `output`.
  const entryStart: number[] = [0, 0, 0];
  const entryLength: number[] = [0, 0, 0];

  const appendLiteral = (code: number): number => {
    const value = readBits(code === 0 ? 8 : 16);
    reserve(1);
    output[length] = value;
    entryStart.push(length);
    entryLength.push(1);
    return length++;
  };

  const first = readBits(2);
  if (first === END_OF_STREAM) return '';
  if (first > END_OF_STREAM) throw new DecompressionError(`the first code is ${first}, not a character`, inputIndex);
  // The previous entry `w` always ends where the output ends, so w plus the next entry's first
  // character is the substring (previousStart, previousLength + 1).
  let previousStart = appendLiteral(first);
  let previousLength = 1;
  let width = 3;
  let untilWider = 4;

  for (;;) {
    const code = readBits(width);
    if (code === END_OF_STREAM) break;
    let start: number;
    let entryLengthNow: number;
    if (code < END_OF_STREAM) {
      start = appendLiteral(code);
      entryLengthNow = 1;
      untilWider--;
      if (untilWider === 0) {
        untilWider = 1 << width;
        width++;
      }
    } else {
      const dictionarySize = entryStart.length;
      if (code < dictionarySize) {
        entryLengthNow = entryLength[code];
        reserve(entryLengthNow);
        output.copyWithin(length, entryStart[code], entryStart[code] + entryLengthNow);
      } else if (code === dictionarySize) {
        entryLengthNow = previousLength + 1;
        reserve(entryLengthNow);
        output.copyWithin(length, previousStart, previousStart + previousLength);
        output[length + previousLength] = output[previousStart];
      } else {
        throw new DecompressionError(`code ${code} refers past the dictionary's ${dictionarySize} entries`, inputIndex);
      }
      start = length;
      length += entryLengthNow;
    }
    entryStart.push(previousStart);
    entryLength.push(previousLength + 1);
    untilWider--;
    previousStart = start;
    previousLength = entryLengthNow;
    if (untilWider === 0) {
      untilWider = 1 << width;
      width++;
    }
    if (width > 30) throw new DecompressionError('the code width passed 30 bits', inputIndex);
  }

  // lz-string pads the last character with zero bits, and adds one all-zero character when the end
  // marker ends exactly on a character boundary. Anything else after the marker is not its output.
  const trailing = text.slice(inputIndex);
  const paddingBits = mask === 0 ? 0 : character & ((mask << 1) - 1);
  const allowedTrailing = mask === 0 ? trailing === '' || trailing === ALPHABET[0] : trailing === '';
  if (!allowedTrailing || paddingBits !== 0) {
    throw new DecompressionError(`${trailing.length} unexpected character${trailing.length === 1 ? '' : 's'} or non-zero padding follow the end marker`, inputIndex);
  }
  return decodeUtf16(output, length);
}

function decodeUtf16(units: Uint16Array, length: number): string {
  const chunks: string[] = [];
  const chunkSize = 8192;
  for (let start = 0; start < length; start += chunkSize) {
    chunks.push(String.fromCharCode(...units.subarray(start, Math.min(length, start + chunkSize))));
  }
  return chunks.join('');
}
