/** Turns whatever a backend call rejected with into a sentence for the agent. */
import { isIpcError } from '../ipc/backend';
import { hasMessage, t } from './locale.svelte';
import type { MessageKey } from './messages';

/** Entries that take parameters, so they are not selected by a code. */
type ParamErrorKey = 'error.unknown' | 'error.platformSaid';

/** Catalogue keys for known error codes; none of them takes parameters (checked by `t`). */
type KnownErrorKey = Exclude<Extract<MessageKey, `error.${string}`>, ParamErrorKey>;

function isKnownErrorKey(key: string): key is KnownErrorKey {
  return key !== 'error.unknown' && key !== 'error.platformSaid' && key.startsWith('error.') && hasMessage(key);
}

/** The platform's own words, when the error carries them. */
function platformWords(error: unknown): string | null {
  if (!isIpcError(error)) return null;
  const said = (error as { platformMsg?: unknown }).platformMsg;
  return typeof said === 'string' && said.trim() !== '' ? said.trim() : null;
}

/**
 * Catalogue text for an IPC error code (`error.<code>`). A plain platform refusal (a code the
 * core's table does not know: Meituan does not document its codes) shows the platform's own
 * words when it sent any. An unknown code gets the generic sentence with the code in it, so
 * support can still tell cases apart. The developer-facing `message` is never shown.
 */
export function errorText(error: unknown): string {
  const code = isIpcError(error) ? error.code : 'internal';
  const key = `error.${code}`;
  const said = platformWords(error);
  if (said !== null && (code === 'platform' || !isKnownErrorKey(key))) {
    return t('error.platformSaid', { msg: said });
  }
  return isKnownErrorKey(key) ? t(key) : t('error.unknown', { code });
}
