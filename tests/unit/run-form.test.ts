import { describe, expect, it } from 'vitest';
import { deriveRunForm, setFreezeEmbeddings, useConfigStore } from '../../app/store/config';

describe('run form', () => {
  it('adds freezeEmbeddings when checked', () => {
    const form = () => ({ ...useConfigStore.getState(), embeddedModelContext: { status: 'valid' as const, value: { nPositions: 128, source: 'gpt2-moby' } } });
    expect(deriveRunForm(form()).config?.optimizer).not.toHaveProperty('freezeEmbeddings');
    setFreezeEmbeddings(true);
    expect(deriveRunForm(form()).config?.optimizer).toMatchObject({ name: 'subzero', freezeEmbeddings: true });
    setFreezeEmbeddings(false);
  });
});
