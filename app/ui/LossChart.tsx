import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useRunStore, type EvalPoint, type LossPoint } from '../store/run';
import { downsample } from './downsample';
import { formatLoss } from './format';
import { useDisplayedTask } from './useRunForm';

interface LossRow {
  step: number;
  loss?: number;
  evalLoss?: number;
}

/** Merges downsampled training points and all eval points into one row per step for recharts. */
function lossRows(loss: readonly LossPoint[], evals: readonly EvalPoint[]): LossRow[] {
  const rows = new Map<number, LossRow>();
  for (const point of downsample(loss)) rows.set(point.step, { step: point.step, loss: point.loss });
  for (const point of downsample(evals)) {
    const row = rows.get(point.step);
    if (row) row.evalLoss = point.evalLoss;
    else rows.set(point.step, { step: point.step, evalLoss: point.evalLoss });
  }
  return [...rows.values()].sort((a, b) => a.step - b.step);
}

/**
 * Training loss per step and held-out loss per evaluation, against step. The training loss is L+ for
 * zeroth-order runs and the batch's mean cross-entropy for vision runs.
 */
export function LossChart() {
  const vision = useDisplayedTask() === 'vision';
  const loss = useRunStore((state) => state.loss);
  const evals = useRunStore((state) => state.evals);
  const rows = useMemo(() => lossRows(loss, evals), [loss, evals]);
  const lastLoss = loss.length ? loss[loss.length - 1].loss : null;
  const lastEval = evals.length ? evals[evals.length - 1].evalLoss : null;

  return (
    <section className="panel" data-testid="loss-chart" data-points={loss.length} data-eval-points={evals.length}>
      <header className="panel-header">
        <h2>Loss</h2>
        <span className="panel-figures">
          train {lastLoss === null ? '–' : formatLoss(lastLoss)} · eval {lastEval === null ? '–' : formatLoss(lastEval)}
        </span>
      </header>
      {rows.length === 0 ? (
        <div className="chart-empty">The loss appears here once training starts.</div>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />
            <YAxis domain={['auto', 'auto']} tick={{ fontSize: 11 }} tickFormatter={(value: number) => value.toFixed(2)} width={56} label={{ value: vision ? 'nats per image' : 'nats per token', angle: -90, position: 'insideLeft', fontSize: 11 }} />
            <Tooltip formatter={(value) => (typeof value === 'number' ? formatLoss(value) : String(value))} labelFormatter={(step) => `step ${step}`} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line className="loss-train" type="linear" dataKey="loss" name={vision ? 'train loss (batch)' : 'train loss (L+)'} stroke="var(--series-train)" dot={false} strokeWidth={1.25} connectNulls isAnimationActive={false} />
            <Line className="loss-eval" type="linear" dataKey="evalLoss" name="eval loss" stroke="var(--series-eval)" dot={{ r: 2.5 }} strokeWidth={2} connectNulls isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      )}
    </section>
  );
}
