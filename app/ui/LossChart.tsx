import { useMemo } from 'react';
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { chartData } from '../store/chart-data';
import { useComparisonStore } from '../store/comparison';
import { formatLoss } from './format';
import { formatX, RunLegend, xAxisProps } from './RunLegend';
import { useDisplayedComparison } from './useRunForm';

/**
 * Training loss per step (thin line) and held-out loss per evaluation (thick line with dots) of every
 * run, in the run's colour, against step or training time. The training loss is L+ for
 * zeroth-order runs and the batch's mean cross-entropy for vision runs.
 */
export function LossChart() {
  const comparison = useDisplayedComparison();
  const xAxis = useComparisonStore((state) => state.xAxis);
  const data = useMemo(() => chartData(comparison, xAxis), [comparison, xAxis]);
  const vision = comparison.task === 'vision';
  const trainPoints = data.runs.reduce((sum, run) => sum + run.trainLoss.length, 0);
  const evalPoints = data.runs.reduce((sum, run) => sum + run.evalLoss.length, 0);

  return (
    <section className="panel" data-testid="loss-chart" data-points={trainPoints} data-eval-points={evalPoints}>
      <header className="panel-header">
        <h2>Loss</h2>
        <span className="panel-figures">{vision ? 'nats per image' : 'nats per token'}</span>
      </header>
      {trainPoints + evalPoints === 0 ? (
        <div className="chart-empty">The loss of each run appears here once it trains.</div>
      ) : (
        <ResponsiveContainer width="100%" height={280}>
          <LineChart margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis {...xAxisProps(xAxis)} />
            <YAxis dataKey="y" type="number" domain={['auto', 'auto']} tick={{ fontSize: 11 }} tickFormatter={(value: number) => value.toFixed(2)} width={56} />
            <Tooltip formatter={(value) => (typeof value === 'number' ? formatLoss(value) : String(value))} labelFormatter={(x) => formatX(xAxis, Number(x))} />
            {data.runs.flatMap((run) => [
              <Line
                key={`train-${run.id}`}
                className={`loss-train loss-train-${run.id}`}
                data={run.trainLoss}
                dataKey="y"
                name={`${run.label} · train`}
                type="linear"
                stroke={run.colour}
                strokeOpacity={0.55}
                strokeWidth={1.25}
                dot={false}
                isAnimationActive={false}
              />,
              <Line
                key={`eval-${run.id}`}
                className={`loss-eval loss-eval-${run.id}`}
                data={run.evalLoss}
                dataKey="y"
                name={`${run.label} · eval`}
                type="linear"
                stroke={run.colour}
                strokeWidth={2.25}
                dot={{ r: 2.5, fill: run.colour }}
                isAnimationActive={false}
              />,
            ])}
          </LineChart>
        </ResponsiveContainer>
      )}
      <RunLegend
        runs={data.runs}
        testId="loss-legend"
        styleNote={vision ? 'thin: training loss of the batch · thick with dots: held-out loss' : 'thin: training loss L+ · thick with dots: held-out loss'}
      />
    </section>
  );
}
