/** Comparisons whose model comes from a Hugging Face repository travel through links like any other. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_MEZO } from '../../app/run/config';
import type { LanguageModelRunConfig } from '../../app/run/types';
import { buildComparison, decodeComparison, encodeComparison, runConfigOf } from '../../app/share';

const hubConfig: LanguageModelRunConfig = { ...DEFAULT_CONFIG, model: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'main' } };

describe('share links with a Hub model', () => {
  it('round-trips the repository and revision', () => {
    const comparison = buildComparison([hubConfig, { ...hubConfig, optimizer: DEFAULT_MEZO }]);
    expect(comparison.model).toEqual({ kind: 'hub', repo: 'openai-community/gpt2', revision: 'main' });
    const decoded = decodeComparison(encodeComparison(comparison));
    expect(decoded.ok).toBe(true);
    if (decoded.ok) expect(runConfigOf(decoded.comparison, decoded.comparison.runs[0].id).model).toEqual(hubConfig.model);
  });

  it('rejects a repository id with a path trick', () => {
    const comparison = buildComparison([hubConfig]);
    const tampered = { ...comparison, model: { kind: 'hub', repo: '../../etc', revision: 'main' } };
    const payload = encodeComparison(comparison).replace(/^v1\./, '');
    expect(payload.length).toBeGreaterThan(0);
    // Encode the tampered copy by hand, bypassing encodeComparison's validation.
    return import('lz-string').then(({ default: lz }) => {
      const result = decodeComparison(`v1.${lz.compressToEncodedURIComponent(JSON.stringify(tampered))}`);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.problems.join('\n')).toContain('model');
    });
  });
});
