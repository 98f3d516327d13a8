// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { MockBackend } from '../../ipc/mock/backend';
import { settle, settleStart } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import StatusBar from './StatusBar.svelte';

/** A desk whose core clock is the wall clock, as in the app (the pause is shown against it). */
async function bar() {
  const backend = new MockBackend();
  const desk = new Desk(backend);
  const stop = desk.start();
  render(WithDesk, { props: { desk, component: StatusBar } });
  await settleStart();
  return { backend, desk, stop, user: userEvent.setup() };
}

const calls = (backend: MockBackend, name: string) => backend.calls.filter((c) => c.name === name).map((c) => c.args);

describe('status bar: pausing notifications', () => {
  it('pauses for 30 minutes, shows until when, and resumes', async () => {
    const { backend, user } = await bar();
    await user.click(screen.getByTestId('pause-alerts'));
    await settle();
    expect(calls(backend, 'pauseAlerts')).toEqual([[30]]);
    expect(screen.getByTestId('alerts-paused')).toHaveTextContent('通知已暂停至');
    expect(screen.queryByTestId('pause-alerts')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('resume-alerts'));
    await settle();
    expect(calls(backend, 'pauseAlerts')).toEqual([[30], [null]]);
    expect(screen.queryByTestId('alerts-paused')).not.toBeInTheDocument();
    expect(screen.getByTestId('pause-alerts')).toBeInTheDocument();
  });

  it('follows a pause started elsewhere (the tray) through the core event', async () => {
    const { backend } = await bar();
    expect(screen.queryByTestId('alerts-paused')).not.toBeInTheDocument();
    backend.emit({ kind: 'alertsPaused', until: Date.now() + 10 * 60_000 });
    await settle();
    expect(screen.getByTestId('alerts-paused')).toBeInTheDocument();
    backend.emit({ kind: 'alertsPaused', until: null });
    await settle();
    expect(screen.queryByTestId('alerts-paused')).not.toBeInTheDocument();
  });

  it('shows a pause already in force when the window opens', async () => {
    const backend = new MockBackend();
    await backend.pauseAlerts(5);
    const desk = new Desk(backend);
    desk.start();
    render(WithDesk, { props: { desk, component: StatusBar } });
    await settleStart();
    expect(screen.getByTestId('alerts-paused')).toBeInTheDocument();
  });
});

describe('status bar: team mode', () => {
  it('shows nothing new for a solo desk, and the team line once the core reports a team', async () => {
    const { backend, stop } = await bar();
    expect(screen.getByTestId('connection-state')).toHaveTextContent('已连接 3/3');
    expect(screen.queryByTestId('team-status')).not.toBeInTheDocument();
    const team = { agent: '小王', serverConnected: true, relaysOnline: 1, socketsOpen: 5, sockets: 5, lagMessages: 120, lagSeconds: 8, quarantined: 0 };
    backend.setConnection({ ...backend.connection, team });
    await settle();
    expect(screen.getByTestId('team-status')).toHaveTextContent('团队 · 中继 1 在线 · 推送 5/5 · 落后 120 条 / 8 秒');
    expect(screen.getByTestId('team-status')).toHaveAttribute('title', '团队模式，坐席：小王');
    expect(screen.queryByTestId('connection-state')).not.toBeInTheDocument();
    backend.setConnection({ ...backend.connection, state: 'offline', team: { ...team, serverConnected: false } });
    await settle();
    expect(screen.getByTestId('team-status')).toHaveTextContent('团队服务器连接中断，正在重连');
    expect(screen.getByTestId('team-status')).toHaveClass('offline');
    stop();
  });
});
