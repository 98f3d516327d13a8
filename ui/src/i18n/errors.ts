/** Turns whatever a backend call rejected with into a sentence for the agent. */
import { isIpcError } from '../ipc/backend';
import { hasMessage, t } from './locale.svelte';
import type { MessageKey } from './messages';

/** Catalogue keys for known error codes; none of them takes parameters (checked by `t`). */
type KnownErrorKey = Exclude<Extract<MessageKey, `error.${string}`>, 'error.unknown'>;

function isKnownErrorKey(key: string): key is KnownErrorKey {
  return key !== 'error.unknown' && key.startsWith('error.') && hasMessage(key);
}

/**
 * Catalogue text for an IPC error code (`error.<code>`). An unknown code gets the generic
 * sentence with the code in it, so support can still tell cases apart. The developer-facing
 * `message` is never shown.
 */
export function errorText(error: unknown): string {
  const code = isIpcError(error) ? error.code : 'internal';
  const key = `error.${code}`;
  return isKnownErrorKey(key) ? t(key) : t('error.unknown', { code });
}
