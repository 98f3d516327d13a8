import { describe, expect, it } from 'vitest';
import { connectionText, OFFLINE } from './connection';

describe('connectionText', () => {
  it('says 未连接 with no live socket', () => {
    expect(connectionText(OFFLINE)).toBe('未连接');
    expect(connectionText({ live: 0, total: 3 })).toBe('未连接');
  });

  it('counts live sockets', () => {
    expect(connectionText({ live: 2, total: 3 })).toBe('已连接 2/3');
  });

  it('reports a reconnect attempt first', () => {
    expect(connectionText({ live: 2, total: 3, reconnectAttempt: 2 })).toBe('正在重连（第 2 次）');
  });
});
