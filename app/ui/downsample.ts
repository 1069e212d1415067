/** Points drawn per chart series; above this, SVG redraws slow the page down. */
export const MAX_DRAWN_POINTS = 2000;

/**
 * Returns at most about `maxPoints` points for drawing: the first point of each bucket of
 * ceil(n / maxPoints) points, plus the last point so the line reaches the latest step.
 * NOTE: striding hides spikes shorter than a bucket; the store keeps every point.
 */
export function downsample<T>(points: readonly T[], maxPoints = MAX_DRAWN_POINTS): readonly T[] {
  if (points.length <= maxPoints) return points;

  const stride = Math.ceil(points.length / maxPoints);
  const drawn: T[] = [];
  for (let i = 0; i < points.length; i += stride) drawn.push(points[i]);
  if ((points.length - 1) % stride !== 0) drawn.push(points[points.length - 1]);
  return drawn;
}
