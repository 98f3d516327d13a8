/**
 * The UI language and `t()`, the only way text reaches the screen.
 *
 * The locale is one piece of module state on purpose: a window shows one language, and
 * reading it through `$state` makes every `t()` call in a template re-render on a switch
 * without threading a translator through each component.
 */
import { en, zhCN, type MessageKey } from './messages';

export type Locale = 'zh-CN' | 'en';
export const DEFAULT_LOCALE: Locale = 'zh-CN';

const catalogues: Record<Locale, { readonly [K in MessageKey]: string }> = { 'zh-CN': zhCN, en };

/** The `{name}` parameters of a message template, as a union of names. */
export type ParamNames<S extends string> = S extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;

/** Values for the parameters of message `K` (typed from the zh-CN catalogue). */
export type MessageParams<K extends MessageKey> = Record<ParamNames<(typeof zhCN)[K]>, string | number>;

type ParamsArg<K extends MessageKey> = [ParamNames<(typeof zhCN)[K]>] extends [never] ? [] : [params: MessageParams<K>];

const STORAGE_KEY = 'imdesk.locale';

function isLocale(value: unknown): value is Locale {
  return value === 'zh-CN' || value === 'en';
}

function savedLocale(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(STORAGE_KEY);
    return isLocale(saved) ? saved : DEFAULT_LOCALE;
  } catch {
    // Storage can be unavailable (private mode, tests); the default language is fine then.
    return DEFAULT_LOCALE;
  }
}

let current = $state<Locale>(savedLocale());

export function getLocale(): Locale {
  return current;
}

/** Switches the language of every visible string and remembers the choice. */
export function setLocale(next: Locale): void {
  current = next;
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, next);
  } catch {
    // Not remembering the choice is harmless; the switch itself has happened.
  }
  if (typeof document !== 'undefined') document.documentElement.lang = next;
}

/** Fills `{name}` markers; a marker without a value stays visible so the gap is noticed. */
export function interpolate(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (marker, name: string) =>
    Object.hasOwn(params, name) ? String(params[name]) : marker,
  );
}

/** The text of `key` in the current language. Reactive when called from a template. */
export function t<K extends MessageKey>(key: K, ...params: ParamsArg<K>): string {
  return interpolate(catalogues[current][key], params[0]);
}

/** True when `key` exists in the catalogue (for keys built at run time, such as error codes). */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(zhCN, key);
}
