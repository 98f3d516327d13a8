import { describe, expect, it } from 'vitest';
import { clockTone } from './clock-tone';

const FIVE_MIN = 300_000;

describe('clockTone', () => {
  it('stays calm until 60 % of the window is used', () => {
    expect(clockTone({ remainingMs: FIVE_MIN, totalMs: FIVE_MIN, urgent: false })).toBe('calm');
    expect(clockTone({ remainingMs: 120_000, totalMs: FIVE_MIN, urgent: false })).toBe('calm');
  });

  it('turns amber past 60 %', () => {
    expect(clockTone({ remainingMs: 119_000, totalMs: FIVE_MIN, urgent: false })).toBe('warning');
    expect(clockTone({ remainingMs: 0, totalMs: FIVE_MIN, urgent: false })).toBe('warning');
  });

  it('turns red when overdue', () => {
    expect(clockTone({ remainingMs: -1, totalMs: FIVE_MIN, urgent: false })).toBe('urgent');
  });

  it('is red for urgent conversations from the start', () => {
    expect(clockTone({ remainingMs: 60_000, totalMs: 60_000, urgent: true })).toBe('urgent');
  });
});
