/** The core's rules the mock imitates: inbox order, filter chips, attention and reply rates. */
import type { ConversationRow, InboxFilter, ReplyRates } from '../backend';

/** The core's `convert::needs_attention`: a running clock that is urgent or past its deadline. */
export function needsAttention(row: ConversationRow, now: number): boolean {
  return row.deadlineAt !== null && (row.urgent || row.deadlineAt < now);
}

/** A row as the core sends it at `now` (its time-dependent fields computed then). */
export function rowAt(row: ConversationRow, now: number): ConversationRow {
  return { ...row, attention: needsAttention(row, now) };
}

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
      return needsAttention(row, now);
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
