import { Pipe, PipeTransform } from '@angular/core';

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "3 minutes ago". `now` is an argument so a page's clock signal re-renders ages as time passes. */
@Pipe({ name: 'relativeTime' })
export class RelativeTimePipe implements PipeTransform {
  transform(iso: string | null | undefined, now: number): string {
    if (!iso) return '';
    const delta = Date.parse(iso) - now;
    for (const [unit, ms] of UNITS) {
      if (Math.abs(delta) >= ms || unit === 'second') return format.format(Math.round(delta / ms), unit);
    }
    return '';
  }
}
