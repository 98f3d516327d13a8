import { t } from '../../i18n/locale.svelte';
import { isIpcError } from '../../ipc/backend';

/** A refusal of the credentials form in the agent's words: which store, and what the platform said. */
export interface Refusal {
  text: string;
  /** The platform's own words (or the core's reason), shown verbatim. */
  detail: string;
}

const PATTERNS: [RegExp, 'credentials.tokenRefused' | 'credentials.codeRefused' | 'credentials.storeInvalid' | 'credentials.developerRefused'][] = [
  [/^the developerId or signKey was refused: ()(.*)$/s, 'credentials.developerRefused'],
  [/^store (\S+): the token does not work: (.*)$/s, 'credentials.tokenRefused'],
  [/^store (\S+): the authorisation code was refused: (.*)$/s, 'credentials.codeRefused'],
  [/^store (\S+): (.*)$/s, 'credentials.storeInvalid'],
];

/** The refusal naming a store, or null when the error is of another kind. */
export function refusal(error: unknown): Refusal | null {
  if (!isIpcError(error) || error.code !== 'invalid') return null;
  const message = error.message.replace(/^credentials: /, '');
  for (const [pattern, key] of PATTERNS) {
    const m = pattern.exec(message);
    if (m) return { text: t(key, { store: m[1] ?? '' }), detail: m[2] ?? '' };
  }
  return { text: t('credentials.formInvalid'), detail: message };
}
