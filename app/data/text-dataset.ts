/**
 * Text datasets for language-model fine-tuning: parsing of uploaded `.txt`, `.jsonl` and `.csv`
 * files and the train/eval split. Token batching lives in token-windows.ts.
 */
import { parseCsvRecords } from './csv';
import { SeededRng } from './rng';

export { evalBatches, sampleBatch, type TokenBatch } from './token-windows';
export { SeededRng } from './rng';

export const SUPPORTED_TEXT_EXTENSIONS = ['.txt', '.jsonl', '.csv'] as const;

/** Problems listed in one error message; the rest are counted. */
const MAX_LISTED_PROBLEMS = 5;
const TEXT_COLUMN = 'text';

interface LineProblem {
  line: number;
  message: string;
}

/**
 * Parses a dataset file into its texts:
 * - `.txt`: the whole file is one text;
 * - `.jsonl`: one JSON object per line with a string "text" field, blank lines skipped;
 * - `.csv`: RFC 4180 with a header row that has a "text" column.
 * Throws an Error naming the file, the line numbers and what was expected.
 */
export function parseTextDataset(fileName: string, content: string): { texts: string[] } {
  const extension = extensionOf(fileName);
  let texts: string[];
  if (extension === '.txt') {
    texts = [content.charCodeAt(0) === 0xfeff ? content.slice(1) : content];
  } else if (extension === '.jsonl') {
    texts = parseJsonl(fileName, content);
  } else if (extension === '.csv') {
    texts = parseCsv(fileName, content);
  } else {
    throw new Error(`${fileName}: unsupported file type "${extension || '(none)'}". Supported dataset files are ${SUPPORTED_TEXT_EXTENSIONS.join(', ')}.`);
  }

  if (texts.every((text) => text.trim() === '')) {
    throw new Error(`${fileName}: the dataset contains no text. Pick a file with at least one non-empty text.`);
  }
  return { texts };
}

function extensionOf(fileName: string): string {
  const dot = fileName.lastIndexOf('.');
  return dot < 0 ? '' : fileName.slice(dot).toLowerCase();
}

function parseJsonl(fileName: string, content: string): string[] {
  const texts: string[] = [];
  const problems: LineProblem[] = [];
  const lines = content.split('\n');

  lines.forEach((rawLine, index) => {
    const line = index + 1;
    const text = (index === 0 ? rawLine.replace(/^\ufeff/, '') : rawLine).replace(/\r$/, '');
    if (text.trim() === '') return;

    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      problems.push({ line, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` });
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      problems.push({ line, message: `expected a JSON object, got ${preview(text)}` });
      return;
    }
    const field = (value as Record<string, unknown>)[TEXT_COLUMN];
    if (typeof field !== 'string') {
      const got = field === undefined ? 'no "text" field' : `"text" of type ${Array.isArray(field) ? 'array' : typeof field}`;
      problems.push({ line, message: `expected a string "text" field, got ${got}` });
      return;
    }
    texts.push(field);
  });

  throwIfProblems(fileName, problems, 'Each non-blank line must be a JSON object such as {"text": "…"}.');
  return texts;
}

function parseCsv(fileName: string, content: string): string[] {
  const { records, problems } = parseCsvRecords(content);
  throwIfProblems(fileName, problems, 'Fix the quoting: fields with commas, quotes or line breaks must be enclosed in double quotes.');

  const nonEmpty = records.filter((record) => !(record.fields.length === 1 && record.fields[0] === ''));
  if (nonEmpty.length === 0) {
    throw new Error(`${fileName}: the file is empty; expected a header row with a "${TEXT_COLUMN}" column.`);
  }

  const [header, ...rows] = nonEmpty;
  const column = header.fields.findIndex((name) => name.trim().toLowerCase() === TEXT_COLUMN);
  if (column < 0) {
    const columns = header.fields.map((name) => JSON.stringify(name)).join(', ');
    throw new Error(`${fileName}: the header row (line ${header.line}) has no "${TEXT_COLUMN}" column; found ${columns}. Name the column that contains the text "${TEXT_COLUMN}".`);
  }

  const rowProblems: LineProblem[] = [];
  const texts: string[] = [];
  for (const row of rows) {
    if (row.fields.length !== header.fields.length) {
      rowProblems.push({ line: row.line, message: `expected ${header.fields.length} fields like the header, got ${row.fields.length}` });
      continue;
    }
    texts.push(row.fields[column]);
  }
  throwIfProblems(fileName, rowProblems, 'Every row needs as many fields as the header.');
  return texts;
}

function throwIfProblems(fileName: string, problems: LineProblem[], advice: string): void {
  if (problems.length === 0) return;
  const listed = problems.slice(0, MAX_LISTED_PROBLEMS).map((problem) => `line ${problem.line}: ${problem.message}`);
  const more = problems.length > MAX_LISTED_PROBLEMS ? ` (and ${problems.length - MAX_LISTED_PROBLEMS} more)` : '';
  throw new Error(`${fileName}: ${problems.length} invalid line(s)${more}: ${listed.join('; ')}. ${advice}`);
}

function preview(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * Splits texts into train and eval sets, deterministically for a given seed.
 * - Several texts: a seeded shuffle picks round(n · evalFraction) texts (at least 1, at most n − 1)
 *   for eval, and both sets keep the original order.
 * - One text: the last evalFraction of its characters go to eval, cut at the paragraph break
 *   ("\n\n") nearest to that point, else the nearest line break, else exactly at that point.
 */
export function splitTrainEval(
  texts: readonly string[],
  evalFraction: number,
  seed: number,
  fileName = 'the dataset',
): { train: string[]; eval: string[] } {
  if (!(evalFraction > 0 && evalFraction < 1)) {
    throw new Error(`splitTrainEval: evalFraction must be between 0 and 1 (exclusive), got ${evalFraction}.`);
  }
  if (texts.length === 0) {
    throw new Error('splitTrainEval: there are no texts to split.');
  }
  if (texts.length === 1) {
    return splitSingleText(texts[0], evalFraction, fileName);
  }

  const evalCount = Math.min(texts.length - 1, Math.max(1, Math.round(texts.length * evalFraction)));
  const order = texts.map((_, index) => index);
  const rng = new SeededRng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const evalIndices = new Set(order.slice(0, evalCount));
  return {
    train: texts.filter((_, index) => !evalIndices.has(index)),
    eval: texts.filter((_, index) => evalIndices.has(index)),
  };
}

function splitSingleText(text: string, evalFraction: number, fileName: string): { train: string[]; eval: string[] } {
  const target = Math.round(text.length * (1 - evalFraction));
  // Search for a break within a quarter of the eval part around the target, so eval keeps roughly its requested size.
  const radius = Math.max(1, Math.floor((text.length - target) / 4));
  const cut = nearestBreak(text, '\n\n', target, radius) ?? nearestBreak(text, '\n', target, radius) ?? safeCut(text, target);

  const train = text.slice(0, cut);
  const evalText = text.slice(cut);
  if (train.trim() === '' || evalText.trim() === '') {
    throw new Error(tooShortToSplitMessage(fileName, text.length, evalFraction));
  }
  return { train: [train], eval: [evalText] };
}

function tooShortToSplitMessage(fileName: string, characters: number, evalFraction: number): string {
  const percent = Math.round(evalFraction * 100);
  // The eval part is about evalFraction of the tokens, and it must hold one window on its own.
  const factor = Math.ceil(1 / evalFraction);
  return (
    `${fileName}: the text has ${characters} characters, too few to hold out the last ${percent}% for evaluation ` +
    'with text left on both sides of the cut. ' +
    'Each part needs one window of sequence length + 1 tokens, because the target of each position is the next token. ' +
    `So the file needs at least about ${factor} × (sequence length + 1) tokens. Use a longer text or a smaller sequence length.`
  );
}

/** Returns the index just after the occurrence of `separator` nearest to `target`, within `radius`. */
function nearestBreak(text: string, separator: string, target: number, radius: number): number | null {
  const after = text.indexOf(separator, target);
  const before = text.lastIndexOf(separator, target);
  const candidates = [after, before].filter((index) => index >= 0).map((index) => index + separator.length);
  const inRange = candidates.filter((cut) => Math.abs(cut - target) <= radius && cut > 0 && cut < text.length);
  if (inRange.length === 0) return null;
  return inRange.reduce((best, cut) => (Math.abs(cut - target) < Math.abs(best - target) ? cut : best));
}

/** Moves a cut off the middle of a UTF-16 surrogate pair. */
function safeCut(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}
