const TITLE_SHOWN = 60;

/** A title as messages show it: quoted, escaped, and short enough to keep a message readable. */
export function quote(title: string): string {
  return JSON.stringify(title.length > TITLE_SHOWN ? `${title.slice(0, TITLE_SHOWN - 1)}…` : title);
}

/** `"A", "B" and 3 more`: long lists name the first few so messages stay bounded. */
export function listTitles(titles: readonly string[], cap = 5): string {
  const shown = titles.slice(0, cap).map(quote).join(', ');
  return titles.length > cap ? `${shown} and ${titles.length - cap} more` : shown;
}

/** `1 rig`, `3 rigs`, `1 dependency`: a count as a sentence says it. */
export function counted(count: number, singular: string, plural = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : plural}`;
}

/** Composed reasons must fit the contract's 20,000 characters whatever the user typed. */
export function clip(text: string, max = 20_000): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
