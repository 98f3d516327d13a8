// @vitest-environment jsdom
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { MockBackend } from './ipc/mock/backend';
import { settle, settleStart, testBackend } from './test/brand';

const info = { version: '0.3.1', dataDir: '/home/wang/.local/share/imdesk', demo: true };

async function renderApp(backend: MockBackend = testBackend(60).backend) {
  const result = render(App, { props: { backend } });
  await settleStart();
  return { ...result, backend };
}

const rows = () => screen.getAllByTestId('inbox-row');
const key = (k: string, init: KeyboardEventInit = {}) => fireEvent.keyDown(window, { key: k, ...init });

describe('App shell', () => {
  it('shows the main regions with their Chinese empty states', async () => {
    await renderApp(new MockBackend({ appInfo: info, brand: { stores: [], conversations: [], quickReplies: [] } }));
    expect(screen.getByTestId('store-rail')).toHaveTextContent('暂无门店');
    expect(screen.getByTestId('inbox')).toHaveTextContent('暂无会话');
    expect(screen.getByTestId('chat-pane')).toHaveTextContent('选择左侧会话开始回复');
  });

  it('shows stores, deadline-ordered rows with countdowns, connection and reply rates', async () => {
    await renderApp();
    expect(screen.getAllByTestId('store-item')).toHaveLength(12);
    const first = rows()[0];
    expect(first).toHaveAttribute('data-urgent', 'true');
    expect(within(first as HTMLElement).getByTestId('row-countdown').textContent).toMatch(/^(超时 )?\d+:\d\d$/);
    expect(screen.getByTestId('connection-state')).toHaveTextContent('已连接 3/3');
    expect(screen.getByTestId('reply-rates')).toHaveTextContent(/5 分钟回复率 \d+\.\d% · 紧急 1 分钟回复率 \d+\.\d%/);
  });

  it('serves the full preview brand: 12 stores, hundreds of conversations, urgent complaints first', async () => {
    await renderApp(new MockBackend({ appInfo: info }));
    expect(screen.getAllByTestId('store-item')).toHaveLength(12);
    expect(screen.getByRole('list', { name: /共 \d{3} 个会话/ })).toBeInTheDocument();
    expect(rows().slice(0, 4).every((r) => r.dataset.urgent === 'true')).toBe(true);
  });

  it('shows the demo banner, version and data directory from appInfo', async () => {
    await renderApp();
    expect(screen.getByTestId('demo-banner')).toHaveTextContent('这是演示模式：数据来自内置模拟平台');
    expect(screen.getByTestId('app-version')).toHaveTextContent('版本 0.3.1');
    expect(screen.getByTestId('app-version')).toHaveAttribute('title', '数据目录：/home/wang/.local/share/imdesk');
  });

  it('explains how to connect real stores from the banner', async () => {
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByText('如何接入真实门店'));
    const help = await screen.findByTestId('credentials-help');
    expect(help).toHaveTextContent('developerId');
    expect(help).toHaveTextContent('系统钥匙串');
    expect(help).toHaveTextContent('IMDESK_SIGN_KEY');
  });

  it('shows no demo banner outside demo mode', async () => {
    await renderApp(testBackend(5, { ...info, demo: false }).backend);
    expect(screen.queryByTestId('demo-banner')).not.toBeInTheDocument();
  });

  it('explains a failed appInfo in Chinese', async () => {
    await renderApp(new MockBackend({ appInfo: { code: 'internal', message: 'disk I/O error' } }));
    expect(screen.getByTestId('app-info-error')).toHaveTextContent('程序内部错误，请重启后重试');
    expect(screen.getByTestId('app-version')).toHaveTextContent('版本 …');
  });

  it('tells the core which language notifications should use', async () => {
    const user = userEvent.setup();
    const backend = testBackend(5).backend;
    await renderApp(backend);
    const languages = () => backend.calls.filter((c) => c.name === 'setUiLanguage').map((c) => c.args[0]);
    expect(languages()).toEqual(['zh-CN']);
    await user.click(screen.getByTestId('lang-switch'));
    expect(languages()).toEqual(['zh-CN', 'en']);
  });

  it('switches every visible string with the language switch, and back', async () => {
    const user = userEvent.setup();
    await renderApp();
    await user.click(screen.getByTestId('lang-switch'));
    expect(screen.getByTestId('chat-pane')).toHaveTextContent('Pick a conversation on the left to reply');
    expect(screen.getByTestId('app-version')).toHaveTextContent('Version 0.3.1');
    expect(screen.getByTestId('connection-state')).toHaveTextContent('Connected 3/3');
    expect(document.documentElement.lang).toBe('en');
    await user.click(screen.getByTestId('lang-switch'));
    expect(screen.getByTestId('lang-switch')).toHaveTextContent('English');
  });
});

describe('store rail and settings', () => {
  it('shows one store’s conversations after a click, with its counters', async () => {
    const user = userEvent.setup();
    const { backend } = await renderApp();
    const store = screen.getAllByTestId('store-item')[2] as HTMLElement;
    const id = store.dataset.storeId ?? '';
    await user.click(store);
    await settle();
    const expected = backend.brand.conversations.filter((c) => c.row.storeId === id).length;
    expect(expected).toBeGreaterThan(0);
    expect(rows()).toHaveLength(expected);
    const summary = (await backend.listStores()).find((s) => s.epoiId === id);
    if (summary && summary.unread > 0) expect(store).toHaveTextContent(String(summary.unread));
  });

  it('mutes a store from settings and saves alert settings', async () => {
    const user = userEvent.setup();
    const { backend } = await renderApp();
    await user.click(screen.getByTestId('settings-button'));
    const panel = await screen.findByTestId('settings-panel');
    const first = within(panel).getAllByTestId('mute-store')[0] as HTMLInputElement;
    await user.click(first);
    await settle();
    expect(backend.calls.filter((c) => c.name === 'setStoreMuted').map((c) => c.args)).toEqual([[first.dataset.storeId, true]]);
    expect(screen.getAllByTestId('store-item')[0]).toHaveTextContent('🔕');
    const dnd = within(panel).getByLabelText(/免打扰时段/);
    await user.type(dnd, '22:00-07:00');
    await user.click(within(panel).getByRole('button', { name: '保存' }));
    await settle();
    expect(backend.alerts.doNotDisturb).toEqual([{ start: '22:00', end: '07:00' }]);
    expect(within(panel).getByRole('button', { name: '已保存' })).toBeInTheDocument();
  });
});

describe('quick-reply management', () => {
  it('adds a store quick reply that the composer then offers for that store only', async () => {
    const user = userEvent.setup();
    const { backend } = await renderApp();
    await user.click(screen.getByTestId('settings-button'));
    const editor = await screen.findByTestId('quick-reply-editor');
    const store = backend.brand.stores[1];
    await user.selectOptions(within(editor).getByRole('combobox'), store?.name ?? '');
    await user.click(within(editor).getByRole('button', { name: '新建常用语' }));
    await user.type(within(editor).getByLabelText(/标题/), '停车');
    await user.type(within(editor).getByLabelText('内容'), '{{门店}门口可临时停车');
    await user.click(within(editor).getByRole('button', { name: '保存常用语' }));
    await settle();
    expect(within(editor).getByText('停车')).toBeInTheDocument();
    expect(backend.brand.quickReplies.at(-1)).toMatchObject({ store: store?.epoiId, title: '停车', text: '{门店}门口可临时停车' });
    await user.click(within(editor).getAllByRole('button', { name: '删除' }).at(-1) as HTMLElement);
    await settle();
    expect(within(editor).queryByText('停车')).not.toBeInTheDocument();
  });
});

describe('events', () => {
  it('moves a new urgent complaint to the top while the open conversation stays selected', async () => {
    const { backend } = await renderApp();
    const selected = rows()[5]?.dataset.conversationId ?? '';
    await fireEvent.click(rows()[5] as HTMLElement);
    await settle();
    const idle = backend.brand.conversations.filter((c) => c.row.deadlineAt === null && !c.row.blocked).at(-1)?.row.id ?? '';
    expect(screen.queryByText('菜品有异物，我要投诉！')).not.toBeInTheDocument();

    backend.simulateIncoming(idle, { text: '菜品有异物，我要投诉！', sceneTag: 9003 });
    await settle();

    const complaint = rows().find((r) => r.dataset.conversationId === idle);
    expect(complaint).toHaveAttribute('data-urgent', 'true');
    expect(complaint).toHaveTextContent('投诉/紧急');
    expect(rows().find((r) => r.getAttribute('aria-current') === 'true')?.dataset.conversationId).toBe(selected);
    expect(screen.getByTestId('chat-pane')).toHaveAttribute('data-conversation-id', selected);
  });

  it('opens the conversation a focus event names and follows connection events', async () => {
    const { backend } = await renderApp();
    backend.emit({ kind: 'focus', conversationId: 'c0007' });
    await settle();
    expect(screen.getByTestId('chat-pane')).toHaveAttribute('data-conversation-id', 'c0007');
    backend.setConnection({ state: 'degraded', sockets: [0, 1, 2].map((index) => ({ index, state: index === 1 ? 'backoff' : 'open', lastFrameAt: null, reconnects: 2, quarantined: 0 })), quarantinedTotal: 0, team: null });
    await settle(1);
    expect(screen.getByTestId('connection-state')).toHaveTextContent('部分连接 2/3，正在重连');
  });
});

describe('keyboard', () => {
  it('opens the most pressing urgent or overdue conversation with Ctrl+J, then the next one', async () => {
    const { backend } = await renderApp();
    const page = await backend.inboxPage({ store: null, filter: 'all', offset: 0, limit: 100 });
    const pressing = page.rows.filter((r) => r.deadlineAt !== null && (r.urgent || r.deadlineAt < page.now));
    await key('j', { ctrlKey: true });
    await settle();
    expect(screen.getByTestId('chat-pane')).toHaveAttribute('data-conversation-id', pressing[0]?.id);
    await key('ArrowDown', { altKey: true });
    await settle();
    expect(screen.getByTestId('chat-pane')).toHaveAttribute('data-conversation-id', pressing[1]?.id);
  });

  it('opens the next unread conversation with Ctrl+U', async () => {
    await renderApp();
    await key('u', { ctrlKey: true });
    await settle();
    const open = screen.getByTestId('chat-pane').dataset.conversationId;
    expect(open).toBeTruthy();
  });

  it('switches filter chips with Alt+digit', async () => {
    await renderApp();
    await key('2', { altKey: true, code: 'Digit2' });
    await settle();
    expect(screen.getByRole('button', { name: '紧急/超时' })).toHaveAttribute('aria-pressed', 'true');
    expect(rows().every((r) => r.dataset.urgent === 'true' || r.dataset.overdue === 'true')).toBe(true);
  });

  it('focuses search with Ctrl+K and with / outside a text field, and toggles help with F1 and ?', async () => {
    await renderApp();
    await key('k', { ctrlKey: true });
    expect(screen.getByTestId('search-input')).toHaveFocus();
    (document.activeElement as HTMLElement).blur();
    await key('/');
    expect(screen.getByTestId('search-input')).toHaveFocus();
    (document.activeElement as HTMLElement).blur();
    await key('F1');
    expect(screen.getByTestId('help-overlay')).toHaveTextContent('下一个紧急或超时会话');
    await key('Escape');
    expect(screen.queryByTestId('help-overlay')).not.toBeInTheDocument();
    await key('?', { shiftKey: true });
    expect(screen.getByTestId('help-overlay')).toBeInTheDocument();
  });
});

describe('search', () => {
  it('finds a message across stores and jumps to it in its conversation', async () => {
    const user = userEvent.setup();
    const { backend } = await renderApp();
    const old = backend.brand.conversations[0]?.messages[2];
    if (old) old.text = '请帮我开一张发票';
    await user.type(screen.getByTestId('search-input'), '开一张发票');
    await user.keyboard('{Enter}');
    await settle();
    const hits = screen.getAllByTestId('search-hit');
    expect(hits).toHaveLength(1);
    await user.click(hits[0] as HTMLElement);
    await settle(20);
    const target = document.querySelector(`[data-message-key="${old?.key}"]`);
    expect(target).toHaveTextContent('请帮我开一张发票');
    expect(target).toHaveClass('highlighted');
  });
});
