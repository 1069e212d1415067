import { useMemo } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MEMORY_CATEGORIES, totalBytes, type MemoryCategory } from '../../kernels/gpu/pool';
import { useRunStore, type MemoryPoint } from '../store/run';
import { downsample } from './downsample';
import { bytesToMiB, formatMiB } from './format';

const CATEGORY_COLORS: Record<MemoryCategory, string> = {
  weights: '#4e79a7',
  gradients: '#e15759',
  activations: '#f28e2b',
  'optimizer-state': '#76b7b2',
  preconditioner: '#edc948',
  perturbation: '#59a14f',
  'quantization-scales': '#b07aa1',
  staging: '#9c9c9c',
};

/** Points drawn per category. Memory changes in steps, so fewer points than the loss chart suffice. */
const MAX_DRAWN_MEMORY_POINTS = 500;

type MemoryRow = { step: number } & Partial<Record<MemoryCategory, number>>;

function memoryRows(points: readonly MemoryPoint[], categories: readonly MemoryCategory[]): MemoryRow[] {
  return downsample(points, MAX_DRAWN_MEMORY_POINTS).map((point) => {
    const row: MemoryRow = { step: point.step };
    for (const category of categories) row[category] = bytesToMiB(point.bytes[category]);
    return row;
  });
}

/** Categories that held any bytes during the run, in MEMORY_CATEGORIES order. */
function usedCategories(points: readonly MemoryPoint[]): MemoryCategory[] {
  return MEMORY_CATEGORIES.filter((category) => points.some((point) => point.bytes[category] > 0));
}

/** Sorts legend items in stack order, bottom first, instead of recharts' default alphabetical order. */
function legendOrder(item: { dataKey?: unknown }): number {
  return MEMORY_CATEGORIES.indexOf(item.dataKey as MemoryCategory);
}

/**
 * GPU memory by category over steps, stacked, from the buffer pool's byte counts (WebGPU has no
 * memory query), with the current and peak figures.
 */
export function MemoryChart() {
  const points = useRunStore((state) => state.memory);
  const categories = useMemo(() => usedCategories(points), [points]);
  const rows = useMemo(() => memoryRows(points, categories), [points, categories]);
  const current = points.length ? points[points.length - 1].bytes : null;
  const peakTotal = useMemo(() => points.reduce((peak, point) => Math.max(peak, totalBytes(point.bytes)), 0), [points]);

  return (
    <section className="panel" data-testid="memory-chart" data-points={points.length}>
      <header className="panel-header">
        <h2>GPU memory</h2>
        <span className="panel-figures">
          {current ? `${formatMiB(totalBytes(current))} now · ${formatMiB(peakTotal)} peak` : '–'}
        </span>
      </header>
      {rows.length === 0 ? (
        <div className="chart-empty">Memory by category appears here once the model is loaded.</div>
      ) : (
        <ResponsiveContainer width="100%" height={260}>
          <AreaChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />
            <YAxis tick={{ fontSize: 11 }} width={56} tickFormatter={(value: number) => `${value.toFixed(0)} MiB`} />
            <Tooltip formatter={(value) => (typeof value === 'number' ? `${value.toFixed(2)} MiB` : String(value))} labelFormatter={(step) => `step ${step}`} />
            <Legend wrapperStyle={{ fontSize: 12 }} iconType="square" itemSorter={legendOrder} />
            {categories.map((category) => (
              <Area
                key={category}
                type="stepAfter"
                dataKey={category}
                stackId="memory"
                stroke={CATEGORY_COLORS[category]}
                fill={CATEGORY_COLORS[category]}
                fillOpacity={0.55}
                isAnimationActive={false}
              />
            ))}
          </AreaChart>
        </ResponsiveContainer>
      )}
      {current && (
        <table className="memory-table" data-testid="memory-current">
          <tbody>
            {MEMORY_CATEGORIES.map((category) => (
              <tr key={category} className={current[category] ? '' : 'zero'}>
                <td>
                  <span className="swatch" style={{ background: CATEGORY_COLORS[category] }} />
                  {category}
                </td>
                <td className="number">{formatMiB(current[category])}</td>
              </tr>
            ))}
            <tr className="total">
              <td>total</td>
              <td className="number">{formatMiB(totalBytes(current))}</td>
            </tr>
          </tbody>
        </table>
      )}
    </section>
  );
}
