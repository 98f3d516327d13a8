import { describe, expect, it } from 'vitest';
import type { QuickReply } from '../../ipc/backend';
import { fillVariables, matchReplies, variablesIn } from './fill';

describe('quick-reply variables', () => {
  it('lists each variable once in order', () => {
    expect(variablesIn('{顾客}您好，{门店}提醒{顾客}：订单 {订单号}')).toEqual(['顾客', '门店', '订单号']);
  });

  it('fills known values and reports the missing ones', () => {
    const result = fillVariables('{顾客}您好，预计 {预计送达} 送达', { 顾客: '王**' });
    expect(result).toEqual({ text: '王**您好，预计 {预计送达} 送达', missing: ['预计送达'] });
  });

  it('treats a blank value as missing', () => {
    expect(fillVariables('{门店}', { 门店: '  ' }).missing).toEqual(['门店']);
  });

  it('leaves unknown braces alone', () => {
    expect(fillVariables('{备注}', {})).toEqual({ text: '{备注}', missing: [] });
  });
});

describe('matchReplies', () => {
  const replies: QuickReply[] = [
    { id: 1, store: null, title: '问候', text: '您好' },
    { id: 2, store: null, title: '催单', text: '已为您催促骑手' },
    { id: 3, store: 's1', title: '催单（本店）', text: '本店已加急' },
    { id: 4, store: null, title: '道歉', text: '非常抱歉，已催促后厨' },
  ];

  it('matches titles before text and store replies before brand ones', () => {
    expect(matchReplies(replies, '催').map((r) => r.id)).toEqual([3, 2, 4]);
  });

  it('returns everything for an empty query', () => {
    expect(matchReplies(replies, '')).toHaveLength(4);
  });

  it('returns nothing when nothing matches', () => {
    expect(matchReplies(replies, '发票')).toEqual([]);
  });
});
