import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SUBZERO } from '../../app/run/config';
import type { RunConfig } from '../../app/run/types';
import { deriveRunForm, setFreezeEmbeddings, setOptimizer, setTask, useConfigStore } from '../../app/store/config';

function form() {
  return { ...useConfigStore.getState(), embeddedModelContext: { status: 'valid' as const, value: { nPositions: 128, source: 'gpt2-moby' } } };
}

function derivedConfig(): RunConfig | null {
  return deriveRunForm(form()).config;
}

afterEach(() => {
  setOptimizer('subzero');
  setTask('language-model');
});

describe('run form', () => {
  it('derives DEFAULT_CONFIG', () => {
    expect(derivedConfig()).toEqual(DEFAULT_CONFIG);
  });

  it('adds freezeEmbeddings when checked', () => {
    setFreezeEmbeddings(false);
    expect(derivedConfig()?.optimizer).not.toHaveProperty('freezeEmbeddings');
    setFreezeEmbeddings(true);
    expect(derivedConfig()?.optimizer).toMatchObject({ name: 'subzero', freezeEmbeddings: true });
  });

  it('loads each optimizer default', () => {
    setOptimizer('mezo');
    expect(derivedConfig()?.optimizer).toEqual(DEFAULT_MEZO);
    setOptimizer('subzero');
    expect(derivedConfig()?.optimizer).toEqual(DEFAULT_SUBZERO);
  });

  it('keeps the language-model form across tasks', () => {
    setTask('vision');
    expect(derivedConfig()).toEqual(DEFAULT_CONFIG);
  });
});
