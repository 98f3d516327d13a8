/** The core's rules the mock imitates: inbox order, filter chips, default alert settings and reply rates. */
import type { AlertSettings, ConversationRow, InboxFilter, ReplyRates } from '../backend';

export const DEFAULT_ALERTS: AlertSettings = {
  peakWindows: [
    { start: '10:30', end: '13:30' },
    { start: '16:30', end: '20:30' },
  ],
  storePeakWindows: {},
  doNotDisturb: [],
  mutedStores: [],
  coalesceWindowSecs: 60,
  urgentRealertSecs: 30,
  hidePreview: false,
  sound: true,
  urgentSound: true,
  replyClock: { normalMs: 300_000, urgentMs: 60_000, urgentTags: [9003], preAlertFractions: [0.6, 0.8] },
  storm: { storeMinGapSecs: 10, windowSecs: 60, brandMaxPerWindow: 20, urgentMaxPerWindow: 30, reminderMinGapSecs: 30 },
};

/** The core's inbox order: running clocks by deadline, then the rest by last message, newest first. */
export function compareRows(a: ConversationRow, b: ConversationRow): number {
  if (a.deadlineAt !== null && b.deadlineAt !== null) return a.deadlineAt - b.deadlineAt || b.lastAt - a.lastAt;
  if (a.deadlineAt !== null) return -1;
  if (b.deadlineAt !== null) return 1;
  return b.lastAt - a.lastAt;
}

export function matchesFilter(row: ConversationRow, filter: InboxFilter, now: number): boolean {
  switch (filter) {
    case 'all':
      return true;
    case 'urgent':
      return row.deadlineAt !== null && (row.urgent || row.deadlineAt < now);
    case 'preOrder':
    case 'inProgress':
    case 'afterSale':
      return row.kind === 'twoParty' && row.orderState === filter;
    case 'blocked':
      return row.blocked;
    default:
      return row.kind === filter;
  }
}

/** Believable reply rates: the brand (store null) first, then each store. */
export function demoReplyRates(storeIds: string[]): ReplyRates[] {
  const rate = (onTime: number, counted: number) => ({ onTime, counted, ratio: counted > 0 ? onTime / counted : null });
  const stores = storeIds.map((store, i) => ({
    store,
    fiveMin: rate(120 - (i % 4) * 3, 122),
    urgentOneMin: rate(i % 6 === 5 ? 3 : 4, 4),
    platformFiveMin: null,
    platformUrgent: null,
    targetFiveMin: '95%',
    targetUrgent: '90%',
  }));
  const sum = (pick: (r: ReplyRates) => { onTime: number; counted: number }) =>
    rate(stores.reduce((s, r) => s + pick(r).onTime, 0), stores.reduce((s, r) => s + pick(r).counted, 0));
  const brand: ReplyRates = { store: null, fiveMin: sum((r) => r.fiveMin), urgentOneMin: sum((r) => r.urgentOneMin), platformFiveMin: '97.6%', platformUrgent: '95.0%', targetFiveMin: '95%', targetUrgent: '90%' };
  return [brand, ...stores];
}
