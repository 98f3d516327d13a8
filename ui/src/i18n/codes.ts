/**
 * The core sends codes and data, never words (architecture rule 9 for errors, the same for
 * titles, previews and order states): this module words them in the agent's language.
 */
import type { ConversationRow, ConversationTitle } from '../ipc/backend';
import { t } from './locale.svelte';

type OrderStatus = 1 | 2 | 3 | 4 | 6 | 7 | 8 | 9;
const ORDER_STATUSES: readonly number[] = [1, 2, 3, 4, 6, 7, 8, 9];

/** `顾客*1234`, `评价联系 #…`, a fans group's own name, … */
export function conversationTitle(title: ConversationTitle): string {
  switch (title.kind) {
    case 'customer':
      return t('title.customer', { customer: title.customer });
    case 'review':
      return t('title.review', { id: title.commentId });
    case 'fansGroup':
      return title.name ?? t('title.fansGroup', { id: title.groupId });
    case 'riderGroup':
      return title.customer === null
        ? t('title.riderGroup', { id: title.groupId })
        : t('title.riderGroupCustomer', { customer: title.customer });
  }
}

/** True when the title is the platform's text (a fans group's name) rather than our words. */
export function titleIsVerbatim(title: ConversationTitle): boolean {
  return title.kind === 'fansGroup' && title.name !== null;
}

/** The inbox row's last message: its text, or a marker such as `[图片]`. */
export function messagePreview(row: Pick<ConversationRow, 'lastBody' | 'lastText'>): string {
  if (row.lastBody === 'text') return row.lastText;
  return t(row.lastBody === 'image' ? 'preview.image' : 'preview.other');
}

/** The platform's order status code (`配送中` for 6, …). */
export function orderStatus(status: number): string {
  if (ORDER_STATUSES.includes(status)) return t(`order.status.${status as OrderStatus}`);
  return t('order.status.other', { code: status });
}
