// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { TeamSettingsForm } from '../../ipc/backend';
import { maskUrl } from '../../ipc/mock/backend';
import { settle, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import TeamSettings from './TeamSettings.svelte';

const CREDS = '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUAM\n------END USER NKEY SEED------\n';

async function page() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  render(WithDesk, { props: { desk, component: TeamSettings as unknown as Component } });
  await settle();
  return { backend, user: userEvent.setup() };
}

const field = (id: string) => screen.getByTestId(id) as HTMLInputElement;

describe('team settings', () => {
  it('masks passwords and tokens like the core', () => {
    expect(maskUrl('nats://alice:s3cret@h:4222')).toBe('nats://alice:****@h:4222');
    expect(maskUrl('tls://tok@h:4443, nats://h2:4222')).toBe('tls://****@h:4443,nats://h2:4222');
  });

  it('saves URL, picked credentials and agent, then shows only what is stored, masked', async () => {
    const { backend, user } = await page();
    expect(screen.getByTestId('team-stored-url')).toHaveTextContent('尚未保存团队服务器');
    expect(screen.getByTestId('team-running')).toHaveTextContent('当前为单机模式');
    expect(screen.queryByTestId('team-clear')).toBeNull();
    const save = screen.getByTestId('team-save');
    await user.type(field('team-url'), 'http://h');
    expect(save).toBeDisabled();
    await user.clear(field('team-url'));
    await user.type(field('team-url'), 'nats://alice:s3cret@10.0.0.5:4222');
    await user.upload(field('team-creds-file'), new File([CREDS], 'alice.creds', { type: 'text/plain' }));
    await settle();
    expect(screen.getByTestId('team-creds-picked')).toHaveTextContent('alice.creds');
    await user.type(field('team-agent'), '小王');
    await user.selectOptions(field('team-role'), 'supervisor');
    await user.clear(field('team-capacity'));
    await user.type(field('team-capacity'), '5');
    await user.type(field('team-stores'), 'mt1001， mt1002');
    await user.click(save);
    await settle();

    const sent = backend.calls.filter((c) => c.name === 'saveTeamSettings').map((c) => c.args[0] as TeamSettingsForm);
    expect(sent).toEqual([
      {
        url: 'nats://alice:s3cret@10.0.0.5:4222',
        credsPath: null,
        credsText: CREDS,
        agent: '小王',
        role: 'supervisor',
        capacity: 5,
        stores: ['mt1001', 'mt1002'],
      },
    ]);
    expect(screen.getByTestId('team-saved')).toHaveTextContent('重启 imdesk 后生效');
    expect(screen.getByTestId('team-stored-url')).toHaveTextContent('nats://alice:****@10.0.0.5:4222');
    expect(screen.getByTestId('team-stored-creds')).toHaveTextContent('已保存');
    expect(field('team-url').value).toBe('');
    expect(document.body.textContent).not.toContain('s3cret');
  });

  it('shows the refusal, and leaves team mode after a confirmation', async () => {
    const { backend, user } = await page();
    await user.type(field('team-url'), 'nats://h:4222');
    await user.type(field('team-creds-path'), '/tmp/x.creds');
    await user.click(screen.getByTestId('team-save'));
    await settle();
    expect(screen.getByTestId('team-stored-creds')).toHaveAttribute('data-stored', 'true');

    backend.teamStored.url = null;
    await user.type(field('team-url'), 'nats://h:4222');
    await user.upload(field('team-creds-file'), new File(['junk'], 'bad.creds'));
    await settle();
    await user.click(screen.getByTestId('team-save'));
    await settle();
    expect(screen.getByTestId('team-error')).toBeInTheDocument();

    await user.click(screen.getByTestId('team-clear'));
    expect(backend.calls.some((c) => c.name === 'clearTeamSettings')).toBe(false);
    await user.click(screen.getByTestId('team-clear-yes'));
    await settle();
    expect(backend.calls.some((c) => c.name === 'clearTeamSettings')).toBe(true);
    expect(screen.getByTestId('team-cleared')).toHaveTextContent('单机模式');
    expect(screen.getByTestId('team-stored-url')).toHaveTextContent('尚未保存团队服务器');
  });
});
