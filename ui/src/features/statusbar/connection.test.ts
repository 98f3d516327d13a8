import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectionStatus, SocketState } from '../../ipc/backend';
import { setLocale } from '../../i18n/locale.svelte';
import type { TeamStatus } from '../../ipc/backend';
import { connectionText, percent, ratesText, teamHint, teamState, teamText } from './connection';

const socket = (index: number, state: SocketState) => ({ index, state, lastFrameAt: null, reconnects: 0, quarantined: 0 });
const status = (state: ConnectionStatus['state'], states: SocketState[]): ConnectionStatus => ({
  state,
  sockets: states.map((s, i) => socket(i, s)),
  quarantinedTotal: 0,
  team: null,
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

describe('team line', () => {
  const team = (over: Partial<TeamStatus> = {}): TeamStatus => ({
    agent: '小王',
    serverConnected: true,
    relaysOnline: 1,
    socketsOpen: 5,
    sockets: 5,
    lagMessages: 0,
    lagSeconds: 0,
    quarantined: 0,
    ...over,
  });
  afterEach(() => setLocale('zh-CN'));

  it('says relays, push sockets and no lag when caught up', () => {
    expect(teamText(team())).toBe('团队 · 中继 1 在线 · 推送 5/5 · 落后 0 条');
    expect(teamState(team())).toBe('online');
  });

  it('adds the seconds when the desk lags behind the stream', () => {
    expect(teamText(team({ lagMessages: 120, lagSeconds: 7.6 }))).toBe('团队 · 中继 1 在线 · 推送 5/5 · 落后 120 条 / 8 秒');
    expect(teamState(team({ lagMessages: 120, lagSeconds: 45 }))).toBe('degraded');
    expect(teamState(team({ socketsOpen: 3 }))).toBe('degraded');
  });

  it('says when the server or every relay is gone', () => {
    expect(teamText(team({ serverConnected: false, lagMessages: 9 }))).toBe('团队服务器连接中断，正在重连');
    expect(teamState(team({ serverConnected: false }))).toBe('offline');
    expect(teamText(team({ relaysOnline: 0, socketsOpen: 0 }))).toBe('团队 · 中继 0 在线 · 推送 0/5 · 落后 0 条');
    expect(teamState(team({ relaysOnline: 0 }))).toBe('offline');
  });

  it('names the agent and quarantined records in the tooltip', () => {
    expect(teamHint(team())).toBe('团队模式，坐席：小王');
    expect(teamHint(team({ quarantined: 2 }))).toBe('团队模式，坐席：小王\n2 条团队记录无法解析，已隔离');
  });

  it('speaks English too', () => {
    setLocale('en');
    expect(teamText(team({ relaysOnline: 2, lagMessages: 120, lagSeconds: 8 }))).toBe('Team · 2 relay(s) online · push 5/5 · 120 behind / 8s');
    expect(teamText(team())).toBe('Team · 1 relay(s) online · push 5/5 · 0 behind');
    expect(teamText(team({ serverConnected: false }))).toBe('Team server unreachable, reconnecting');
  });
});
