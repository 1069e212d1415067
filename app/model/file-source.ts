/**
 * Where a model file came from, so that a loader's error ends with an action the user can take:
 * on the page the user picks another file, in the CLI the user fixes or replaces it on disk.
 */
export type ModelFileSource = { kind: 'picked' } | { kind: 'disk'; dir: string };

/** A file the user picked in the page's file input. */
export const PICKED_FILE: ModelFileSource = { kind: 'picked' };

/** Returns the sentence that tells the user what to do with a bad `file`: `pickAdvice` on the page. */
export function fileAdvice(source: ModelFileSource, file: string, pickAdvice: string): string {
  return source.kind === 'picked' ? pickAdvice : `Fix or replace ${file} in ${source.dir}.`;
}

/**
 * Describes a JSON.parse error of `text`. For a file on disk the position in V8's message
 * ("… in JSON at position N") becomes a line and column, because an editor shows those.
 * Without a position, and on the page, the engine's message is quoted as it is.
 */
export function describeJsonSyntaxError(error: unknown, text: string, source: ModelFileSource): string {
  const reason = error instanceof Error ? error.message : String(error);
  const match = / in JSON at position (\d+)/.exec(reason);
  if (source.kind === 'picked' || !match) return `not valid JSON (${reason})`;

  const position = Math.min(Number(match[1]), text.length);
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - (before.lastIndexOf('\n') + 1) + 1;
  const detail = reason.slice(0, match.index).trim();
  return `not valid JSON at line ${line}, column ${column}: ${detail}`;
}
