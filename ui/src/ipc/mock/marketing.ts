/**
 * The mock platform's reviews, review contacts and fans groups, with the core's rules: a store
 * without the review-contact right is refused (`rightLocked`), a review already contacted
 * opens its conversation again, a fans group with the same introduction is a `duplicate`, a
 * coupon activity ending in the past is `inPast`, and no coupon is sent without quota.
 */
import type {
  FansCouponForm,
  IpcError,
  JoinCouponForm,
  NewFansGroup,
  ReviewContact,
  SentFansCoupon,
  StoreFans,
  StoreReviews,
} from '../backend';
import type { MockStore } from './brand';

const REVIEW_TEXTS: [string, number][] = [
  ['面有点坨了，送到的时候已经不烫了', 2],
  ['味道不错，分量足，下次还点', 5],
  ['汤洒了一半，包装需要改进', 1],
  ['骑手很快，面很筋道', 5],
];

type FansState = StoreFans;

export class MockMarketing {
  /** Stores that do not hold the review-contact right. */
  readonly contactLocked = new Set<string>();
  /** Review contacts started: `store|commentId` → conversation id. */
  private readonly contacts = new Map<string, string>();
  private readonly fans = new Map<string, FansState>();
  private nextId = 9_100_000;

  constructor(
    private readonly stores: MockStore[],
    private readonly clock: () => number,
    /** Adds the started contact's conversation to the inbox; returns its id. */
    private readonly addConversation: (store: string, groupId: string, commentId: string) => string,
  ) {}

  private known(store: string): MockStore | IpcError {
    return this.stores.find((s) => s.epoiId === store) ?? { code: 'notFound', message: `store ${store} not found` };
  }

  storeReviews(store: string, days: number | null): StoreReviews | IpcError {
    const s = this.known(store);
    if ('code' in s) return s;
    const index = this.stores.indexOf(s);
    const reviews = REVIEW_TEXTS.map(([text, score], i) => {
      const commentId = String(7_000_000 + index * 10 + i);
      return {
        commentId,
        time: this.clock() - (i + 1) * 5 * 3_600_000,
        text,
        score,
        replied: i === 1,
        reply: i === 1 ? '感谢您的好评，期待再次光临' : null,
        conversationId: this.contacts.get(`${store}|${commentId}`) ?? null,
      };
    });
    return {
      epoiId: store,
      name: s.name,
      contactRight: this.contactLocked.has(store) ? 'locked' : 'unlocked',
      rightError: null,
      days: days ?? 30,
      reviews,
    };
  }

  startReviewContact(store: string, commentId: string): ReviewContact | IpcError {
    const s = this.known(store);
    if ('code' in s) return s;
    const existing = this.contacts.get(`${store}|${commentId}`);
    if (existing) return { conversationId: existing, groupId: existing.split('|')[2] ?? '', created: false };
    if (this.contactLocked.has(store)) {
      return { code: 'rightLocked', message: `store ${s.name} (${store}) does not hold the right: review contact` };
    }
    const groupId = String((this.nextId += 1));
    const conversationId = this.addConversation(store, groupId, commentId);
    this.contacts.set(`${store}|${commentId}`, conversationId);
    return { conversationId, groupId, created: true };
  }

  private fansOf(store: string): FansState | IpcError {
    const s = this.known(store);
    if ('code' in s) return s;
    let f = this.fans.get(store);
    if (!f) {
      f = { epoiId: store, name: s.name, canBuild: true, canManage: true, groups: [], activities: [], coupons: [], remainingCoupons: null };
      this.fans.set(store, f);
    }
    return f;
  }

  storeFans(store: string): StoreFans | IpcError {
    const f = this.fansOf(store);
    return 'code' in f ? f : structuredClone(f);
  }

  createFansGroup(store: string, group: NewFansGroup): StoreFans | IpcError {
    const f = this.fansOf(store);
    if ('code' in f) return f;
    const intro = group.intro.trim();
    if (intro === '' || group.welcome.trim() === '') return { code: 'invalid', message: 'groupIntro: must not be empty' };
    if (!f.canBuild) return { code: 'rightLocked', message: `store ${store} does not hold the right: fans groups` };
    if (f.groups.some((g) => g.intro === intro)) return { code: 'duplicate', message: 'groupIntro: fans group exists already' };
    const groupId = String((this.nextId += 1));
    f.groups.push({ groupId, name: `${f.name}粉丝${f.groups.length + 1}群`, members: 0, intro, announce: group.welcome.trim(), entranceOpen: true, open: true });
    if (group.joinCoupon) {
      const c = group.joinCoupon;
      f.activities.push({ activityId: String((this.nextId += 1)), price: c.price, limitPrice: c.limitPrice, validityDays: c.validityDays, running: true, createdAt: this.clock(), endedAt: null });
    }
    f.remainingCoupons ??= 30;
    return structuredClone(f);
  }

  startJoinCoupon(store: string, groupId: string, c: JoinCouponForm): StoreFans | IpcError {
    const f = this.fansOf(store);
    if ('code' in f) return f;
    if (!f.groups.some((g) => g.groupId === groupId)) return { code: 'notFound', message: `fans group ${groupId} not found` };
    if (f.activities.some((a) => a.running)) return { code: 'duplicate', message: 'joinCoupon: a running join-group coupon' };
    f.activities.push({ activityId: String((this.nextId += 1)), price: c.price, limitPrice: c.limitPrice, validityDays: c.validityDays, running: true, createdAt: this.clock(), endedAt: null });
    return structuredClone(f);
  }

  sendFansCoupon(store: string, form: FansCouponForm): SentFansCoupon | IpcError {
    const f = this.fansOf(store);
    if ('code' in f) return f;
    if (!f.groups.some((g) => g.groupId === form.groupId)) return { code: 'notFound', message: `fans group ${form.groupId} not found` };
    if (form.activityEndsAt <= this.clock()) return { code: 'inPast', message: 'activityEndsAt is in the past' };
    if ((f.remainingCoupons ?? 0) <= 0) return { code: 'rightLocked', message: `store ${store}: no coupon is left this month` };
    const couponConfigId = `cp${(this.nextId += 1)}`;
    f.remainingCoupons = (f.remainingCoupons ?? 0) - 1;
    f.coupons.push({
      couponConfigId,
      name: '粉丝群满减券',
      price: String(form.price),
      limitPrice: String(form.limitPrice),
      status: 'running',
      createdAt: this.clock(),
      endsAt: form.activityEndsAt,
      remain: form.count,
    });
    return { couponConfigId, remainingCoupons: f.remainingCoupons };
  }
}
