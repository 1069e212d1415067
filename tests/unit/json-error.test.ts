import { describe, expect, it } from 'vitest';
import { lineAndColumn, locateJsonError } from '../../app/data/json-error';

describe('JSON error location', () => {
  const text = '{\n  "a": 1\n  "b": 2\n}';

  it('turns a V8 position into line and column', () => {
    expect(locateJsonError("Expected ',' or '}' after property value in JSON at position 13", text)).toEqual({
      detail: "Expected ',' or '}' after property value",
      offset: 13,
      line: 3,
      column: 3,
    });
  });

  it('drops the line and column Node 21 appends', () => {
    const location = locateJsonError("Expected ',' or '}' after property value in JSON at position 13 (line 3 column 3)", text);
    expect(location?.detail).toBe("Expected ',' or '}' after property value");
    expect(location?.line).toBe(3);
  });

  it('returns null without a position', () => {
    expect(locateJsonError('Unexpected end of JSON input', text)).toBeNull();
  });

  it('clamps a position past the end', () => {
    expect(locateJsonError('Unterminated string in JSON at position 999', text)?.offset).toBe(text.length);
  });

  it('counts lines and columns from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
  });
});
