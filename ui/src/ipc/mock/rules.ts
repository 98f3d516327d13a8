/** The core's rules the mock imitates: inbox order, filter chips and default alert settings. */
import type { AlertSettings, ConversationRow, InboxFilter } from '../backend';

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
