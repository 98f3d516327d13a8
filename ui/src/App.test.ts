// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { MockBackend } from './ipc/mock';

const info = { version: '0.3.1', dataDir: '/home/wang/.local/share/imdesk', demo: true };

function renderApp(backend = new MockBackend({ appInfo: info })) {
  return render(App, { props: { backend } });
}

describe('App shell', () => {
  it('shows the main regions with their Chinese empty states', () => {
    renderApp();
    expect(screen.getByTestId('store-rail')).toHaveTextContent('暂无门店');
    expect(screen.getByTestId('inbox')).toHaveTextContent('暂无会话');
    expect(screen.getByTestId('chat-pane')).toHaveTextContent('选择左侧会话开始回复');
    expect(screen.getByTestId('status-bar')).toHaveTextContent('未连接');
  });

  it('shows the version, data directory and demo badge from appInfo', async () => {
    renderApp();
    const version = await screen.findByText('版本 0.3.1');
    expect(version).toBe(screen.getByTestId('app-version'));
    expect(version).toHaveAttribute('title', '数据目录：/home/wang/.local/share/imdesk');
    expect(screen.getByTestId('demo-badge')).toHaveTextContent('演示模式');
  });

  it('shows no demo badge outside demo mode', async () => {
    renderApp(new MockBackend({ appInfo: { ...info, demo: false } }));
    await screen.findByText('版本 0.3.1');
    expect(screen.queryByTestId('demo-badge')).not.toBeInTheDocument();
  });

  it('explains a failed appInfo in Chinese', async () => {
    renderApp(new MockBackend({ appInfo: { code: 'internal', message: 'disk I/O error' } }));
    expect(await screen.findByRole('alert')).toHaveTextContent('程序内部错误，请重启后重试；如仍出现请联系技术支持');
    expect(screen.getByTestId('app-version')).toHaveTextContent('版本 …');
  });

  it('switches every visible string with the language switch, and back', async () => {
    const user = userEvent.setup();
    renderApp();
    await screen.findByText('版本 0.3.1');

    await user.click(screen.getByTestId('lang-switch'));
    expect(screen.getByTestId('inbox')).toHaveTextContent('No conversations');
    expect(screen.getByTestId('chat-pane')).toHaveTextContent('Pick a conversation on the left to reply');
    expect(screen.getByTestId('app-version')).toHaveTextContent('Version 0.3.1');
    expect(screen.getByTestId('demo-badge')).toHaveTextContent('Demo');
    expect(screen.getByTestId('lang-switch')).toHaveTextContent('中文');
    expect(document.documentElement.lang).toBe('en');

    await user.click(screen.getByTestId('lang-switch'));
    expect(screen.getByTestId('inbox')).toHaveTextContent('暂无会话');
    expect(screen.getByTestId('lang-switch')).toHaveTextContent('English');
  });
});
