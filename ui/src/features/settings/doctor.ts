/** Wording of the connection doctor's report: durations, skew, scope and socket states. */
import { t } from '../../i18n/locale.svelte';
import type { SocketState } from '../../ipc/backend';

/** `850 毫秒`, `12 秒`, `3 分钟`, `2 小时`: the largest unit that fits, rounded down. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1_000) return t('doctor.duration.ms', { n: Math.round(abs) });
  if (abs < 60_000) return t('doctor.duration.s', { n: Math.floor(abs / 1_000) });
  if (abs < 3_600_000) return t('doctor.duration.min', { n: Math.floor(abs / 60_000) });
  return t('doctor.duration.h', { n: Math.floor(abs / 3_600_000) });
}

/** A signed skew: `+350 毫秒`, `−2 分钟`. */
export function formatSkew(ms: number): string {
  return `${ms < 0 ? '−' : '+'}${formatDuration(ms)}`;
}

/** A skew this large makes the platform refuse our signed timestamps. */
export const SKEW_WARNING_MS = 60_000;

/** The report's `scope` (`developer`, `store:<epoiId>`, `none`) in words. */
export function scopeText(scope: string): string {
  if (scope === 'developer') return t('doctor.scope.developer');
  if (scope.startsWith('store:')) return t('doctor.scope.store', { store: scope.slice('store:'.length) });
  return t('doctor.scope.none');
}

export function socketStateText(state: SocketState): string {
  return t(`doctor.socket.${state}`);
}
