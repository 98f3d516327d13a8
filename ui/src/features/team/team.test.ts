// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockTeam } from '../../ipc/mock/backend';
import { settle, settleStart, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import App from '../../App.svelte';
import ChatPane from '../chat/ChatPane.svelte';
import { Desk } from '../desk.svelte';
import InboxList from '../inbox/InboxList.svelte';

const TEAM_LINE = { serverConnected: true, relaysOnline: 1, socketsOpen: 5, sockets: 5, lagMessages: 0, lagSeconds: 0, quarantined: 0 };

/** A team desk as `me` (a supervisor when asked) with conversation c0001 open. */
async function teamDesk(supervisor = false) {
  const { backend } = testBackend();
  backend.team = mockTeam('小王', supervisor);
  backend.setConnection({ ...backend.connection, team: { agent: '小王', supervisor, ...TEAM_LINE } });
  const desk = new Desk(backend);
  const stop = desk.start();
  await settleStart();
  await desk.open('c0001');
  return { backend, desk, stop, user: userEvent.setup() };
}

describe('team mode: ownership in the chat', () => {
  it('claims from the queue, shows the owner, and hands over to a colleague', async () => {
    const { backend, desk, user } = await teamDesk();
    render(WithDesk, { props: { desk, component: ChatPane } });
    await settle();
    expect(screen.getByTestId('chat-owner')).toHaveTextContent('待认领');
    await user.click(screen.getByTestId('claim-button'));
    await settle();
    expect(screen.getByTestId('chat-owner')).toHaveTextContent('由我接待');
    await user.click(screen.getByTestId('transfer-button'));
    await settle();
    await user.selectOptions(screen.getByTestId('transfer-target'), '小李');
    await user.click(screen.getByTestId('transfer-confirm'));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'transferConversation').map((c) => c.args[1])).toEqual(['小李']);
    expect(screen.getByTestId('chat-owner')).toHaveAttribute('data-owner', '小李');
    // Now a colleague's: the composer says why it is closed, and nothing can be sent.
    expect(screen.getByTestId('composer-team-block')).toHaveTextContent('该会话由 小李 接待');
    expect(screen.getByTestId('composer-input')).toBeDisabled();
  });

  it('shows who else is viewing and typing, and reports this desk typing', async () => {
    const { backend, desk, user } = await teamDesk();
    render(WithDesk, { props: { desk, component: ChatPane } });
    await settle();
    backend.setColleagues('c0001', ['小李'], []);
    await settle();
    expect(screen.getByTestId('chat-viewing')).toHaveTextContent('小李 正在查看');
    backend.setColleagues('c0001', ['小李'], ['小李']);
    await settle();
    expect(screen.getByTestId('chat-typing')).toHaveTextContent('小李 正在输入');
    await user.type(screen.getByTestId('composer-input'), '您好');
    const presence = backend.calls.filter((c) => c.name === 'setPresence').map((c) => c.args);
    expect(presence).toContainEqual(['c0001', null]);
    expect(presence).toContainEqual(['c0001', 'c0001']);
  });

  it('lets a supervisor answer in a colleague’s conversation, saying it will be marked', async () => {
    const { backend, desk } = await teamDesk(true);
    backend.claimAs('c0001', '小李');
    render(WithDesk, { props: { desk, component: ChatPane } });
    await settle();
    expect(screen.getByTestId('composer-supervisor')).toHaveTextContent('以主管身份回复');
    expect(screen.getByTestId('composer-input')).not.toBeDisabled();
  });

  it('badges each inbox row with its owner, live', async () => {
    const { backend, desk } = await teamDesk();
    render(WithDesk, { props: { desk, component: InboxList } });
    await settle();
    expect(screen.queryAllByTestId('owner-badge')).toHaveLength(0);
    backend.claimAs('c0001', '小李');
    await settle();
    const row = screen.getAllByTestId('inbox-row').find((r) => r.dataset.conversationId === 'c0001') as HTMLElement;
    expect(within(row).getByTestId('owner-badge')).toHaveTextContent('小李');
  });
});

describe('team mode: the supervisor’s wall', () => {
  it('opens from the status bar with agents, the queue and the chart, and sets the mode', async () => {
    const { backend } = testBackend();
    backend.team = mockTeam('主管', true);
    backend.setConnection({ ...backend.connection, team: { agent: '主管', supervisor: true, ...TEAM_LINE } });
    render(App, { props: { backend } });
    await settleStart();
    const user = userEvent.setup();
    await user.click(screen.getByTestId('wall-button'));
    await settle();
    const wall = screen.getByTestId('supervisor-wall');
    expect(within(wall).getAllByTestId('wall-agent').map((r) => r.dataset.agent)).toEqual(['主管', '小李', '老张']);
    expect(within(wall).getAllByTestId('wall-queue-item').length).toBeGreaterThan(0);
    expect(Number(within(wall).getByTestId('wall-chart-waiting').dataset.points)).toBeGreaterThan(0);
    await user.selectOptions(within(wall).getByTestId('wall-mode'), 'balanced');
    await user.click(within(wall).getByTestId('wall-save'));
    await settle();
    expect(within(wall).getByTestId('wall-saved')).toBeInTheDocument();
    expect(backend.team.settings.mode).toBe('balanced');
  });

  it('is not offered to an agent', async () => {
    const { backend } = testBackend();
    backend.team = mockTeam('小王', false);
    backend.setConnection({ ...backend.connection, team: { agent: '小王', supervisor: false, ...TEAM_LINE } });
    render(App, { props: { backend } });
    await settleStart();
    expect(screen.getByTestId('agent-status')).toBeInTheDocument();
    expect(screen.queryByTestId('wall-button')).not.toBeInTheDocument();
  });
});
