import { describe, expect, it } from 'vitest';
import { METRICS_CSV_COLUMNS, metricsCsv, metricsJson, metricsRows, setRunResults } from '../../app/share';
import { languageModelComparison, visionComparison } from './share-fixtures';

describe('metrics CSV', () => {
  it('has the documented columns', () => {
    const [header] = metricsCsv(languageModelComparison()).split('\r\n');
    expect(header).toBe('run_id,label,optimizer,step,train_loss,eval_loss,accuracy,elapsed_ms');
    expect(header.split(',')).toEqual([...METRICS_CSV_COLUMNS]);
  });

  it('writes one row per run per step', () => {
    const comparison = visionComparison();
    const lines = metricsCsv(comparison).split('\r\n');
    expect(lines[lines.length - 1]).toBe('');
    // Steps 0 to 500 for each of the two runs, after the header.
    expect(lines).toHaveLength(1 + 2 * 501 + 1);
    const cells = lines.slice(1, -1).map((line) => line.split(','));
    expect(cells.every((row) => row.length === METRICS_CSV_COLUMNS.length)).toBe(true);

    const first = cells[0];
    expect(first.slice(0, 4)).toEqual(['shampoo4', '4-bit Shampoo', 'shampoo4', '0']);
    expect(first[4]).toBe('');
    expect(Number(first[5])).toBe(comparison.runs[0].results!.series.evalLoss.values[0]);
    expect(Number(first[6])).toBe(comparison.runs[0].results!.series.accuracy!.values[0]);
    expect(first[7]).toBe('0');

    const step7 = cells[7];
    expect(step7[3]).toBe('7');
    expect(Number(step7[4])).toBe(comparison.runs[0].results!.series.trainLoss.values[6]);
    expect(step7[5]).toBe('');
    expect(step7[6]).toBe('');
    expect(Number(step7[7])).toBeCloseTo(comparison.runs[0].results!.series.elapsedMs.values[7], 3);
    expect(step7[7]).toMatch(/^\d+(\.\d{1,3})?$/);
    expect(cells[501][0]).toBe('shampoo32');
  });

  it('quotes text and defuses formulas', () => {
    const comparison = languageModelComparison();
    comparison.runs[0].label = 'lr=1e-4, "slow"';
    comparison.runs[1].label = '=HYPERLINK("x")';
    const lines = metricsCsv(comparison).split('\r\n');
    expect(lines[1].startsWith('subzero,"lr=1e-4, ""slow""",subzero,0,')).toBe(true);
    expect(lines.find((line) => line.startsWith('mezo,'))!.startsWith(`mezo,"'=HYPERLINK(""x"")",mezo,0,`)).toBe(true);
  });

  it('skips runs without results', () => {
    const comparison = setRunResults(languageModelComparison(), 'subzero', undefined);
    expect(metricsRows(comparison).every((row) => row.runId === 'mezo')).toBe(true);
  });
});

describe('metrics JSON', () => {
  it('lists summary and points per run', () => {
    const comparison = languageModelComparison();
    const document = JSON.parse(metricsJson(comparison));
    expect(document.format).toBe('comparison-metrics');
    expect(document.task).toBe('language-model');
    expect(document.runs.map((run: { id: string }) => run.id)).toEqual(['subzero', 'mezo']);
    expect(document.runs[1].summary).toEqual(comparison.runs[1].results!.summary);
    expect(document.runs[1].config).toEqual(comparison.runs[1].config);
    expect(document.runs[0].points[0]).toEqual({ step: 0, trainLoss: null, evalLoss: comparison.runs[0].results!.series.evalLoss.values[0], accuracy: null, elapsedMs: 0 });
    expect(document.runs[0].points).toHaveLength(61);
  });
});
