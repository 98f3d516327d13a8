/** What the status bar says about the push connections to the platform. */
import { t } from '../../i18n/locale.svelte';
import type { ConnectionStatus, ReplyRates, TeamStatus } from '../../ipc/backend';

/**
 * A team desk's line: `团队 · 中继 1 在线 · 推送 5/5 · 落后 0 条`, with the seconds once it lags
 * (`落后 120 条 / 8 秒`), or `团队服务器连接中断，正在重连` while the server is unreachable.
 */
export function teamText(team: TeamStatus): string {
  if (!team.serverConnected) return t('status.team.serverDown');
  const lag =
    team.lagMessages > 0
      ? t('status.team.lagSeconds', { messages: team.lagMessages, seconds: Math.round(team.lagSeconds) })
      : t('status.team.lag', { messages: 0 });
  return t('status.team.line', { relays: team.relaysOnline, open: team.socketsOpen, sockets: team.sockets, lag });
}

/** How the team line is coloured: `offline` without server or relay, `degraded` when short. */
export function teamState(team: TeamStatus): 'online' | 'degraded' | 'offline' {
  if (!team.serverConnected || team.relaysOnline === 0) return 'offline';
  if (team.socketsOpen < team.sockets || team.lagSeconds >= 30) return 'degraded';
  return 'online';
}

/** The team line's tooltip: who this desk is, and records in quarantine if any. */
export function teamHint(team: TeamStatus): string {
  const hint = t('status.team.hint', { agent: team.agent });
  return team.quarantined > 0 ? `${hint}\n${t('status.team.quarantined', { count: team.quarantined })}` : hint;
}

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
