// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/locale.svelte';
import { settle, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import CrashNotice from './CrashNotice.svelte';

async function show(withReport: boolean) {
  const { backend } = testBackend();
  if (withReport) {
    backend.pendingCrash = { file: 'crash-1.txt', path: '/d/crashes/crash-1.txt', text: 'version: 0.1.0' };
  }
  render(WithDesk, { props: { desk: new Desk(backend), component: CrashNotice as unknown as Component } });
  await settle();
  return { backend, user: userEvent.setup() };
}

describe('crash notice', () => {
  it('stays hidden without a pending report', async () => {
    await show(false);
    expect(screen.queryByTestId('crash-notice')).toBeNull();
  });

  it('offers 查看 and 忽略, and 忽略 dismisses the report', async () => {
    setLocale('zh-CN');
    const { backend, user } = await show(true);
    await user.click(screen.getByRole('button', { name: '查看' }));
    expect(screen.getByTestId('crash-text')).toHaveTextContent('version: 0.1.0');
    await user.click(screen.getByRole('button', { name: '忽略' }));
    await settle();
    expect(screen.queryByTestId('crash-notice')).toBeNull();
    expect(backend.calls.map((c) => c.name)).toContain('dismissCrashReport');
    expect(backend.pendingCrash).toBeNull();
  });

  it('speaks English too', async () => {
    setLocale('en');
    await show(true);
    expect(screen.getByRole('button', { name: 'View' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Dismiss' })).toBeInTheDocument();
    setLocale('zh-CN');
  });
});
