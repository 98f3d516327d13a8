import { describe, expect, it } from 'vitest';
import { formatRanges, formatStorePeaks, parseRanges, parseStorePeaks } from './ranges';

describe('time ranges', () => {
  it('round-trips the default peaks', () => {
    const peaks = [
      { start: '10:30', end: '13:30' },
      { start: '16:30', end: '20:30' },
    ];
    expect(parseRanges(formatRanges(peaks))).toEqual(peaks);
  });

  it('accepts Chinese separators and an empty list', () => {
    expect(parseRanges('22:00至07:00，12:00–12:30')).toEqual([
      { start: '22:00', end: '07:00' },
      { start: '12:00', end: '12:30' },
    ]);
    expect(parseRanges('  ')).toEqual([]);
  });

  it('refuses anything that is not HH:MM-HH:MM', () => {
    expect(parseRanges('10:30-25:00')).toBeNull();
    expect(parseRanges('lunch')).toBeNull();
  });
});

describe('store peak fields', () => {
  it('tell "follow the brand", "no peaks" and own ranges apart, and round-trip', () => {
    expect(parseStorePeaks('')).toBe('brand');
    expect(parseStorePeaks(' 无 ')).toEqual([]);
    expect(parseStorePeaks('None')).toEqual([]);
    expect(parseStorePeaks('11:00-14:00')).toEqual([{ start: '11:00', end: '14:00' }]);
    expect(parseStorePeaks('午饭时间')).toBeNull();
    expect(formatStorePeaks([])).toBe('无');
    expect(parseStorePeaks(formatStorePeaks([{ start: '17:00', end: '21:00' }]))).toEqual([{ start: '17:00', end: '21:00' }]);
  });
});
