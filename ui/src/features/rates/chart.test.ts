import { describe, expect, it } from 'vitest';
import { chartOf, dayIndex, floorOf, pct } from './chart';

const point = (day: string, fiveMin: number | null, urgent: number | null = null) => ({
  day,
  fiveMin,
  urgent,
  localFiveMin: null,
  localUrgent: null,
});

describe('rates chart', () => {
  it('places days on the 30-day axis and percents between the floor and 100', () => {
    expect(dayIndex('2026-11-06', '2026-12-05')).toBe(29);
    const c = chartOf([point('2026-11-06', 100), point('2026-12-05', 50, 75)], '2026-11-06', 30, 290, 100);
    expect(c.floor).toBe(50);
    expect(c.fiveMin).toBe('0.0,0.0 290.0,100.0');
    expect(c.urgent).toBe('290.0,50.0');
    expect(c.localFiveMin).toBe('');
  });

  it('lowers the floor for a figure below 50 and formats percents', () => {
    expect(floorOf([point('2026-12-05', 37.5)])).toBe(30);
    expect(pct(95.5)).toBe('95.5%');
    expect(pct(96)).toBe('96%');
    expect(pct(null)).toBe('—');
  });
});
