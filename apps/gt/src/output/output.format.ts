/** Shapes shared by every command's human output. Pure: the commands decide where it goes. */

/** Columns padded to their widest cell; the last column is never padded so lines end cleanly. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
}

/** `2025-11-23 12:00:01` in UTC, so output is the same wherever it is read; `-` for none. */
export function time(iso: string | null | undefined): string {
  if (!iso) return '-';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Cuts text to `width` visible characters with an ellipsis; a live view must never wrap. */
export function truncate(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  if (width <= 1) return chars.slice(0, Math.max(width, 0)).join('');
  return `${chars.slice(0, width - 1).join('')}…`;
}

/** The first line of a text, for one-line listings. */
export function firstLine(text: string | null | undefined): string {
  return (text ?? '').split('\n')[0].trim();
}
