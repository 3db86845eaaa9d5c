/** "42 s", "3 min 05 s", "2 h 07 min", "30 min": how long something ran, to the unit that matters. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes} min` : `${minutes} min ${pad(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 === 0 ? `${hours} h` : `${hours} h ${pad(minutes % 60)} min`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The time between two instants, or null while the second one is unknown. */
export function durationBetween(start: string | null, end: string | null): string | null {
  if (!start || !end) return null;
  return formatDuration(Date.parse(end) - Date.parse(start));
}
