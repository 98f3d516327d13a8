// @vitest-environment jsdom
import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it } from 'vitest';
import { DESK_EVENT, type AppInfo, type DeskEvent } from './backend';
import { TauriBackend } from './tauri';

afterEach(() => clearMocks());

describe('TauriBackend', () => {
  it('appInfo invokes app_info and returns the typed value', async () => {
    const calls: string[] = [];
    const info: AppInfo = { version: '1.2.3', dataDir: '/home/wang/.local/share/imdesk', demo: true };
    mockIPC((cmd) => {
      calls.push(cmd);
      if (cmd === 'app_info') return info;
      throw new Error(`unexpected command ${cmd}`);
    });

    await expect(new TauriBackend().appInfo()).resolves.toEqual(info);
    expect(calls).toEqual(['app_info']);
  });

  it('calls every core command by its name with camelCase arguments', async () => {
    const calls: [string, unknown][] = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    const b = new TauriBackend();
    const query = { store: null, filter: 'all' as const, offset: 0, limit: 50 };
    const search = { text: '退款', store: null, since: null, until: null, kind: null, limit: 20 };
    const reply = { id: 0, store: null, title: '催单', text: '{顾客}您好' };
    const picture = { name: 'a.png', dataBase64: 'iVBORw0KGgo=' };
    const block = { reason: 'other' as const, description: '辱骂', evidence: [picture] };
    await b.listStores();
    await b.inboxPage(query);
    await b.conversationHistory('c1', 'k9', 30);
    await b.conversationDetail('c1');
    await b.sendText('c1', '您好');
    await b.sendImage('c1', picture);
    await b.blockCustomer('c1', block);
    await b.unblockCustomer('c1');
    await b.retrySend('k9');
    await b.markRead('c1');
    await b.searchMessages(search);
    await b.listQuickReplies('s1');
    await b.saveQuickReply(reply);
    await b.deleteQuickReply(3);
    await b.setDraft('c1', '稍等');
    await b.connectionStatus();
    await b.replyRates();
    await b.getAlertSettings();
    await b.setStoreMuted('s1', true);
    expect(calls).toEqual([
      ['list_stores', {}],
      ['inbox_page', { query }],
      ['conversation_history', { conversationId: 'c1', before: 'k9', limit: 30 }],
      ['conversation_detail', { conversationId: 'c1' }],
      ['send_text', { conversationId: 'c1', text: '您好' }],
      ['send_image', { conversationId: 'c1', file: picture }],
      ['block_customer', { conversationId: 'c1', request: block }],
      ['unblock_customer', { conversationId: 'c1' }],
      ['retry_send', { messageKey: 'k9' }],
      ['mark_read', { conversationId: 'c1' }],
      ['search_messages', { query: search }],
      ['list_quick_replies', { store: 's1' }],
      ['save_quick_reply', { reply }],
      ['delete_quick_reply', { id: 3 }],
      ['set_draft', { conversationId: 'c1', text: '稍等' }],
      ['connection_status', {}],
      ['reply_rates', {}],
      ['get_alert_settings', {}],
      ['set_store_muted', { store: 's1', muted: true }],
    ]);
  });

  it('passes a { code, message } rejection through unchanged', async () => {
    mockIPC(() => {
      throw { code: 'internal', message: 'database is locked' };
    });
    await expect(new TauriBackend().appInfo()).rejects.toEqual({ code: 'internal', message: 'database is locked' });
  });

  it('turns a bare string rejection into an internal IpcError', async () => {
    mockIPC(() => {
      throw 'command app_info not found';
    });
    await expect(new TauriBackend().appInfo()).rejects.toEqual({
      code: 'internal',
      message: 'command app_info not found',
    });
  });

  it('delivers desk events until unsubscribed', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: DeskEvent[] = [];
    const unsubscribe = new TauriBackend().onEvent((event) => received.push(event));
    // Let the asynchronous listen registration land before emitting.
    await new Promise((resolve) => setTimeout(resolve, 0));

    await emit(DESK_EVENT, { kind: 'storesChanged', count: 3 });
    await emit('some://other-event', { kind: 'ignored' });
    expect(received).toEqual([{ kind: 'storesChanged', count: 3 }]);

    unsubscribe();
    unsubscribe();
    await emit(DESK_EVENT, { kind: 'storesChanged', count: 4 });
    expect(received).toHaveLength(1);
  });

  it('drops events when unsubscribed before the listener is registered', async () => {
    mockIPC(() => undefined, { shouldMockEvents: true });
    const received: DeskEvent[] = [];
    new TauriBackend().onEvent((event) => received.push(event))();
    await new Promise((resolve) => setTimeout(resolve, 0));

    await emit(DESK_EVENT, { kind: 'storesChanged', count: 1 });
    expect(received).toEqual([]);
  });
});
