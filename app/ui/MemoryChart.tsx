import { useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MEMORY_CATEGORIES, type MemoryCategory } from '../../kernels/gpu/pool';
import type { ComparisonRun } from '../share';
import { OPTIMIZER_STATE_CATEGORIES } from '../store/run';
import { formatBytes } from './format';
import { useDisplayedComparison } from './useRunForm';

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

/** Legend and table names; the three optimizer-state categories are named so that they read as one split. */
export const CATEGORY_LABELS: Record<MemoryCategory, string> = {
  weights: 'weights',
  gradients: 'gradients',
  activations: 'activations',
  'optimizer-state': 'optimizer state (first-order)',
  preconditioner: 'preconditioner',
  perturbation: 'perturbation',
  'quantization-scales': 'quantization scales',
  staging: 'staging',
};

/** Unit of the chart's axis: MiB, or KiB when the largest bar stays below 1 MiB (the small vision nets). */
interface ByteUnit {
  name: 'KiB' | 'MiB';
  bytes: number;
}

function byteUnit(peakBytes: number): ByteUnit {
  return peakBytes < 1024 * 1024 ? { name: 'KiB', bytes: 1024 } : { name: 'MiB', bytes: 1024 * 1024 };
}

type MemoryRow = { label: string; runId: string } & Partial<Record<MemoryCategory, number>>;

function peaksOf(run: ComparisonRun, category: MemoryCategory): number {
  return run.results?.summary.peakMemoryBytes[category] ?? 0;
}

/** Sorts legend items in stack order, left first, instead of recharts' default alphabetical order. */
function legendOrder(item: { dataKey?: unknown }): number {
  return MEMORY_CATEGORIES.indexOf(item.dataKey as MemoryCategory);
}

interface MemoryBarsProps {
  runs: readonly ComparisonRun[];
  /** Categories that may be drawn; those at 0 bytes in every run are left out. */
  candidates: readonly MemoryCategory[];
  emptyText: string;
}

/** Draws one horizontal bar per run with results, stacked by category from the run's peak bytes per category. */
function MemoryBars({ runs, candidates, emptyText }: MemoryBarsProps) {
  const withResults = useMemo(() => runs.filter((run) => run.results), [runs]);
  const categories = useMemo(() => MEMORY_CATEGORIES.filter((category) => candidates.includes(category) && withResults.some((run) => peaksOf(run, category) > 0)), [withResults, candidates]);
  const largest = withResults.reduce((max, run) => Math.max(max, categories.reduce((sum, category) => sum + peaksOf(run, category), 0)), 0);
  const unit = byteUnit(largest);
  const rows = useMemo(
    () =>
      withResults.map((run) => {
        const row: MemoryRow = { label: run.label, runId: run.id };
        for (const category of categories) row[category] = peaksOf(run, category) / unit.bytes;
        return row;
      }),
    [withResults, categories, unit],
  );
  if (rows.length === 0 || categories.length === 0) return <div className="chart-empty">{emptyText}</div>;

  return (
    <ResponsiveContainer width="100%" height={90 + rows.length * 42}>
      <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 16, bottom: 4, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" horizontal={false} />
        <XAxis type="number" tick={{ fontSize: 11 }} tickFormatter={(value: number) => `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit.name}`} />
        <YAxis type="category" dataKey="label" tick={{ fontSize: 11 }} width={110} />
        <Tooltip formatter={(value) => (typeof value === 'number' ? `${value.toFixed(2)} ${unit.name}` : String(value))} />
        <Legend wrapperStyle={{ fontSize: 12 }} iconType="square" itemSorter={legendOrder} />
        {categories.map((category) => (
          <Bar key={category} className={`memory-bar-${category}`} dataKey={category} name={CATEGORY_LABELS[category]} stackId="memory" fill={CATEGORY_COLORS[category]} isAnimationActive={false} />
        ))}
      </BarChart>
    </ResponsiveContainer>
  );
}

/**
 * Peak GPU memory of each run by category, side by side, from the buffer pool's byte counts
 * (WebGPU has no memory query).
 */
export function MemoryChart() {
  const comparison = useDisplayedComparison();
  return (
    <section className="panel" data-testid="memory-chart">
      <header className="panel-header">
        <h2>Peak GPU memory by category</h2>
      </header>
      <MemoryBars runs={comparison.runs} candidates={MEMORY_CATEGORIES} emptyText="Each run's memory by category appears here once its model is loaded." />
    </section>
  );
}

/**
 * Charts the optimizer's share of each run's peak memory: first-order state, Shampoo's preconditioner and
 * the quantization scales of 4-bit Shampoo. Activations dwarf them in the small vision nets, so the
 * full memory chart alone would hide how they compare.
 */
export function OptimizerStateChart() {
  const comparison = useDisplayedComparison();
  const totals = comparison.runs
    .filter((run) => run.results)
    .map((run) => ({ run, bytes: OPTIMIZER_STATE_CATEGORIES.reduce((sum, category) => sum + peaksOf(run, category), 0) }));

  return (
    <section className="panel" data-testid="optimizer-state-chart">
      <header className="panel-header">
        <h2>Optimizer state</h2>
        <span className="panel-figures" data-testid="optimizer-state-totals">
          {totals.map(({ run, bytes }) => `${run.label} ${formatBytes(bytes)}`).join(' · ') || '–'}
        </span>
      </header>
      <MemoryBars runs={comparison.runs} candidates={OPTIMIZER_STATE_CATEGORIES} emptyText="Each run's optimizer state appears here once its optimizer is built." />
    </section>
  );
}
