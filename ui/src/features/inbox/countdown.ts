/**
 * Reply-clock countdowns from the core's clock: an inbox page carries the core's `now`, and the
 * time elapsed since that page arrived is added from the webview's clock, so a skewed PC clock
 * cannot make a deadline look further away than the core thinks it is.
 */
import { formatCountdown } from '../../i18n/format';
import type { ConversationRow } from '../../ipc/backend';
import { clockTone, type ClockTone } from './clock-tone';

/** The core's clock as last reported: its `now` and our `Date.now()` when the page arrived. */
export type CoreClock = { now: number; receivedAt: number };

export function coreNow(clock: CoreClock, clientNow: number): number {
  return clock.now + (clientNow - clock.receivedAt);
}

export type RowClock = { remainingMs: number; overdue: boolean; tone: ClockTone; text: string };

/** The running clock of `row` at `now` (core time), or null when nobody waits. */
export function rowClock(row: Pick<ConversationRow, 'deadlineAt' | 'awaitingSince' | 'urgent'>, now: number): RowClock | null {
  if (row.deadlineAt === null) return null;
  const remainingMs = row.deadlineAt - now;
  const totalMs = row.awaitingSince !== null ? row.deadlineAt - row.awaitingSince : remainingMs;
  return {
    remainingMs,
    overdue: remainingMs < 0,
    tone: clockTone({ remainingMs, totalMs, urgent: row.urgent }),
    text: formatCountdown(remainingMs),
  };
}
