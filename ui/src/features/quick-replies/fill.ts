/**
 * Quick-reply variables: {顾客}, {门店}, {订单号}, {预计送达}. Values come from the open
 * conversation; whatever is missing is asked for before the text reaches the composer.
 */
import { formatMessageTime } from '../../i18n/format';
import { interpolate } from '../../i18n/locale.svelte';
import { zhCN } from '../../i18n/messages';
import type { ConversationDetail, QuickReply } from '../../ipc/backend';

export const VARIABLES = ['顾客', '门店', '订单号', '预计送达'] as const;
export type VariableName = (typeof VARIABLES)[number];
export type VariableValues = Partial<Record<VariableName, string>>;

const MARKER = /\{(顾客|门店|订单号|预计送达)\}/g;

/** The variables `text` uses, each once, in order of appearance. */
export function variablesIn(text: string): VariableName[] {
  return [...new Set([...text.matchAll(MARKER)].map((m) => m[1] as VariableName))];
}

/** What the conversation can fill in by itself. */
export function valuesFrom(detail: ConversationDetail | null, now: number): VariableValues {
  if (!detail) return {};
  const values: VariableValues = {};
  // The customer reads Chinese whatever language the agent's window shows.
  if (detail.row.title.kind === 'customer') values['顾客'] = interpolate(zhCN['title.customer'], { customer: detail.row.title.customer });
  if (detail.row.storeName) values['门店'] = detail.row.storeName;
  if (detail.order?.orderIdView) values['订单号'] = detail.order.orderIdView;
  if (detail.order?.estimatedArrivalAt) values['预计送达'] = formatMessageTime(detail.order.estimatedArrivalAt, now);
  return values;
}

/** Fills every variable it has a value for; returns the text and the names still missing. */
export function fillVariables(text: string, values: VariableValues): { text: string; missing: VariableName[] } {
  const missing = variablesIn(text).filter((name) => !values[name]?.trim());
  const filled = text.replace(MARKER, (marker, name: VariableName) => values[name]?.trim() || marker);
  return { text: filled, missing };
}

/** Quick replies whose title or text contains `query` (titles first), store-specific ones before brand ones. */
export function matchReplies(replies: QuickReply[], query: string): QuickReply[] {
  const q = query.trim().toLowerCase();
  const score = (r: QuickReply) => {
    if (q === '') return 0;
    if (r.title.toLowerCase().startsWith(q)) return 0;
    if (r.title.toLowerCase().includes(q)) return 1;
    if (r.text.toLowerCase().includes(q)) return 2;
    return 3;
  };
  return replies
    .map((reply, order) => ({ reply, order, score: score(reply) + (reply.store === null ? 0.5 : 0) }))
    .filter((entry) => entry.score < 3)
    .sort((a, b) => a.score - b.score || a.order - b.order)
    .map((entry) => entry.reply);
}
