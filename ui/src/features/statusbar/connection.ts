/** What the status bar says about the push connections to the platform. */
import { t } from '../../i18n/locale.svelte';

/**
 * Summary of the push sockets. Filled from core events once they exist; until then the
 * shell starts from `OFFLINE`.
 */
export type ConnectionSummary = {
  /** Sockets currently alive. */
  live: number;
  /** Sockets configured. */
  total: number;
  /** Set while a lost socket is being re-established: the attempt number (1-based). */
  reconnectAttempt?: number;
};

export const OFFLINE: ConnectionSummary = { live: 0, total: 0 };

export function connectionText(summary: ConnectionSummary): string {
  if (summary.reconnectAttempt !== undefined) {
    return t('status.connection.reconnecting', { attempt: summary.reconnectAttempt });
  }
  if (summary.total === 0 || summary.live === 0) return t('status.connection.offline');
  return t('status.connection.live', { live: summary.live, total: summary.total });
}
