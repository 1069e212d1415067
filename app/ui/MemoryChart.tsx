import { useMemo } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { MEMORY_CATEGORIES, totalBytes, type MemoryBytes, type MemoryCategory } from '../../kernels/gpu/pool';
import { OPTIMIZER_STATE_CATEGORIES, optimizerStateBytes, useRunStore, type MemoryPoint } from '../store/run';
import { downsample } from './downsample';
import { formatBytes } from './format';

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

/** Unit of the chart's axis: MiB, or KiB when the peak stays below 1 MiB (the small vision nets). */
interface ByteUnit {
  name: 'KiB' | 'MiB';
  bytes: number;
}

function byteUnit(peakBytes: number): ByteUnit {
  return peakBytes < 1024 * 1024 ? { name: 'KiB', bytes: 1024 } : { name: 'MiB', bytes: 1024 * 1024 };
}

/** Points drawn per category. Memory changes in steps, so fewer points than the loss chart suffice. */
const MAX_DRAWN_MEMORY_POINTS = 500;

type MemoryRow = { step: number } & Partial<Record<MemoryCategory, number>>;

function memoryRows(points: readonly MemoryPoint[], categories: readonly MemoryCategory[], unit: ByteUnit): MemoryRow[] {
  return downsample(points, MAX_DRAWN_MEMORY_POINTS).map((point) => {
    const row: MemoryRow = { step: point.step };
    for (const category of categories) row[category] = point.bytes[category] / unit.bytes;
    return row;
  });
}

/** Categories among `candidates` that held any bytes during the run, in MEMORY_CATEGORIES order. */
function usedCategories(points: readonly MemoryPoint[], candidates: readonly MemoryCategory[]): MemoryCategory[] {
  return MEMORY_CATEGORIES.filter((category) => candidates.includes(category) && points.some((point) => point.bytes[category] > 0));
}

/** Sorts legend items in stack order, bottom first, instead of recharts' default alphabetical order. */
function legendOrder(item: { dataKey?: unknown }): number {
  return MEMORY_CATEGORIES.indexOf(item.dataKey as MemoryCategory);
}

function sumBytes(bytes: MemoryBytes, categories: readonly MemoryCategory[]): number {
  return categories.reduce((sum, category) => sum + bytes[category], 0);
}

function formatTick(value: number, unit: ByteUnit): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${unit.name}`;
}

interface MemoryAreasProps {
  points: readonly MemoryPoint[];
  /** Categories that may be drawn; those that stay at 0 bytes are left out. */
  candidates: readonly MemoryCategory[];
  /** Peak of the drawn sum, which picks the axis unit. */
  peakBytes: number;
  emptyText: string;
}

/** Draws the stacked areas of `candidates` over steps, one area per category with bytes. */
function MemoryAreas({ points, candidates, peakBytes, emptyText }: MemoryAreasProps) {
  const categories = useMemo(() => usedCategories(points, candidates), [points, candidates]);
  const unit = useMemo(() => byteUnit(peakBytes), [peakBytes]);
  const rows = useMemo(() => memoryRows(points, categories, unit), [points, categories, unit]);
  if (rows.length === 0) return <div className="chart-empty">{emptyText}</div>;

  return (
    <ResponsiveContainer width="100%" height={260}>
      <AreaChart data={rows} margin={{ top: 8, right: 16, bottom: 4, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--grid)" />
        <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} label={{ value: 'step', position: 'insideBottomRight', offset: -2, fontSize: 11 }} />
        <YAxis tick={{ fontSize: 11 }} width={64} tickFormatter={(value: number) => formatTick(value, unit)} />
        <Tooltip formatter={(value) => (typeof value === 'number' ? `${value.toFixed(2)} ${unit.name}` : String(value))} labelFormatter={(step) => `step ${step}`} />
        <Legend wrapperStyle={{ fontSize: 12 }} iconType="square" itemSorter={legendOrder} />
        {categories.map((category) => (
          <Area
            key={category}
            className={`memory-area-${category}`}
            type="stepAfter"
            dataKey={category}
            name={CATEGORY_LABELS[category]}
            stackId="memory"
            stroke={CATEGORY_COLORS[category]}
            fill={CATEGORY_COLORS[category]}
            fillOpacity={0.55}
            isAnimationActive={false}
          />
        ))}
      </AreaChart>
    </ResponsiveContainer>
  );
}

interface MemoryTableProps {
  current: MemoryBytes;
  categories: readonly MemoryCategory[];
  totalLabel: string;
  testId: string;
}

/** Lists the latest bytes of each category and their sum. */
function MemoryTable({ current, categories, totalLabel, testId }: MemoryTableProps) {
  return (
    <table className="memory-table" data-testid={testId}>
      <tbody>
        {categories.map((category) => (
          <tr key={category} className={current[category] ? '' : 'zero'} data-category={category} data-bytes={current[category]}>
            <td>
              <span className="swatch" style={{ background: CATEGORY_COLORS[category] }} />
              {CATEGORY_LABELS[category]}
            </td>
            <td className="number">{formatBytes(current[category])}</td>
          </tr>
        ))}
        <tr className="total" data-bytes={sumBytes(current, categories)}>
          <td>{totalLabel}</td>
          <td className="number">{formatBytes(sumBytes(current, categories))}</td>
        </tr>
      </tbody>
    </table>
  );
}

/**
 * GPU memory by category over steps, stacked, from the buffer pool's byte counts (WebGPU has no
 * memory query), with the current and peak figures.
 */
export function MemoryChart() {
  const points = useRunStore((state) => state.memory);
  const current = points.length ? points[points.length - 1].bytes : null;
  const peakTotal = useMemo(() => points.reduce((peak, point) => Math.max(peak, totalBytes(point.bytes)), 0), [points]);

  return (
    <section className="panel" data-testid="memory-chart" data-points={points.length}>
      <header className="panel-header">
        <h2>GPU memory</h2>
        <span className="panel-figures">
          {current ? `${formatBytes(totalBytes(current))} now · ${formatBytes(peakTotal)} peak` : '–'}
        </span>
      </header>
      <MemoryAreas points={points} candidates={MEMORY_CATEGORIES} peakBytes={peakTotal} emptyText="Memory by category appears here once the model is loaded." />
      {current && <MemoryTable current={current} categories={MEMORY_CATEGORIES} totalLabel="total" testId="memory-current" />}
    </section>
  );
}

/**
 * Charts the optimizer's share of GPU memory over steps, stacked: first-order state, Shampoo's
 * preconditioner and the quantization scales of 4-bit Shampoo. Activations dwarf them in the small vision
 * nets, so the full memory chart alone would hide how they compare.
 */
export function OptimizerStateChart() {
  const points = useRunStore((state) => state.memory);
  const current = points.length ? points[points.length - 1].bytes : null;
  const peak = useMemo(() => points.reduce((max, point) => Math.max(max, optimizerStateBytes(point.bytes)), 0), [points]);

  return (
    <section className="panel" data-testid="optimizer-state-chart" data-points={points.length}>
      <header className="panel-header">
        <h2>Optimizer state</h2>
        <span className="panel-figures">{current ? `${formatBytes(optimizerStateBytes(current))} now · ${formatBytes(peak)} peak` : '–'}</span>
      </header>
      <MemoryAreas points={points} candidates={OPTIMIZER_STATE_CATEGORIES} peakBytes={peak} emptyText="The optimizer state appears here once the optimizer is built." />
      {current && <MemoryTable current={current} categories={OPTIMIZER_STATE_CATEGORIES} totalLabel="optimizer state" testId="optimizer-state-current" />}
    </section>
  );
}
