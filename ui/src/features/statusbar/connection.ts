/** What the status bar says about the push connections to the platform. */
import { t } from '../../i18n/locale.svelte';
import type { ConnectionStatus, ReplyRates } from '../../ipc/backend';

/** `已连接 3/3`, `部分连接 2/3，正在重连`, … ; `null` until the first status arrives. */
export function connectionText(status: ConnectionStatus | null): string {
  if (!status) return t('status.connection.unknown');
  const live = status.sockets.filter((s) => s.state === 'open').length;
  const total = status.sockets.length;
  switch (status.state) {
    case 'online':
      return t('status.connection.online', { live, total });
    case 'degraded':
      return t('status.connection.degraded', { live, total });
    case 'offline':
      return t('status.connection.offline');
    case 'stopped':
      return t('status.connection.stopped');
  }
}

/** `97.8%`, or `—` when nothing was counted yet. */
export function percent(ratio: number | null): string {
  if (ratio === null) return t('status.rates.none');
  return `${(Math.floor(ratio * 1000) / 10).toFixed(1)}%`;
}

/** The brand line of the status bar. */
export function ratesText(brand: ReplyRates | undefined): string {
  return t('status.rates', {
    five: percent(brand?.fiveMin.ratio ?? null),
    urgent: percent(brand?.urgentOneMin.ratio ?? null),
  });
}
