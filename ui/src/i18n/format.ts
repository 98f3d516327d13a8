/**
 * How times, money and reply clocks read on screen, in the current language.
 * Callers pass "now" in: the webview keeps no clocks of its own (the core drives them).
 */
import { t } from './locale.svelte';

const pad2 = (n: number) => String(n).padStart(2, '0');

/** `18:02` today, `昨天 18:02` yesterday, `11月26日 18:02` this year, with the year before that. */
export function formatMessageTime(atMs: number, nowMs: number): string {
  const at = new Date(atMs);
  const now = new Date(nowMs);
  const time = `${pad2(at.getHours())}:${pad2(at.getMinutes())}`;
  if (sameDay(at, now)) return time;
  const yesterday = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1);
  if (sameDay(at, yesterday)) return t('time.yesterday', { time });
  const month = at.getMonth() + 1;
  const day = at.getDate();
  if (at.getFullYear() === now.getFullYear()) return t('time.thisYear', { month, day, time });
  return t('time.otherYear', { year: at.getFullYear(), month, day, time });
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** `¥32.50` from an amount in fen (1/100 yuan); integers avoid float rounding on money. */
export function formatFen(fen: number): string {
  const whole = Math.round(fen);
  const sign = whole < 0 ? '-' : '';
  const abs = Math.abs(whole);
  return `${sign}¥${Math.floor(abs / 100)}.${pad2(abs % 100)}`;
}

/**
 * A reply clock: `4:59` left, or `超时 1:05` past the deadline. Time left rounds up so the
 * clock reads 0:00 exactly at the deadline; time overdue rounds down.
 */
export function formatCountdown(remainingMs: number): string {
  if (remainingMs >= 0) return clockText(Math.ceil(remainingMs / 1000));
  return t('clock.overdue', { elapsed: clockText(Math.floor(-remainingMs / 1000)) });
}

function clockText(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}:${pad2(minutes)}:${pad2(seconds)}` : `${minutes}:${pad2(seconds)}`;
}
