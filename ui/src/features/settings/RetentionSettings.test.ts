// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { settle, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import RetentionSettings from './RetentionSettings.svelte';

async function page() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  render(WithDesk, { props: { desk, component: RetentionSettings as unknown as Component } });
  await settle();
  return { backend, user: userEvent.setup() };
}

const field = (id: string) => screen.getByTestId(id) as HTMLInputElement;

describe('retention settings', () => {
  it('shows the defaults and saves new retention days', async () => {
    const { backend, user } = await page();
    expect(field('retention-message-days').value).toBe('180');
    expect(field('retention-order-days').value).toBe('30');
    await user.clear(field('retention-message-days'));
    await user.type(field('retention-message-days'), '90');
    await user.click(screen.getByTestId('retention-save'));
    await settle();
    expect(backend.retention.settings).toEqual({ messageDays: 90, orderDays: 30 });
    expect(screen.getByTestId('retention-saved')).toBeInTheDocument();
  });

  it('says clearly when the disk is full', async () => {
    const { backend, user } = await page();
    backend.diskFull = true;
    await user.click(screen.getByTestId('retention-prune'));
    await settle();
    expect(screen.getByTestId('retention-error')).toHaveTextContent('磁盘已满');
  });

  it('wipes only after the phrase is typed', async () => {
    const { backend, user } = await page();
    await user.click(screen.getByTestId('wipe'));
    const yes = screen.getByTestId('wipe-yes');
    expect(yes).toBeDisabled();
    await user.type(field('wipe-phrase'), '清除');
    expect(yes).toBeDisabled();
    await user.type(field('wipe-phrase'), '本机数据');
    expect(yes).toBeEnabled();
    await user.click(yes);
    await settle();
    expect(backend.wiped).toBe(true);
  });
});
