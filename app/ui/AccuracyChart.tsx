import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useRunStore, type EvalPoint } from '../store/run';
import { downsample } from './downsample';
import { formatPercent } from './format';

interface AccuracyRow {
  step: number;
  /** Held-out accuracy in percent. */
  accuracy: number;
}

function accuracyRows(evals: readonly EvalPoint[]): AccuracyRow[] {
  const rows: AccuracyRow[] = [];
  for (const point of evals) if (point.accuracy !== undefined) rows.push({ step: point.step, accuracy: point.accuracy * 100 });
  return [...downsample(rows)];
}

/** Held-out accuracy per evaluation of a vision run, in percent, against step. */
export function AccuracyChart() {
  const evals = useRunStore((state) => state.evals);
  const rows = useMemo(() => accuracyRows(evals), [evals]);
  const last = rows.length ? rows[rows.length - 1] : null;
  const best = rows.reduce<AccuracyRow | null>((top, row) => (top === null || row.accuracy > top.accuracy ? row : top), null);

  return (
    <section className="panel" data-testid="accuracy-chart" data-points={rows.length}>
      <header className="panel-header">
        <h2>Held-out accuracy</h2>
        <span className="panel-figures">
          latest {last ? `${formatPercent(last.accuracy / 100)} at step ${last.step}` : '–'} · best {best ? formatPercent(best.accuracy / 100) : '–'}
        </span>
      </header>
      {rows.length === 0 ? (
        <div className="chart-empty">The accuracy appears here after the first evaluation.</div>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />
            <YAxis domain={[0, 100]} tick={{ fontSize: 11 }} tickFormatter={(value: number) => `${value}%`} width={48} />
            <Tooltip formatter={(value) => (typeof value === 'number' ? `${value.toFixed(1)}%` : String(value))} labelFormatter={(step) => `step ${step}`} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line className="accuracy-eval" type="linear" dataKey="accuracy" name="held-out accuracy" stroke="var(--series-eval)" dot={{ r: 2.5 }} strokeWidth={2} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      )}
    </section>
  );
}
