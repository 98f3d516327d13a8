/**
 * The fans page's forms, checked as they are typed with the core's rules (`crates/imdesk-core/
 * src/fans.rs`), so that a supervisor sees which field is wrong before anything is sent. The
 * core checks again and refuses whole.
 */
import type { FansCouponForm, JoinCouponForm, NewFansGroup } from '../../ipc/backend';
import type { MessageKey } from '../../i18n/messages';

export const COUPON_COUNT_MAX = 9999;
export const COUPON_DAYS_MAX = 365;

/** What a problem says (a catalogue entry without parameters). */
export type ProblemKey = Extract<MessageKey, `fans.problem.${string}`>;

/** A wrong field and what to say about it. */
export type Problem = { field: string; key: ProblemKey };

function days(field: string, n: number): Problem[] {
  return Number.isInteger(n) && n >= 1 && n <= COUPON_DAYS_MAX ? [] : [{ field, key: 'fans.problem.days' }];
}

/** What is wrong with a join-group coupon. */
export function joinCouponProblems(c: JoinCouponForm): Problem[] {
  const out: Problem[] = [];
  if (!(Number.isInteger(c.price) && c.price >= 1 && c.price < c.limitPrice)) {
    out.push({ field: 'joinCoupon.price', key: 'fans.problem.joinPrice' });
  }
  return [...out, ...days('joinCoupon.validityDays', c.validityDays)];
}

/** What is wrong with a new fans group. */
export function groupProblems(g: NewFansGroup): Problem[] {
  const out: Problem[] = [];
  if (g.intro.trim() === '') out.push({ field: 'groupIntro', key: 'fans.problem.intro' });
  if (g.welcome.trim() === '') out.push({ field: 'groupWelcomeMsg', key: 'fans.problem.welcome' });
  return g.joinCoupon ? [...out, ...joinCouponProblems(g.joinCoupon)] : out;
}

/**
 * What is wrong with a coupon send at `now` (UTC ms); `endsAt` is null until a time is chosen,
 * `remaining` the sends left this month when known.
 */
export function couponProblems(
  c: Omit<FansCouponForm, 'activityEndsAt'> & { activityEndsAt: number | null },
  now: number,
  remaining: number | null,
): Problem[] {
  const out: Problem[] = [];
  if (!(Number.isInteger(c.count) && c.count >= 1 && c.count <= COUPON_COUNT_MAX)) {
    out.push({ field: 'count', key: 'fans.problem.count' });
  }
  if (!(Number.isInteger(c.limitPrice) && c.limitPrice >= 1)) {
    out.push({ field: 'limitPrice', key: 'fans.problem.limitPrice' });
  } else if (!(Number.isInteger(c.price) && c.price * 100 >= c.limitPrice * 3 && c.price * 100 <= c.limitPrice * 50)) {
    out.push({ field: 'price', key: 'fans.problem.price' });
  }
  out.push(...days('claimValidDays', c.claimValidDays));
  if (c.activityEndsAt === null || Number.isNaN(c.activityEndsAt)) {
    out.push({ field: 'activityEndsAt', key: 'fans.problem.endsAtMissing' });
  } else if (c.activityEndsAt <= now) {
    out.push({ field: 'activityEndsAt', key: 'fans.problem.endsAt' });
  }
  if (remaining !== null && remaining <= 0) out.push({ field: 'quota', key: 'fans.problem.quota' });
  return out;
}

/** The most a coupon send can cost the store, in yuan: every coupon used. */
export function couponCost(c: Pick<FansCouponForm, 'count' | 'price'>): number {
  return c.count * c.price;
}

/** A `datetime-local` input's value (local time) as UTC ms, or null when empty or invalid. */
export function localInputToMs(value: string): number | null {
  if (value.trim() === '') return null;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}
