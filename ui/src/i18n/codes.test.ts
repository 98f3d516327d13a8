// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { conversationTitle, messagePreview, orderStatus, titleIsVerbatim } from './codes';
import { setLocale } from './locale.svelte';

afterEach(() => setLocale('zh-CN'));

describe('the core codes in words', () => {
  it('words a conversation title in either language, keeping the data as sent', () => {
    const titles = [
      { kind: 'customer', customer: '1234' },
      { kind: 'review', commentId: '77' },
      { kind: 'fansGroup', name: null, groupId: '9' },
      { kind: 'fansGroup', name: '望京店粉丝群', groupId: '9' },
      { kind: 'riderGroup', customer: '0005', groupId: '8' },
      { kind: 'riderGroup', customer: null, groupId: '8' },
    ] as const;
    expect(titles.map(conversationTitle)).toEqual(['顾客*1234', '评价联系 #77', '粉丝群 #9', '望京店粉丝群', '骑手群聊 · 顾客*0005', '骑手群聊 #8']);
    setLocale('en');
    expect(titles.map(conversationTitle)).toEqual(['Customer *1234', 'Review contact #77', 'Fans group #9', '望京店粉丝群', 'Rider group · Customer *0005', 'Rider group #8']);
    expect(titles.map(titleIsVerbatim)).toEqual([false, false, false, true, false, false]);
  });

  it('previews text as written and marks what is not text', () => {
    expect(messagePreview({ lastBody: 'text', lastText: '到哪了' })).toBe('到哪了');
    expect(messagePreview({ lastBody: 'image', lastText: 'https://img/1.png' })).toBe('[图片]');
    setLocale('en');
    expect(messagePreview({ lastBody: 'other', lastText: '' })).toBe('[Message]');
  });

  it('words order status codes, and shows an unknown code as a number', () => {
    expect([6, 8, 5].map(orderStatus)).toEqual(['配送中', '已完成', '状态 5']);
    setLocale('en');
    expect([6, 8, 5].map(orderStatus)).toEqual(['Out for delivery', 'Completed', 'Status 5']);
  });
});
