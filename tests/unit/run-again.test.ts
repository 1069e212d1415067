/**
 * What a shared comparison needs before it runs again: uploaded files checked by SHA-256, model
 * files, and consent before a Hub download.
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../app/run/config';
import type { LanguageModelRunConfig } from '../../app/run/types';
import { buildComparison, type Comparison } from '../../app/share';
import { markReady, openSharedComparison, resetComparisonStore, useComparisonStore } from '../../app/store/comparison';
import { forgetVerifiedUploads, verifiedUploadFor } from '../../app/store/file-hashes';
import {
  adoptForRunAgain,
  checkRunAgainFiles,
  forgetDownloadConfirmations,
  hubDownloadOf,
  isDownloadConfirmed,
  needsPrompt,
  readyToRun,
  runAgainNeeds,
  useDownloadRequestStore,
} from '../../app/store/run-again';

const TEXT = 'An address to the nation.\n';

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function uploadComparison(): Comparison {
  const config: LanguageModelRunConfig = { ...DEFAULT_CONFIG, dataset: { kind: 'upload', name: 'speeches.txt', size: TEXT.length } };
  return buildComparison([config], { datasetFiles: [{ name: 'speeches.txt', size: TEXT.length, sha256: sha256(TEXT) }] });
}

function hubComparison(): Comparison {
  return buildComparison([{ ...DEFAULT_CONFIG, model: { kind: 'hub', repo: 'openai-community/gpt2', revision: 'main' } }]);
}

beforeEach(() => {
  resetComparisonStore();
  markReady();
  forgetVerifiedUploads();
  forgetDownloadConfirmations();
  useDownloadRequestStore.setState({ request: null });
});

describe('run again needs', () => {
  it('needs nothing for embedded sources', () => {
    const needs = runAgainNeeds(buildComparison([DEFAULT_CONFIG]));
    expect(needs).toEqual({ dataset: null, model: null, download: null });
    expect(needsPrompt(needs)).toBe(false);
  });

  it('lists an uploaded dataset', () => {
    const needs = runAgainNeeds(uploadComparison());
    expect(needs.dataset).toEqual({ name: 'speeches.txt', files: [{ name: 'speeches.txt', size: TEXT.length, sha256: sha256(TEXT) }] });
    expect(needsPrompt(needs)).toBe(true);
  });

  it('lists a Hub download', () => {
    const download = hubDownloadOf(hubComparison());
    expect(download).toEqual({ repo: 'openai-community/gpt2', revision: 'main', pageUrl: 'https://huggingface.co/openai-community/gpt2/tree/main' });
    expect(needsPrompt(runAgainNeeds(hubComparison()))).toBe(true);
  });
});

describe('run again check', () => {
  it('accepts the same bytes', async () => {
    const check = await checkRunAgainFiles(runAgainNeeds(uploadComparison()), [new File([TEXT], 'speeches.txt')], []);
    expect(check).toEqual({ ok: true, problems: [], warnings: [] });
  });

  it('accepts a renamed copy with a warning', async () => {
    const check = await checkRunAgainFiles(runAgainNeeds(uploadComparison()), [new File([TEXT], 'copy.txt')], []);
    expect(check.ok).toBe(true);
    expect(check.warnings[0]).toContain('"copy.txt" is checked against "speeches.txt"');
  });

  it('rejects other bytes by SHA-256', async () => {
    const other = TEXT.replace('nation', 'Nation');
    const check = await checkRunAgainFiles(runAgainNeeds(uploadComparison()), [new File([other], 'speeches.txt')], []);
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toContain(`has SHA-256 ${sha256(other)}`);
  });

  it('rejects a missing file', async () => {
    const check = await checkRunAgainFiles(runAgainNeeds(uploadComparison()), [], []);
    expect(check.problems).toEqual(['Pick the dataset file "speeches.txt".']);
  });

  it('requires consent to a Hub download', async () => {
    const needs = runAgainNeeds(hubComparison());
    const refused = await checkRunAgainFiles(needs, [], [], false);
    expect(refused.ok).toBe(false);
    expect(refused.problems[0]).toContain('Agree to download openai-community/gpt2 (revision main) from https://huggingface.co');
    expect(isDownloadConfirmed(needs.download!)).toBe(false);

    const agreed = await checkRunAgainFiles(needs, [], [], true);
    expect(agreed.ok).toBe(true);
    expect(isDownloadConfirmed(needs.download!)).toBe(true);
  });

  it('checks model files by name without references', async () => {
    const model = buildComparison([{ ...DEFAULT_CONFIG, model: { kind: 'files', name: 'model.safetensors' } }]);
    const needs = runAgainNeeds(model);
    const missing = await checkRunAgainFiles(needs, [], [new File(['{}'], 'config.json')]);
    expect(missing.problems).toEqual(['tokenizer.json is missing; pick it with the other model files.', 'model.safetensors is missing; pick the model\'s .safetensors file.']);
    const complete = await checkRunAgainFiles(needs, [], [new File(['{}'], 'config.json'), new File(['{}'], 'tokenizer.json'), new File(['x'], 'model.safetensors')]);
    expect(complete.ok).toBe(true);
    expect(complete.warnings).toEqual(['The link has no SHA-256 of the model files, so only their names are checked.']);
  });
});

describe('run again', () => {
  it('adopts the link without results and keeps the files', () => {
    const shared = uploadComparison();
    const file = new File([TEXT], 'speeches.txt');
    openSharedComparison(shared);
    const runIds = adoptForRunAgain([file], []);
    expect(runIds).toEqual(['subzero']);
    const state = useComparisonStore.getState();
    expect(state.shared).toBeNull();
    expect(state.local['language-model'].comparison.dataset).toEqual(shared.dataset);
    expect(verifiedUploadFor(shared.dataset)).toEqual([file]);
  });

  it('holds runs until a Hub download is agreed', () => {
    const comparison = hubComparison();
    expect(readyToRun(comparison, ['subzero'])).toBe(false);
    expect(useDownloadRequestStore.getState().request).toEqual({ download: hubDownloadOf(comparison), runIds: ['subzero'] });
  });

  it('runs at once without a download', () => {
    expect(readyToRun(buildComparison([DEFAULT_CONFIG]), ['subzero'])).toBe(true);
    expect(useDownloadRequestStore.getState().request).toBeNull();
  });
});
