import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validateComparison } from '../../app/share';

const DOC = new URL('../../docs/COMPARISON-FORMAT.md', import.meta.url);

/** Returns the JSON code block that follows the `<!-- complete-example -->` marker. */
function completeExample(markdown: string): unknown {
  const marker = markdown.indexOf('<!-- complete-example -->');
  expect(marker, 'marker in docs/COMPARISON-FORMAT.md').toBeGreaterThanOrEqual(0);
  const match = /```json\n([\s\S]*?)\n```/.exec(markdown.slice(marker));
  expect(match, 'JSON block after the marker').not.toBeNull();
  return JSON.parse(match![1]);
}

describe('comparison format doc', () => {
  it('has a valid complete example', () => {
    const example = completeExample(readFileSync(DOC, 'utf8'));
    expect(validateComparison(example)).toEqual([]);
  });
});
