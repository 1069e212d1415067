import { locateJsonError } from '../data/json-error';

/**
 * The origin of a model file, so that a loader's error ends with an action the user can take:
 * on the page the user picks another file, in the CLI the user fixes or replaces it on disk.
 */
export type ModelFileSource = { kind: 'picked' } | { kind: 'disk'; dir: string };

/** A file the user picked in the page's file input. */
export const PICKED_FILE: ModelFileSource = { kind: 'picked' };

/** Returns the sentence with the action for a bad `file`: `pickAdvice` on the page, fix or replace on disk. */
export function fileAdvice(source: ModelFileSource, file: string, pickAdvice: string): string {
  return source.kind === 'picked' ? pickAdvice : `Fix or replace ${file} in ${source.dir}.`;
}

/**
 * Describes a JSON.parse error of `text`. For a file on disk the position in the engine's message
 * becomes a line and column (see locateJsonError), because an editor shows those. Without a
 * position, and on the page, the engine's message is quoted as it is.
 */
export function describeJsonSyntaxError(error: unknown, text: string, source: ModelFileSource): string {
  const reason = error instanceof Error ? error.message : String(error);
  const location = source.kind === 'disk' ? locateJsonError(reason, text) : null;
  if (!location) return `not valid JSON (${reason})`;
  return `not valid JSON at line ${location.line}, column ${location.column}: ${location.detail}`;
}
