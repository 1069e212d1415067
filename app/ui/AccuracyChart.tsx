import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartData } from '../store/chart-data';
import { useComparisonStore } from '../store/comparison';
import { formatPercent } from './format';
import { formatX, RunLegend, xAxisProps } from './RunLegend';
import { useDisplayedComparison } from './useRunForm';

/** Held-out accuracy per evaluation of every vision run, in percent, against step or training time. */
export function AccuracyChart() {
  const comparison = useDisplayedComparison();
  const xAxis = useComparisonStore((state) => state.xAxis);
  const data = useMemo(() => chartData(comparison, xAxis), [comparison, xAxis]);
  const points = data.runs.reduce((sum, run) => sum + (run.accuracy?.length ?? 0), 0);
  const best = data.runs
    .map((run) => ({ run, best: run.accuracy?.reduce((top, point) => Math.max(top, point.y), -Infinity) ?? -Infinity }))
    .filter((entry) => Number.isFinite(entry.best))
    .sort((a, b) => b.best - a.best)[0];

  return (
    <section className="panel" data-testid="accuracy-chart" data-points={points}>
      <header className="panel-header">
        <h2>Held-out accuracy</h2>
        <span className="panel-figures" data-testid="accuracy-best">
          best {best ? `${formatPercent(best.best)} (${best.run.label})` : '–'}
        </span>
      </header>
      {points === 0 ? (
        <div className="chart-empty">The accuracy of each run appears here after its first evaluation.</div>
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          <LineChart margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis {...xAxisProps(xAxis)} />
            <YAxis dataKey="y" type="number" domain={[0, 1]} tick={{ fontSize: 11 }} tickFormatter={(value: number) => `${Math.round(value * 100)}%`} width={48} />
            <Tooltip formatter={(value) => (typeof value === 'number' ? formatPercent(value) : String(value))} labelFormatter={(x) => formatX(xAxis, Number(x))} />
            {data.runs.map((run) => (
              <Line
                key={run.id}
                className={`accuracy-eval accuracy-eval-${run.id}`}
                data={run.accuracy ?? []}
                dataKey="y"
                name={run.label}
                type="linear"
                stroke={run.colour}
                strokeWidth={2}
                dot={{ r: 2.5, fill: run.colour }}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
      <RunLegend runs={data.runs} testId="accuracy-legend" styleNote="held-out accuracy at each evaluation" />
    </section>
  );
}
