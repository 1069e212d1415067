/**
 * CSV image datasets: one image per row, the label (an integer from 0) in the first column and the
 * pixel values (0–255) after it, as in the Kaggle MNIST and Fashion-MNIST CSV files. Pixels run in
 * NHWC order (row by row, channels interleaved). The first row is a header when its first field
 * or more than half of its fields are not numbers, so a data row with a few bad pixels is reported
 * as such. Fields are separated by commas and may be enclosed in double quotes; blank lines
 * are skipped. Non-integer pixel values are rounded to the nearest integer.
 * Line and column numbers in messages count from 1, as editors show them.
 */
import { asBytes, formatCount, ImageDatasetError } from './errors';
import { describeShape, MAX_CLASSES, numberedClasses, type ImageShape, type RawImageSet } from './image-dataset';

export interface ImageCsvOptions {
  /**
   * Image shape. Without it every row must have a square number of pixel columns, read as a
   * grayscale square image.
   */
  shape?: ImageShape;
  /** Class names; labels must be below classes.length. Default: "0" … the largest label. */
  classes?: readonly string[];
}

/** A parsed CSV image set with the line of each image, so that later checks can name the row. */
export interface CsvImageSet extends RawImageSet {
  /** Line number (from 1) of each image's row. */
  lines: Uint32Array;
}

/** Problems listed in one error message; the rest are counted. */
const MAX_LISTED_PROBLEMS = 5;
/** Stop after this many problems, so that a file of the wrong kind fails fast. */
const MAX_COLLECTED_PROBLEMS = 1000;

interface CsvRow {
  line: number;
  fields: string[];
}

/** Parses a label-then-pixels CSV file. Throws ImageDatasetError naming the file, line and column of each problem. */
export function parseImageCsv(fileName: string, data: string | Uint8Array | ArrayBuffer, options: ImageCsvOptions = {}): CsvImageSet {
  const text = typeof data === 'string' ? data : new TextDecoder('utf-8').decode(asBytes(data));
  const rows = splitRows(fileName, text);
  if (rows.length === 0) {
    throw new ImageDatasetError(fileName, 'the file contains no rows. Expected one image per row: the label, then the pixel values.');
  }

  const header = isHeaderRow(rows[0]) ? rows[0] : null;
  const dataRows = header ? rows.slice(1) : rows;
  if (dataRows.length === 0) {
    throw new ImageDatasetError(fileName, `the file has only a header row (line ${header?.line}) and no images.`);
  }

  const first = dataRows[0];
  const columns = first.fields.length;
  const shape = resolveShape(fileName, first, columns - 1, options.shape);
  if (header && header.fields.length !== columns) {
    throw new ImageDatasetError(
      fileName,
      `the header row (line ${header.line}) has ${header.fields.length} columns but line ${first.line} has ${columns}. The header needs one column for the label and one per pixel.`,
      `line ${header.line}`,
    );
  }

  const pixelCount = columns - 1;
  const pixels = new Uint8Array(dataRows.length * pixelCount);
  const labels = new Uint32Array(dataRows.length);
  const problems: string[] = [];
  let problemCount = 0;
  let firstProblemLine = 0;
  const report = (line: number, message: string) => {
    if (problemCount === 0) firstProblemLine = line;
    problemCount++;
    if (problems.length < MAX_LISTED_PROBLEMS) problems.push(`line ${line}: ${message}`);
  };

  for (let r = 0; r < dataRows.length && problemCount < MAX_COLLECTED_PROBLEMS; r++) {
    const row = dataRows[r];
    if (row.fields.length !== columns) {
      report(row.line, `${row.fields.length - 1} pixel columns, but line ${first.line} has ${pixelCount}; every row needs the same number`);
      continue;
    }

    const label = parseLabel(row.fields[0]);
    if (label === null) report(row.line, `column 1 (label) is ${quote(row.fields[0])}; expected an integer from 0`);
    else labels[r] = label;

    for (let p = 0; p < pixelCount; p++) {
      const field = row.fields[p + 1];
      const value = field === '' ? NaN : Number(field);
      if (Number.isFinite(value) && value >= 0 && value <= 255) {
        pixels[r * pixelCount + p] = Math.round(value);
        continue;
      }
      const problem = Number.isFinite(value) ? 'out of range' : 'not a number';
      report(row.line, `column ${p + 2} (pixel ${p + 1}) is ${quote(field)}, ${problem}; expected a value from 0 to 255`);
      if (problemCount >= MAX_COLLECTED_PROBLEMS) break;
    }
  }
  if (problemCount > 0) {
    const more = problemCount > problems.length ? `; and ${problemCount >= MAX_COLLECTED_PROBLEMS ? 'at least ' : ''}${formatCount(problemCount - problems.length)} more` : '';
    throw new ImageDatasetError(
      fileName,
      `${problems.join('; ')}${more}. Each row must be a label (an integer from 0) followed by ${formatCount(pixelCount)} pixel values from 0 to 255.`,
      `line ${firstProblemLine}`,
    );
  }

  const classes = resolveClasses(fileName, dataRows, labels, options.classes);
  const lines = Uint32Array.from(dataRows, (row) => row.line);
  return { name: fileName, ...shape, classes, count: dataRows.length, pixels, labels, lines };
}

function splitRows(fileName: string, text: string): CsvRow[] {
  const rows: CsvRow[] = [];
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  lines.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    rows.push({ line: index + 1, fields: line.split(',').map((field) => unquote(fileName, index + 1, field.trim())) });
  });
  return rows;
}

function unquote(fileName: string, line: number, field: string): string {
  if (!field.startsWith('"')) return field;
  if (field.length < 2 || !field.endsWith('"')) {
    throw new ImageDatasetError(fileName, `line ${line}: the field ${quote(field)} opens a double quote but does not close it. Image CSV fields hold single numbers.`, `line ${line}`);
  }
  return field.slice(1, -1).trim();
}

function isHeaderRow(row: CsvRow): boolean {
  const isNumber = (field: string) => field !== '' && Number.isFinite(Number(field));
  const nonNumeric = row.fields.filter((field) => !isNumber(field)).length;
  return !isNumber(row.fields[0]) || nonNumeric * 2 > row.fields.length;
}

function parseLabel(field: string): number | null {
  if (!/^\+?\d+(\.0*)?$/.test(field)) return null;
  const value = Number(field);
  return Number.isSafeInteger(value) ? value : null;
}

function resolveShape(fileName: string, first: CsvRow, pixelCount: number, shape: ImageShape | undefined): ImageShape {
  if (pixelCount < 1) {
    throw new ImageDatasetError(fileName, `line ${first.line} has ${first.fields.length} column(s); expected the label followed by the pixel values.`, `line ${first.line}`);
  }
  if (shape) {
    const expected = shape.width * shape.height * shape.channels;
    if (expected !== pixelCount) {
      throw new ImageDatasetError(
        fileName,
        `line ${first.line} has ${formatCount(pixelCount)} pixel columns, but the shape ${describeShape(shape)} needs ${formatCount(expected)}. Check the shape or the file.`,
        `line ${first.line}`,
      );
    }
    return { width: shape.width, height: shape.height, channels: shape.channels };
  }

  const side = Math.round(Math.sqrt(pixelCount));
  if (side * side !== pixelCount) {
    throw new ImageDatasetError(
      fileName,
      `line ${first.line} has ${formatCount(pixelCount)} pixel columns, which is not a perfect square, so the image size is unknown (a ${side}×${side} grayscale image has ${formatCount(side * side)}). Give the image shape, or check that the label is the only extra column.`,
      `line ${first.line}`,
    );
  }
  return { width: side, height: side, channels: 1 };
}

function resolveClasses(fileName: string, rows: CsvRow[], labels: Uint32Array, classes: readonly string[] | undefined): string[] {
  let max = 0;
  let maxIndex = 0;
  labels.forEach((label, index) => {
    if (label > max) {
      max = label;
      maxIndex = index;
    }
  });

  if (!classes) {
    if (max + 1 > MAX_CLASSES) {
      throw new ImageDatasetError(fileName, `line ${rows[maxIndex].line}: label ${max} implies ${formatCount(max + 1)} classes; at most ${MAX_CLASSES} are supported. Is the label in the first column?`, `line ${rows[maxIndex].line}`);
    }
    return numberedClasses(max + 1);
  }

  const invalid: string[] = [];
  let invalidCount = 0;
  labels.forEach((label, index) => {
    if (label < classes.length) return;
    invalidCount++;
    if (invalid.length < MAX_LISTED_PROBLEMS) invalid.push(`line ${rows[index].line}: label ${label}`);
  });
  if (invalidCount > 0) {
    const more = invalidCount > invalid.length ? `; and ${formatCount(invalidCount - invalid.length)} more` : '';
    throw new ImageDatasetError(fileName, `${invalid.join('; ')}${more}; expected labels from 0 to ${classes.length - 1} for ${classes.length} classes.`, invalid[0].split(':')[0]);
  }
  return [...classes];
}

function quote(field: string): string {
  const shown = field.length > 20 ? `${field.slice(0, 20)}…` : field;
  return JSON.stringify(shown);
}
