/**
 * The location a JSON.parse error points at, for messages that name a line and column as an editor
 * does. V8 in Node 20 names a character offset ("… in JSON at position 239"). Node 21 and later
 * append "(line L column C)", which is dropped here and recomputed from the offset.
 */
export interface JsonErrorLocation {
  /** The engine's message without the position, such as "Expected ',' or '}' after property value". */
  detail: string;
  /** UTF-16 offset into the text, clamped to its length. */
  offset: number;
  /** 1-based line and column of the offset. */
  line: number;
  column: number;
}

/** Returns the 1-based line and column of the UTF-16 offset `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** Returns the location a JSON.parse error `message` names in `text`, or null when it names none. */
export function locateJsonError(message: string, text: string): JsonErrorLocation | null {
  const match = /^(.*?)(?: in JSON)? at position (\d+)(?: \(line \d+ column \d+\))?$/s.exec(message);
  if (!match) return null;
  const offset = Math.min(Number(match[2]), text.length);
  return { detail: match[1].trim(), offset, ...lineAndColumn(text, offset) };
}
