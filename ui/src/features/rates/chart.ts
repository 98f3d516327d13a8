/** The rates page's charts: day points placed on a 30-day axis, percents on a 0–100 scale. */
import type { RatePoint } from '../../ipc/backend';

export type RateSeries = 'fiveMin' | 'urgent' | 'localFiveMin';

/** Days from `since` to `day` (both `YYYY-MM-DD`). */
export function dayIndex(since: string, day: string): number {
  return Math.round((Date.parse(`${day}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / 86_400_000);
}

/** The lowest percent shown: 50, or lower in steps of 10 when a figure is below it. */
export function floorOf(points: RatePoint[]): number {
  let low = 50;
  for (const p of points) {
    for (const v of [p.fiveMin, p.urgent, p.localFiveMin]) {
      if (v !== null && v < low) low = Math.max(0, Math.floor(v / 10) * 10);
    }
  }
  return low;
}

/** A chart `width` × `height` of `days` days from `since`: y of a percent, and each series' points. */
export function chartOf(points: RatePoint[], since: string, days: number, width: number, height: number) {
  const floor = floorOf(points);
  const x = (day: string) => (dayIndex(since, day) / Math.max(1, days - 1)) * width;
  const y = (v: number) => height - ((Math.min(100, v) - floor) / (100 - floor)) * height;
  const series = (key: RateSeries) =>
    points
      .filter((p) => p[key] !== null)
      .map((p) => `${x(p.day).toFixed(1)},${y(p[key] as number).toFixed(1)}`)
      .join(' ');
  const dots = points.filter((p) => p.fiveMin !== null).map((p) => ({ day: p.day, x: x(p.day), y: y(p.fiveMin as number) }));
  return { floor, y, dots, fiveMin: series('fiveMin'), urgent: series('urgent'), localFiveMin: series('localFiveMin') };
}

/** A percent for the page: `95.5%`, or `—`. */
export function pct(v: number | null): string {
  return v === null ? '—' : `${Number.isInteger(v) ? v : v.toFixed(1)}%`;
}
