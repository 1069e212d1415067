import { describe, expect, it } from 'vitest';
import { DEFAULT_ADAMW, DEFAULT_MEZO, DEFAULT_SGD, DEFAULT_SUBZERO } from '../../app/run/config';
import type { RunConfig, VisionRunConfig } from '../../app/run/types';
import {
  RUN_COLOURS,
  addRun,
  buildComparison,
  emptyRunResults,
  interruptRunning,
  removeRun,
  runConfigOf,
  setRunResults,
  withoutResults,
} from '../../app/share';
import { IDX_FILES, LM_BASE, VISION_BASE, languageModelComparison, visionComparison } from './share-fixtures';

describe('buildComparison', () => {
  it('takes shared fields from the configs', () => {
    const comparison = buildComparison([
      { ...LM_BASE, optimizer: DEFAULT_SUBZERO },
      { ...LM_BASE, optimizer: DEFAULT_MEZO },
    ]);
    expect(comparison.format).toBe('comparison');
    expect(comparison.version).toBe(1);
    expect(comparison.task).toBe('language-model');
    expect(comparison.model).toEqual({ kind: 'embedded', id: 'gpt2-moby' });
    expect(comparison.dataset).toEqual({ kind: 'embedded', id: 'sotu' });
    expect(comparison.seed).toBe(7);
    expect(comparison.runs.map((run) => run.id)).toEqual(['subzero', 'mezo']);
    expect(comparison.runs.map((run) => run.colour)).toEqual([RUN_COLOURS[0], RUN_COLOURS[1]]);
  });

  it('makes repeated names unique', () => {
    const configs: RunConfig[] = [
      { ...VISION_BASE, optimizer: DEFAULT_SGD },
      { ...VISION_BASE, optimizer: { ...DEFAULT_SGD, learningRate: 0.1 } },
      { ...VISION_BASE, optimizer: DEFAULT_ADAMW },
    ];
    const comparison = buildComparison(configs, { datasetFiles: IDX_FILES });
    expect(comparison.runs.map((run) => run.id)).toEqual(['sgd', 'sgd-2', 'adamw']);
    expect(comparison.runs.map((run) => run.label)).toEqual(['sgd', 'sgd (2)', 'adamw']);
  });

  it('rejects configs that disagree', () => {
    const configs: RunConfig[] = [
      { ...LM_BASE, optimizer: DEFAULT_SUBZERO },
      { ...LM_BASE, seed: 8, optimizer: DEFAULT_MEZO },
    ];
    expect(() => buildComparison(configs)).toThrow("runs.1.config.seed must equal the comparison's seed 7 (got 8)");
  });

  it('rejects an invalid config by index', () => {
    expect(() => buildComparison([{ ...LM_BASE, batchSize: 0 }])).toThrow('Run config 0: Invalid run configuration:\n- batchSize must be >= 1 (got 0)');
  });

  it('needs file references for an upload', () => {
    expect(() => buildComparison([VISION_BASE])).toThrow('needs its file references');
  });

  it('rejects an empty list', () => {
    expect(() => buildComparison([])).toThrow('at least one run config');
  });
});

describe('comparison edits', () => {
  it('derives the run config', () => {
    const comparison = visionComparison();
    const config = runConfigOf(comparison, comparison.runs[1].id) as VisionRunConfig;
    expect(config).toEqual(comparison.runs[1].config);
    expect(config).not.toBe(comparison.runs[1].config);
    expect(config.dataset).toEqual({ kind: 'upload', name: 'train-images.gz, train-labels.gz', size: 1234 });
    expect(() => runConfigOf(comparison, 'missing')).toThrow('No run "missing" in this comparison; its runs are "shampoo4", "shampoo32".');
  });

  it('duplicates and edits a run', () => {
    const comparison = visionComparison();
    const config = runConfigOf(comparison, 'shampoo4') as VisionRunConfig;
    const edited: VisionRunConfig = { ...config, optimizer: { ...config.optimizer, rootPeriod: 25 } as VisionRunConfig['optimizer'] };
    const next = addRun(comparison, edited);
    expect(next.runs).toHaveLength(3);
    expect(next.runs[2].id).toBe('shampoo4-2');
    expect(next.runs[2].label).toBe('shampoo4');
    expect(next.runs[2].colour).toBe(RUN_COLOURS[1]);
    expect(next.runs[2].results).toBeUndefined();
    expect(comparison.runs).toHaveLength(2);
  });

  it('rejects an added run of another seed', () => {
    const comparison = languageModelComparison();
    expect(() => addRun(comparison, { ...LM_BASE, seed: 1 })).toThrow("runs.2.config.seed must equal the comparison's seed 7 (got 1)");
  });

  it('removes a run but not the last', () => {
    const comparison = languageModelComparison();
    const one = removeRun(comparison, 'subzero');
    expect(one.runs.map((run) => run.id)).toEqual(['mezo']);
    expect(() => removeRun(one, 'mezo')).toThrow('its last run cannot be removed');
  });

  it('replaces and clears results', () => {
    const comparison = languageModelComparison();
    const cleared = setRunResults(comparison, 'mezo', undefined);
    expect(cleared.runs[1].results).toBeUndefined();
    expect('results' in cleared.runs[1]).toBe(false);
    expect(comparison.runs[1].results).toBeDefined();
    const fresh = setRunResults(cleared, 'mezo', emptyRunResults('language-model'));
    expect(fresh.runs[1].results!.summary.status).toBe('running');
    expect(withoutResults(comparison).runs.every((run) => !('results' in run))).toBe(true);
  });

  it('marks running runs as interrupted', () => {
    const comparison = setRunResults(languageModelComparison(), 'mezo', emptyRunResults('language-model'));
    const restored = interruptRunning(comparison);
    expect(restored.runs[1].results!.summary.status).toBe('interrupted');
    expect(restored.runs[0].results!.summary.status).toBe('completed');
    expect(comparison.runs[1].results!.summary.status).toBe('running');
  });
});
