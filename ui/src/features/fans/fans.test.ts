import { describe, expect, it } from 'vitest';
import { couponCost, couponProblems, groupProblems, localInputToMs } from './fans';

const NOW = Date.UTC(2026, 11, 5, 12);
const coupon = { groupId: '7', count: 100, price: 5, limitPrice: 30, claimValidDays: 7, activityEndsAt: NOW + 86_400_000 };

describe('fans forms', () => {
  it('a good coupon has no problem, and its cost is every coupon used', () => {
    expect(couponProblems(coupon, NOW, 3)).toEqual([]);
    expect(couponCost(coupon)).toBe(500);
  });

  it('a coupon activity ending in the past names its field', () => {
    expect(couponProblems({ ...coupon, activityEndsAt: NOW - 1 }, NOW, 3)).toEqual([{ field: 'activityEndsAt', key: 'fans.problem.endsAt' }]);
    expect(couponProblems({ ...coupon, activityEndsAt: null }, NOW, 3)).toEqual([{ field: 'activityEndsAt', key: 'fans.problem.endsAtMissing' }]);
  });

  it('each wrong field is named, and no quota left is a problem', () => {
    const fields = (c: Partial<typeof coupon>, remaining: number | null = 3) =>
      couponProblems({ ...coupon, ...c }, NOW, remaining).map((p) => p.field);
    expect(fields({ count: 0 })).toEqual(['count']);
    expect(fields({ count: 10_000 })).toEqual(['count']);
    expect(fields({ price: 20 })).toEqual(['price']);
    expect(fields({ limitPrice: 0 })).toEqual(['limitPrice']);
    expect(fields({ claimValidDays: 0 })).toEqual(['claimValidDays']);
    expect(fields({}, 0)).toEqual(['quota']);
  });

  it('a new group needs both texts, and a join coupon below its threshold', () => {
    expect(groupProblems({ intro: '进群领券', welcome: '欢迎', joinCoupon: null })).toEqual([]);
    expect(groupProblems({ intro: ' ', welcome: '', joinCoupon: null }).map((p) => p.field)).toEqual(['groupIntro', 'groupWelcomeMsg']);
    expect(
      groupProblems({ intro: '进群', welcome: '欢迎', joinCoupon: { price: 30, limitPrice: 20, validityDays: 0 } }).map((p) => p.field),
    ).toEqual(['joinCoupon.price', 'joinCoupon.validityDays']);
  });

  it('reads a datetime-local value', () => {
    expect(localInputToMs('')).toBeNull();
    expect(localInputToMs('nonsense')).toBeNull();
    expect(localInputToMs('2026-12-06T10:00')).toBe(new Date('2026-12-06T10:00').getTime());
  });
});
