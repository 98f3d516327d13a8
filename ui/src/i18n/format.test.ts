import { describe, expect, it } from 'vitest';
import { formatCountdown, formatFen, formatMessageTime } from './format';
import { setLocale } from './locale.svelte';

// Local wall-clock times, so the tests hold in any time zone.
const at = (y: number, mo: number, d: number, h: number, mi: number, s = 0) => new Date(y, mo - 1, d, h, mi, s).getTime();
const now = at(2025, 11, 27, 9, 30);

describe('formatMessageTime', () => {
  it('shows only the time today', () => {
    expect(formatMessageTime(at(2025, 11, 27, 0, 0), now)).toBe('00:00');
    expect(formatMessageTime(at(2025, 11, 27, 18, 2), at(2025, 11, 27, 21, 0))).toBe('18:02');
  });

  it('says 昨天 for the previous calendar day', () => {
    expect(formatMessageTime(at(2025, 11, 26, 18, 2), now)).toBe('昨天 18:02');
    expect(formatMessageTime(at(2025, 11, 26, 23, 59), now)).toBe('昨天 23:59');
  });

  it('crosses month and year boundaries for yesterday', () => {
    expect(formatMessageTime(at(2025, 11, 30, 22, 0), at(2025, 12, 1, 8, 0))).toBe('昨天 22:00');
    expect(formatMessageTime(at(2024, 12, 31, 23, 0), at(2025, 1, 1, 8, 0))).toBe('昨天 23:00');
  });

  it('shows month and day earlier this year, and the year before that', () => {
    expect(formatMessageTime(at(2025, 11, 25, 18, 2), now)).toBe('11月25日 18:02');
    expect(formatMessageTime(at(2025, 1, 5, 7, 9), now)).toBe('1月5日 07:09');
    expect(formatMessageTime(at(2024, 11, 26, 18, 2), now)).toBe('2024年11月26日 18:02');
  });

  it('follows the language switch', () => {
    setLocale('en');
    expect(formatMessageTime(at(2025, 11, 26, 18, 2), now)).toBe('Yesterday 18:02');
    expect(formatMessageTime(at(2025, 11, 25, 18, 2), now)).toBe('11/25 18:02');
  });
});

describe('formatFen', () => {
  it('formats fen as yuan with two decimals', () => {
    expect(formatFen(3250)).toBe('¥32.50');
    expect(formatFen(5)).toBe('¥0.05');
    expect(formatFen(0)).toBe('¥0.00');
    expect(formatFen(1234567)).toBe('¥12345.67');
  });

  it('puts the sign before the currency for refunds', () => {
    expect(formatFen(-500)).toBe('-¥5.00');
  });
});

describe('formatCountdown', () => {
  it('shows time left as m:ss, rounding up', () => {
    expect(formatCountdown(300_000)).toBe('5:00');
    expect(formatCountdown(299_000)).toBe('4:59');
    expect(formatCountdown(298_001)).toBe('4:59');
    expect(formatCountdown(60_000)).toBe('1:00');
    expect(formatCountdown(0)).toBe('0:00');
  });

  it('shows time past the deadline as 超时', () => {
    expect(formatCountdown(-65_000)).toBe('超时 1:05');
    expect(formatCountdown(-65_999)).toBe('超时 1:05');
  });

  it('adds hours for long overdue clocks', () => {
    expect(formatCountdown(-(2 * 3600 + 3 * 60 + 4) * 1000)).toBe('超时 2:03:04');
  });

  it('follows the language switch', () => {
    setLocale('en');
    expect(formatCountdown(-65_000)).toBe('Overdue 1:05');
  });
});
