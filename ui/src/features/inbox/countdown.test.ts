import { describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/locale.svelte';
import { coreNow, rowClock } from './countdown';

const row = (deadlineAt: number | null, awaitingSince: number | null, urgent = false) => ({ deadlineAt, awaitingSince, urgent });

describe('coreNow', () => {
  it('advances the core clock by the time elapsed on the webview clock', () => {
    // The PC clock is 10 minutes fast: only the elapsed 3 s count.
    expect(coreNow({ now: 1_000_000, receivedAt: 1_600_000 }, 1_603_000)).toBe(1_003_000);
  });
});

describe('rowClock', () => {
  it('is null when nobody waits', () => {
    expect(rowClock(row(null, null), 0)).toBeNull();
  });

  it('counts down a fresh 5-minute clock calmly', () => {
    expect(rowClock(row(300_000, 0), 0)).toEqual({ remainingMs: 300_000, overdue: false, tone: 'calm', text: '5:00' });
  });

  it('turns amber after 60 % of the window', () => {
    const clock = rowClock(row(300_000, 0), 190_000);
    expect(clock?.tone).toBe('warning');
    expect(clock?.text).toBe('1:50');
  });

  it('is red and says 超时 once the deadline passed', () => {
    expect(rowClock(row(300_000, 0), 365_000)).toEqual({ remainingMs: -65_000, overdue: true, tone: 'urgent', text: '超时 1:05' });
  });

  it('is red from the first second for an urgent complaint', () => {
    expect(rowClock(row(60_000, 0, true), 0)?.tone).toBe('urgent');
    expect(rowClock(row(60_000, 0, true), 0)?.text).toBe('1:00');
  });

  it('speaks English after a switch', () => {
    setLocale('en');
    expect(rowClock(row(0, 0), 65_000)?.text).toBe('Overdue 1:05');
  });
});
