// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/locale.svelte';
import { settle, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import UpdateNotice from './UpdateNotice.svelte';

async function show() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  render(WithDesk, { props: { desk, component: UpdateNotice as unknown as Component } });
  await settle();
  return { backend, desk, user: userEvent.setup() };
}

describe('update notice', () => {
  it('stays hidden while nothing newer is known', async () => {
    await show();
    expect(screen.queryByTestId('update-notice')).toBeNull();
  });

  it('follows the updater from downloading to ready, and installs on 安装并重启', async () => {
    setLocale('zh-CN');
    const { backend, user } = await show();
    backend.setUpdateStatus({ state: 'downloading', version: '0.2.0' });
    await settle();
    expect(screen.getByTestId('update-notice')).toHaveTextContent('正在后台下载');
    backend.setUpdateStatus({ state: 'ready', version: '0.2.0', notes: null });
    await settle();
    expect(screen.getByTestId('update-notice')).toHaveTextContent('0.2.0 已下载并通过签名验证');
    await user.click(screen.getByRole('button', { name: '安装并重启' }));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'installUpdate').map((c) => c.args)).toEqual([[false]]);
    expect(screen.queryByTestId('update-held')).toBeNull();
  });

  it('says why the install waits: a peak, or a reply being written', async () => {
    setLocale('zh-CN');
    const { backend, desk, user } = await show();
    backend.setUpdateStatus({ state: 'ready', version: '0.2.0', notes: null });
    await settle();
    backend.installGate = { gate: 'peak', until: '20:30' };
    await user.click(screen.getByRole('button', { name: '安装并重启' }));
    await settle();
    expect(screen.getByTestId('update-held')).toHaveTextContent('高峰时段，20:30 以后');

    backend.installGate = { gate: 'now' };
    desk.chat.composing = true;
    await user.click(screen.getByRole('button', { name: '安装并重启' }));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'installUpdate').at(-1)?.args).toEqual([true]);
    expect(screen.getByTestId('update-held')).toHaveTextContent('正在回复顾客');
  });

  it('shows a refused update plainly, in English too', async () => {
    setLocale('zh-CN');
    const { backend } = await show();
    backend.setUpdateStatus({ state: 'refused', version: '0.2.0', reason: 'badSignature' });
    await settle();
    expect(screen.getByTestId('update-refused')).toHaveTextContent('签名无效，已拒绝安装');
    expect(screen.queryByRole('button', { name: '安装并重启' })).toBeNull();
    setLocale('en');
    await settle();
    expect(screen.getByTestId('update-refused')).toHaveTextContent('signature of version 0.2.0 is not valid');
    setLocale('zh-CN');
  });
});
