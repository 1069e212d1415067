/**
 * `npm run plot -- [--metric loss|accuracy] OUT.svg NAME=FILE.jsonl ...`: draws CLI runs into one SVG
 * for the docs. `loss` (the default): the eval loss (markers and lines) and the training loss
 * (moving average over 10 steps, thin lines). `accuracy`: the held-out accuracy of vision runs, in percent.
 */
import { readFileSync, writeFileSync } from 'node:fs';

interface Series {
  name: string;
  train: Array<[number, number]>;
  eval: Array<[number, number]>;
}

type Metric = 'loss' | 'accuracy';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const WIDTH = 720;
const HEIGHT = 400;
const MARGIN = { left: 60, right: 20, top: 30, bottom: 45 };

/** Raised for bad arguments or input files; main prints its message without a stack trace. */
class PlotError extends Error {}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PlotError(`Cannot read ${file}: ${code === 'ENOENT' ? 'file not found' : (error as Error).message}.`);
  }
}

function readSeries(spec: string, metric: Metric): Series {
  const at = spec.indexOf('=');
  if (at < 1) throw new PlotError(`Expected NAME=FILE.jsonl, got "${spec}". NAME is the run's name in the legend, for example subzero=runs/subzero.jsonl.`);
  const name = spec.slice(0, at);
  const file = spec.slice(at + 1);
  const series: Series = { name, train: [], eval: [] };
  readText(file)
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      let row: { step: number; loss?: number; evalLoss?: number; accuracy?: number };
      try {
        row = JSON.parse(line);
      } catch {
        throw new PlotError(
          `${file} line ${i + 1}: not valid JSON. Each line must be one JSON object written by \`npm run train\`. ` +
            'If the file was made by redirecting the output of `npm run train`, npm added its own lines: use `npm run -s train` or --out FILE.',
        );
      }
      if (metric === 'accuracy') {
        if (typeof row.accuracy === 'number') series.eval.push([row.step, row.accuracy * 100]);
        return;
      }
      if (typeof row.loss === 'number') series.train.push([row.step, row.loss]);
      if (typeof row.evalLoss === 'number') series.eval.push([row.step, row.evalLoss]);
    });
  if (series.train.length + series.eval.length === 0) {
    const missing = metric === 'accuracy' ? 'accuracy values (only vision runs with evaluations have them)' : 'loss values';
    throw new PlotError(`${file} has no ${missing}, so there is nothing to plot for ${name}.`);
  }
  return series;
}

function movingAverage(points: Array<[number, number]>, window: number): Array<[number, number]> {
  return points.map(([step], i) => {
    const from = Math.max(0, i - window + 1);
    const slice = points.slice(from, i + 1);
    return [step, slice.reduce((sum, [, value]) => sum + value, 0) / slice.length];
  });
}

function main(): void {
  try {
    plot(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof PlotError)) throw error;
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  }
}

function plot(argv: string[]): void {
  const args = [...argv];
  let metric: Metric = 'loss';
  if (args[0] === '--metric') {
    const value = args[1];
    if (value !== 'loss' && value !== 'accuracy') {
      process.stderr.write(`--metric: expected "loss" or "accuracy", got "${value}".\n`);
      process.exit(2);
    }
    metric = value;
    args.splice(0, 2);
  }
  const [out, ...specs] = args;
  if (!out || specs.length === 0) {
    process.stderr.write('Usage: npm run plot -- [--metric loss|accuracy] OUT.svg NAME=FILE.jsonl [NAME=FILE.jsonl ...]\n');
    process.exit(2);
  }
  const all = specs.map((spec) => readSeries(spec, metric));
  const points = all.flatMap((series) => [...movingAverage(series.train, 10), ...series.eval]);
  const maxStep = Math.max(...points.map(([step]) => step), 1);
  let low = Math.min(...points.map(([, value]) => value));
  let high = Math.max(...points.map(([, value]) => value));
  const pad = (high - low) * 0.05 || 0.05;
  low -= pad;
  high += pad;

  const x = (step: number) => MARGIN.left + (step / maxStep) * (WIDTH - MARGIN.left - MARGIN.right);
  const y = (value: number) => MARGIN.top + ((high - value) / (high - low)) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  const path = (pts: Array<[number, number]>) => pts.map(([s, v], i) => `${i ? 'L' : 'M'}${x(s).toFixed(1)},${y(v).toFixed(1)}`).join(' ');

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
  ];
  for (let k = 0; k <= 5; k++) {
    const value = low + ((high - low) * k) / 5;
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(value)}" y2="${y(value)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y(value) + 4}" text-anchor="end">${value.toFixed(metric === 'accuracy' ? 1 : 3)}</text>`);
    const step = Math.round((maxStep * k) / 5);
    parts.push(`<text x="${x(step)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${step}</text>`);
  }
  parts.push(`<text x="${(WIDTH + MARGIN.left) / 2}" y="${HEIGHT - 8}" text-anchor="middle">step</text>`);
  parts.push(`<text x="14" y="${HEIGHT / 2}" transform="rotate(-90 14 ${HEIGHT / 2})" text-anchor="middle">${metric === 'accuracy' ? 'held-out accuracy (%)' : 'loss (nats per token or image)'}</text>`);
  all.forEach((series, i) => {
    const color = COLORS[i % COLORS.length];
    if (series.train.length) parts.push(`<path d="${path(movingAverage(series.train, 10))}" fill="none" stroke="${color}" stroke-opacity="0.45" stroke-width="1"/>`);
    parts.push(`<path d="${path(series.eval)}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [s, v] of series.eval) parts.push(`<circle cx="${x(s)}" cy="${y(v)}" r="3" fill="${color}"/>`);
    const legend = metric === 'accuracy' ? series.name : `${series.name}: eval (thick), train avg (thin)`;
    const spacing = metric === 'accuracy' ? 130 : 220;
    parts.push(`<text x="${MARGIN.left + 10}" y="${MARGIN.top - 10}" dx="${i * spacing}" fill="${color}">${legend}</text>`);
  });
  parts.push('</svg>');
  writeFileSync(out, parts.join('\n') + '\n');
}

main();
