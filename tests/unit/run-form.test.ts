import { afterEach, describe, expect, it } from 'vitest';
import { parseHubReference } from '../../app/model/hub';
import { DEFAULT_CONFIG, DEFAULT_MEZO, DEFAULT_SUBZERO, validateRunConfig } from '../../app/run/config';
import type { LanguageModelRunConfig, RunConfig } from '../../app/run/types';
import {
  deriveRunForm,
  hubContextUnknown,
  loadLanguageModelForm,
  rememberHubModelContext,
  resetLanguageModelForm,
  setDraft,
  setFreezeEmbeddings,
  setHubText,
  setModelChoice,
  setOptimizer,
  setTask,
  useConfigStore,
} from '../../app/store/config';

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

/** Returns the message that `action` throws; fails the test when it does not throw. */
function thrownMessage(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the call to throw');
}

describe('run form with a Hub model', () => {
  afterEach(() => resetLanguageModelForm());

  function chooseHub(text: string) {
    setModelChoice('hub');
    setHubText(text);
  }

  it.each([
    ['owner/name', 'openai-community/gpt2', 'main'],
    ['owner/name@revision', 'openai-community/gpt2@v1.0', 'v1.0'],
    ['page URL', 'https://huggingface.co/openai-community/gpt2', 'main'],
    ['tree URL', 'https://huggingface.co/openai-community/gpt2/tree/refs%2Fpr%2F3', 'refs/pr/3'],
    ['www URL', 'https://www.huggingface.co/openai-community/gpt2/blob/dev/config.json', 'dev'],
  ])('derives the model from %s', (_kind, text, revision) => {
    chooseHub(text);
    const derived = deriveRunForm(form());
    expect(derived.fieldProblems).toEqual({});
    const config = derived.config as LanguageModelRunConfig;
    expect(config.model).toEqual({ kind: 'hub', repo: 'openai-community/gpt2', revision });
    expect(validateRunConfig(config)).toEqual([]);
  });

  it('shows the parser message for invalid text', () => {
    for (const text of ['gpt2', 'owner/name@bad revision', 'owner/na..me', 'https://huggingface.co/owner']) {
      chooseHub(text);
      const derived = deriveRunForm(form());
      expect(derived.config, text).toBeNull();
      expect(derived.fieldProblems.model, text).toEqual([thrownMessage(() => parseHubReference(text))]);
      expect(derived.otherProblems, text).toEqual([]);
    }
  });

  it('rejects an empty field', () => {
    chooseHub('   ');
    const derived = deriveRunForm(form());
    expect(derived.config).toBeNull();
    expect(derived.fieldProblems.model).toEqual(['model: type a Hugging Face repository such as openai-community/gpt2, owner/name@revision, or a huggingface.co URL']);
  });

  it('rejects a URL of another host', () => {
    chooseHub('https://hf-mirror.example/openai-community/gpt2');
    const derived = deriveRunForm(form());
    expect(derived.config).toBeNull();
    expect(derived.fieldProblems.model?.[0]).toContain('is not on https://huggingface.co');
  });

  it('accepts a long sequence before the context is known', () => {
    setDraft('sequenceLength', '1000');
    const embedded = deriveRunForm(form());
    expect(embedded.fieldProblems.sequenceLength?.[0]).toContain("Sequence length 1000 exceeds the model's context of 128 tokens");
    expect(hubContextUnknown(form())).toBe(false);

    chooseHub('openai-community/gpt2');
    const hub = deriveRunForm(form());
    expect(hub.fieldProblems).toEqual({});
    expect((hub.config as LanguageModelRunConfig).sequenceLength).toBe(1000);
    expect(hubContextUnknown(form())).toBe(true);

    // The schema's own bound still applies.
    setDraft('sequenceLength', '5000');
    expect(deriveRunForm(form()).fieldProblems.sequenceLength?.[0]).toMatch(/^sequenceLength must be <= 4096/);
  });

  it('checks the sequence once the context is known', () => {
    chooseHub('openai-community/gpt2@main');
    setDraft('sequenceLength', '1000');
    rememberHubModelContext('openai-community/gpt2', 'main', 1024);
    expect(hubContextUnknown(form())).toBe(false);
    expect(deriveRunForm(form()).fieldProblems).toEqual({});

    setDraft('sequenceLength', '2048');
    expect(deriveRunForm(form()).fieldProblems.sequenceLength).toEqual([
      "Sequence length 2048 exceeds the model's context of 1024 tokens (n_positions of config.json of openai-community/gpt2); use at most 1024",
    ]);

    // Another revision's context is still unknown.
    setHubText('openai-community/gpt2@dev');
    expect(hubContextUnknown(form())).toBe(true);
    expect(deriveRunForm(form()).fieldProblems).toEqual({});
  });

  it('loads a Hub config into the form', () => {
    const config: LanguageModelRunConfig = { ...DEFAULT_CONFIG, model: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'v2' }, sequenceLength: 512 };
    loadLanguageModelForm(config);
    expect(useConfigStore.getState().modelChoice).toBe('hub');
    expect(useConfigStore.getState().hubText).toBe('openai-community/gpt2@v2');
    expect(deriveRunForm(form()).config).toEqual(config);

    // A pasted URL that names the same model stays as pasted; another model replaces it.
    setHubText('https://huggingface.co/openai-community/gpt2/tree/v2');
    loadLanguageModelForm(config);
    expect(useConfigStore.getState().hubText).toBe('https://huggingface.co/openai-community/gpt2/tree/v2');
    loadLanguageModelForm({ ...config, model: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'main' } });
    expect(useConfigStore.getState().hubText).toBe('openai-community/gpt2');

    // An embedded config switches the choice back and keeps the typed text for later.
    loadLanguageModelForm(DEFAULT_CONFIG);
    expect(useConfigStore.getState().modelChoice).toBe('embedded');
    expect(useConfigStore.getState().hubText).toBe('openai-community/gpt2');
  });
});
