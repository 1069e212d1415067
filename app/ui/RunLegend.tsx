import { Segmented } from './fields';
import { setXAxis, useComparisonStore, type XAxis } from '../store/comparison';
import type { RunChartSeries } from '../store/chart-data';
import { formatDuration } from './format';

const X_AXES: { value: XAxis; label: string; title: string }[] = [
  { value: 'step', label: 'Step', title: 'Plot the metrics against the optimizer step' },
  { value: 'time', label: 'Wall time', title: 'Plot the metrics against training time (loading, evaluation and sampling excluded)' },
];

/** Renders the switch of the charts' horizontal axis between step and training time. */
export function XAxisSwitch() {
  const xAxis = useComparisonStore((state) => state.xAxis);
  return (
    <div className="option-row" data-testid="x-axis-switch">
      <span className="option-label">Horizontal axis</span>
      <Segmented name="Horizontal axis" options={X_AXES} value={xAxis} onChange={setXAxis} disabled={false} testIdPrefix="x-axis" />
    </div>
  );
}

/** Props of the horizontal axis for `xAxis`: steps as integers, times in seconds or minutes. */
export function xAxisProps(xAxis: XAxis) {
  return {
    dataKey: 'x',
    type: 'number' as const,
    domain: ['dataMin', 'dataMax'] as [string, string],
    allowDecimals: xAxis === 'time',
    tick: { fontSize: 11 },
    tickFormatter: (value: number) => (xAxis === 'time' ? formatDuration(value) : String(value)),
    label: { value: xAxis === 'time' ? 'training time' : 'step', position: 'insideBottomRight' as const, offset: -2, fontSize: 11 },
  };
}

/** Describes the x of a point in a tooltip. */
export function formatX(xAxis: XAxis, x: number): string {
  return xAxis === 'time' ? formatDuration(x) : `step ${x}`;
}

interface RunLegendProps {
  runs: readonly RunChartSeries[];
  /** Explains the line styles, such as "thin: training loss; dots: held-out loss". */
  styleNote: string;
  testId: string;
}

/** Lists the runs of a chart with their colour and the points drawn of each, as plain text. */
export function RunLegend({ runs, styleNote, testId }: RunLegendProps) {
  return (
    <div className="run-legend" data-testid={testId}>
      <ul>
        {runs.map((run) => (
          <li
            key={run.id}
            data-run-id={run.id}
            data-train-points={run.trainLoss.length}
            data-eval-points={run.evalLoss.length}
            data-accuracy-points={run.accuracy?.length ?? 0}
            className={run.status === null ? 'not-run' : ''}
          >
            <span className="swatch" style={{ background: run.colour }} />
            {run.label}
            {run.status === null && <span className="muted"> (not run)</span>}
          </li>
        ))}
      </ul>
      <span className="muted">{styleNote}</span>
    </div>
  );
}
