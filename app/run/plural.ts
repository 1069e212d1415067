/** Formats a count with the matching form of its noun, such as "1 step" or "3 steps". */
export function pluralize(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}
