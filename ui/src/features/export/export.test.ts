import { describe, expect, it } from 'vitest';
import { localDay, rangeProblem } from './export';

describe('rangeProblem', () => {
  it('names the missing field and refuses a range that ends before it starts', () => {
    expect(rangeProblem('', '2026-12-05')).toBe('export.fromMissing');
    expect(rangeProblem('2026-12-05', ' ')).toBe('export.toMissing');
    expect(rangeProblem('2026-12-06', '2026-12-05')).toBe('export.reversed');
    expect(rangeProblem('2026-12-05', '2026-12-05')).toBeNull();
    expect(rangeProblem('2026-11-30', '2026-12-01')).toBeNull();
  });

  it('formats a local day with zero padding', () => {
    expect(localDay(new Date(2026, 0, 3, 12).getTime())).toBe('2026-01-03');
  });
});
