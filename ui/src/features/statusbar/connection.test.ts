import { describe, expect, it } from 'vitest';
import type { ConnectionStatus, SocketState } from '../../ipc/backend';
import { connectionText, percent, ratesText } from './connection';

const socket = (index: number, state: SocketState) => ({ index, state, lastFrameAt: null, reconnects: 0, quarantined: 0 });
const status = (state: ConnectionStatus['state'], states: SocketState[]): ConnectionStatus => ({
  state,
  sockets: states.map((s, i) => socket(i, s)),
  quarantinedTotal: 0,
});

describe('connectionText', () => {
  it('says 未连接 before any status arrives', () => {
    expect(connectionText(null)).toBe('未连接');
  });

  it('counts open sockets when online or degraded', () => {
    expect(connectionText(status('online', ['open', 'open', 'open']))).toBe('已连接 3/3');
    expect(connectionText(status('degraded', ['open', 'backoff', 'open']))).toBe('部分连接 2/3，正在重连');
  });

  it('says what happens when nothing is connected', () => {
    expect(connectionText(status('offline', ['backoff']))).toBe('未连接，正在重连');
    expect(connectionText(status('stopped', []))).toBe('连接已停止');
  });
});

describe('reply rates', () => {
  it('formats ratios down to one decimal, and a dash when nothing was counted', () => {
    expect(percent(0.97849)).toBe('97.8%');
    expect(percent(1)).toBe('100.0%');
    expect(percent(null)).toBe('—');
  });

  it('builds the brand line', () => {
    const rate = (ratio: number | null) => ({ onTime: 0, counted: 0, ratio });
    const brand = { store: null, fiveMin: rate(0.978), urgentOneMin: rate(1), platformFiveMin: null, platformUrgent: null, targetFiveMin: null, targetUrgent: null };
    expect(ratesText(brand)).toBe('5 分钟回复率 97.8% · 紧急 1 分钟回复率 100.0%');
  });
});
