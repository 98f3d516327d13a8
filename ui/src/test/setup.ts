// Adds DOM matchers (toBeInTheDocument, toHaveTextContent, …) to Vitest's expect.
import '@testing-library/jest-dom/vitest';
import { beforeEach } from 'vitest';
import { DEFAULT_LOCALE, setLocale } from '../i18n/locale.svelte';

// The locale is module state; every test starts in the default language with nothing saved.
beforeEach(() => {
  setLocale(DEFAULT_LOCALE);
  globalThis.localStorage?.clear();
});
