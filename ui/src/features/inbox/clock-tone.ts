/**
 * The one colour rule of the inbox: red for overdue or urgent, amber once a reply clock has
 * used 60 % of its time, neutral otherwise. Components map the tone to CSS variables.
 */
export type ClockTone = 'urgent' | 'warning' | 'calm';

/** Share of the reply window after which a clock turns amber. */
export const WARNING_SHARE = 0.6;

export function clockTone(clock: { remainingMs: number; totalMs: number; urgent: boolean }): ClockTone {
  if (clock.urgent || clock.remainingMs < 0) return 'urgent';
  const used = clock.totalMs > 0 ? (clock.totalMs - clock.remainingMs) / clock.totalMs : 1;
  return used > WARNING_SHARE ? 'warning' : 'calm';
}
