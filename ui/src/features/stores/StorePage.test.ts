// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { ROBOT_MAX_CHARS } from '../../ipc/mock/store-admin';
import { settle, settleStart, testBackend } from '../../test/brand';

async function openStorePage(index = 0) {
  const { backend } = testBackend(60);
  render(App, { props: { backend } });
  await settleStart();
  const user = userEvent.setup();
  const gear = screen.getAllByTestId('store-settings')[index] as HTMLElement;
  await user.click(gear);
  await settle();
  return { backend, user, store: gear.dataset.storeId as string };
}

describe('store page: the IM switch', () => {
  it('asks before switching, then the rail shows the closed store', async () => {
    const { backend, user, store } = await openStorePage();
    expect(screen.getByTestId('store-im-state')).toHaveTextContent('已开启');
    await user.click(screen.getByTestId('store-im-toggle'));
    expect(screen.getByTestId('store-im-confirm-box')).toHaveTextContent('确定关闭');
    expect(backend.calls.some((c) => c.name === 'setStoreIm')).toBe(false);
    await user.click(screen.getByTestId('store-im-cancel'));
    expect(backend.calls.some((c) => c.name === 'setStoreIm')).toBe(false);
    await user.click(screen.getByTestId('store-im-toggle'));
    await user.click(screen.getByTestId('store-im-confirm'));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'setStoreIm').map((c) => c.args)).toEqual([[store, false]]);
    expect(screen.getByTestId('store-im-state')).toHaveTextContent('已关闭');
    const item = screen.getAllByTestId('store-item').find((e) => e.dataset.storeId === store) as HTMLElement;
    expect(within(item).getByTestId('store-im-off')).toHaveTextContent('IM关');
  });

  it('names why a store whose token fails cannot be switched', async () => {
    const { backend, user, store } = await openStorePage(1);
    backend.storeAdmin.failing.add(store);
    await user.click(screen.getByTestId('store-im-toggle'));
    await user.click(screen.getByTestId('store-im-confirm'));
    await settle();
    expect(screen.getByTestId('store-im-error')).toHaveTextContent('门店授权已失效');
  });
});

describe('store page: the robot', () => {
  it('refuses a reply over the limit before saving, naming the scene', async () => {
    const { backend, user } = await openStorePage();
    const text = screen.getByTestId('robot-text') as HTMLTextAreaElement;
    await user.clear(text);
    await user.type(text, '好'.repeat(ROBOT_MAX_CHARS + 1));
    expect(screen.getByTestId('robot-problem')).toHaveTextContent(`「邀请评价」的回复超过 ${ROBOT_MAX_CHARS} 字`);
    expect(screen.getByTestId('robot-save')).toBeDisabled();
    expect(backend.calls.some((c) => c.name === 'saveRobotSettings')).toBe(false);
  });

  it('copies an edit to other stores and shows the result of each', async () => {
    const { backend, user, store } = await openStorePage();
    const text = screen.getByTestId('robot-text') as HTMLTextAreaElement;
    await user.clear(text);
    await user.type(text, '吃得满意给个好评吧');
    const copies = screen.getAllByTestId('robot-copy') as HTMLInputElement[];
    const [b, c, d] = copies.map((e) => e.dataset.storeId as string);
    backend.storeAdmin.failing.add(d as string);
    for (const box of copies.slice(0, 3)) await user.click(box);
    await user.click(screen.getByTestId('robot-save'));
    await settle();
    const call = backend.calls.find((x) => x.name === 'saveRobotSettings');
    expect(call?.args[0]).toEqual([store, b, c, d]);
    expect(screen.queryByTestId('robot-error')).toBeNull();
    expect(screen.getByTestId('robot-save')).toHaveTextContent('保存并复制到 3 家门店');
    const results = screen.getAllByTestId('robot-result');
    expect(results.map((r) => r.dataset.saved)).toEqual(['true', 'true', 'true', 'false']);
    expect(results[3]).toHaveTextContent('门店授权已失效');
    expect(backend.storeAdmin.robotSettings(c as string)).toMatchObject({ scenes: expect.arrayContaining([expect.objectContaining({ scene: 18, text: '吃得满意给个好评吧' })]) });
  });
});

describe('store page: a team desk', () => {
  it('offers no store settings: the relays hold the stores, not this desk', async () => {
    const { backend } = testBackend(20);
    backend.connection = {
      ...backend.connection,
      team: { agent: '小王', serverConnected: true, relaysOnline: 1, socketsOpen: 3, sockets: 3, lagMessages: 0, lagSeconds: 0, quarantined: 0 },
    };
    render(App, { props: { backend } });
    await settleStart();
    expect(screen.getAllByTestId('store-item').length).toBeGreaterThan(0);
    expect(screen.queryAllByTestId('store-settings')).toHaveLength(0);
  });
});

describe('store rail: token health', () => {
  it('marks a store whose token renewal fails or that has expired, with the reason', async () => {
    const { backend } = testBackend(60);
    const [first, second] = backend.brand.stores;
    backend.tokenHealth.set(first!.epoiId, { state: 'renewalFailing', expiresAt: null, reason: 'invalid refresh token' });
    backend.tokenHealth.set(second!.epoiId, { state: 'expired', reason: null });
    render(App, { props: { backend } });
    await settleStart();
    const tag = (id: string) => {
      const item = screen.getAllByTestId('store-item').find((e) => e.dataset.storeId === id) as HTMLElement;
      return within(item).queryByTestId('store-token-bad');
    };
    expect(tag(first!.epoiId)).toHaveTextContent('续期失败');
    expect(tag(first!.epoiId)?.getAttribute('title')).toContain('invalid refresh token');
    expect(tag(second!.epoiId)).toHaveTextContent('授权过期');
    expect(screen.getAllByTestId('store-token-bad')).toHaveLength(2);
  });
});
