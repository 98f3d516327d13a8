/** Peak and do-not-disturb windows as the agent types them: `10:30-13:30, 16:30-20:30`. */
import type { TimeRange } from '../../ipc/backend';

const RANGE = /^([01]\d|2[0-3]):([0-5]\d)\s*[-–~至]\s*([01]\d|2[0-3]):([0-5]\d)$/;

export function formatRanges(ranges: TimeRange[]): string {
  return ranges.map((r) => `${r.start}-${r.end}`).join(', ');
}

/** The ranges typed, or null when any part is not `HH:MM-HH:MM`. */
export function parseRanges(text: string): TimeRange[] | null {
  const parts = text.split(/[,，、;；]/).map((p) => p.trim()).filter((p) => p !== '');
  const ranges: TimeRange[] = [];
  for (const part of parts) {
    const m = RANGE.exec(part);
    if (!m) return null;
    ranges.push({ start: `${m[1]}:${m[2]}`, end: `${m[3]}:${m[4]}` });
  }
  return ranges;
}

/** What a store's peak field may say besides ranges: the store has no peak hours at all. */
export const NO_PEAKS = ['无', 'none'];

/** A store's override as the field shows it: its ranges, or 无 for an explicit "no peaks". */
export function formatStorePeaks(ranges: TimeRange[]): string {
  return ranges.length === 0 ? NO_PEAKS[0] ?? '' : formatRanges(ranges);
}

/**
 * A store's field: empty follows the brand (`'brand'`), 无/none means no peak hours (`[]`),
 * otherwise the ranges; null when it is none of these.
 */
export function parseStorePeaks(text: string): TimeRange[] | 'brand' | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'brand';
  if (NO_PEAKS.includes(trimmed.toLowerCase())) return [];
  return parseRanges(trimmed);
}
