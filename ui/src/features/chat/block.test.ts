// @vitest-environment jsdom
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { mockTeam, type MockBackend } from '../../ipc/mock/backend';
import { settle, settleStart, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import ChatPane from './ChatPane.svelte';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7]);
const shot = (name: string) => new File([PNG], name, { type: 'image/png' });

/** A two-party chat with a customer, in a store whose integration uploads (or not). */
function twoParty(backend: MockBackend, uploads: boolean): string {
  const stores = new Set(backend.brand.stores.filter((s) => s.businessId === (uploads ? 16 : 2)).map((s) => s.epoiId));
  const c = backend.brand.conversations.find((x) => x.row.kind === 'twoParty' && stores.has(x.row.storeId) && !x.row.blocked && x.composeBlock === null);
  if (!c) throw new Error('no such conversation in the demo brand');
  return c.row.id;
}

async function openChat(uploads = true) {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  desk.start();
  const id = twoParty(backend, uploads);
  await desk.open(id);
  render(WithDesk, { props: { desk, component: ChatPane } });
  await settleStart();
  return { backend, id, user: userEvent.setup() };
}

const reason = (value: string) => screen.getAllByTestId('block-reason').find((el) => el.getAttribute('value') === value) as HTMLElement;
const blockCalls = (backend: MockBackend) => backend.calls.filter((c) => c.name === 'blockCustomer').map((c) => c.args);

describe('blocking a customer', () => {
  it('needs a reason, evidence and, for 其他, a description; then blocks and closes the composer', async () => {
    const { backend, id, user } = await openChat();
    await user.click(screen.getByTestId('block-button'));
    const dialog = screen.getByTestId('block-dialog');
    const submit = within(dialog).getByTestId('block-submit');
    expect(submit).toBeDisabled();
    expect(reason('other').parentElement).toHaveTextContent('其他');
    await user.click(reason('other'));
    expect(submit).toBeDisabled();
    await user.upload(within(dialog).getByTestId('block-evidence-input'), [shot('chat1.png'), shot('chat2.png')]);
    expect(within(dialog).getAllByTestId('block-evidence-item')).toHaveLength(2);
    expect(dialog).toHaveTextContent('已选 2/9 张');
    expect(submit).toBeDisabled();
    expect(dialog).toHaveTextContent('选择“其他”时必须填写说明');
    await user.type(within(dialog).getByTestId('block-description'), '  多次辱骂客服 ');
    expect(submit).toBeEnabled();
    await user.click(submit);
    await settle();

    const evidence = [
      { name: 'chat1.png', dataBase64: btoa(String.fromCharCode(...PNG)) },
      { name: 'chat2.png', dataBase64: btoa(String.fromCharCode(...PNG)) },
    ];
    expect(blockCalls(backend)).toEqual([[id, { reason: 'other', description: '多次辱骂客服', evidence }]]);
    expect(screen.queryByTestId('block-dialog')).not.toBeInTheDocument();
    expect(screen.getByTestId('composer-block-reason')).toHaveTextContent('该顾客已被屏蔽，无法发送');
    expect(screen.getByTestId('composer-input')).toBeDisabled();
    expect(screen.getByTestId('image-button')).toBeDisabled();
    expect(screen.getByTestId('unblock-button')).toBeInTheDocument();
    expect(screen.queryByTestId('block-button')).not.toBeInTheDocument();
  });

  it('takes a pasted screenshot as evidence, removes one, and needs no description for 骚扰辱骂', async () => {
    const { backend, id, user } = await openChat();
    await user.click(screen.getByTestId('block-button'));
    const dialog = screen.getByTestId('block-dialog');
    await user.click(reason('harassment'));
    await fireEvent.paste(dialog, { clipboardData: { files: [shot('a.png'), shot('b.png')], getData: () => '' } });
    const items = within(dialog).getAllByTestId('block-evidence-item');
    expect(items).toHaveLength(2);
    await user.click(within(items[0] as HTMLElement).getByRole('button', { name: '移除' }));
    expect(within(dialog).getAllByTestId('block-evidence-item')).toHaveLength(1);
    await user.click(within(dialog).getByTestId('block-submit'));
    await settle();
    const sent = blockCalls(backend);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.[0]).toBe(id);
    expect(sent[0]?.[1]).toMatchObject({ reason: 'harassment', description: null, evidence: [{ name: 'b.png' }] });
  });

  it('shows progress while the platform is called and the reason when it fails, keeping the dialog open', async () => {
    const { backend, user } = await openChat();
    let reject: (error: unknown) => void = () => undefined;
    backend.blockCustomer = () => new Promise((_, no) => (reject = no));
    await user.click(screen.getByTestId('block-button'));
    const dialog = screen.getByTestId('block-dialog');
    await user.click(reason('wechatFraud'));
    await user.upload(within(dialog).getByTestId('block-evidence-input'), shot('wx.png'));
    await user.click(within(dialog).getByTestId('block-submit'));
    await settle();
    expect(within(dialog).getByTestId('block-progress')).toHaveTextContent('正在上传证据并屏蔽…');
    expect(within(dialog).getByTestId('block-submit')).toBeDisabled();
    reject({ code: 'platform', message: 'blockUser code 1001' });
    await settle();
    expect(screen.getByTestId('block-dialog')).toBeInTheDocument();
    expect(within(dialog).getByRole('alert')).toHaveTextContent('美团平台拒绝了请求，请稍后重试');
    expect(within(dialog).queryByTestId('block-progress')).not.toBeInTheDocument();
    expect(within(dialog).getByTestId('block-submit')).toBeEnabled();
  });

  it('refuses evidence that is not PNG or JPEG', async () => {
    const { user } = await openChat();
    await user.click(screen.getByTestId('block-button'));
    const dialog = screen.getByTestId('block-dialog');
    await fireEvent.paste(dialog, { clipboardData: { files: [new File(['GIF89a'], 'x.gif', { type: 'image/gif' })], getData: () => '' } });
    expect(within(dialog).queryByTestId('block-evidence-item')).not.toBeInTheDocument();
    expect(within(dialog).getByRole('alert')).toHaveTextContent('图片须为 PNG 或 JPEG 格式，且不超过 2 MB');
  });

  it('disables blocking with the reason where the store cannot upload evidence', async () => {
    await openChat(false);
    const button = screen.getByTestId('block-button');
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute('title', '该门店的接入方式不支持屏蔽顾客（需要上传证据截图）');
  });

  it('leaves blocking to the supervisor in team mode', async () => {
    for (const supervisor of [false, true]) {
      const { backend } = testBackend();
      backend.team = mockTeam('小王', supervisor);
      const desk = new Desk(backend);
      desk.start();
      await desk.open(twoParty(backend, true));
      const view = render(WithDesk, { props: { desk, component: ChatPane } });
      await settleStart();
      const button = screen.getByTestId('block-button');
      if (supervisor) {
        expect(button).toBeEnabled();
        expect(button).not.toHaveAttribute('title');
      } else {
        expect(button).toBeDisabled();
        expect(button).toHaveAttribute('title', '团队模式下由主管屏蔽顾客');
      }
      expect(screen.getByTestId('image-button')).toBeEnabled();
      view.unmount();
    }
  });

  it('unblocks after a confirmation and reopens the composer', async () => {
    const { backend, id, user } = await openChat();
    const c = backend.brand.conversations.find((x) => x.row.id === id);
    if (!c) throw new Error('missing');
    await backend.blockCustomer(id, { reason: 'harassment', description: null, evidence: [{ name: 'a.png', dataBase64: btoa(String.fromCharCode(...PNG)) }] });
    await settle();
    expect(screen.getByTestId('composer-input')).toBeDisabled();
    await user.click(screen.getByTestId('unblock-button'));
    expect(backend.calls.filter((x) => x.name === 'unblockCustomer')).toEqual([]);
    await user.click(screen.getByTestId('unblock-confirm'));
    await settle();
    expect(backend.calls.filter((x) => x.name === 'unblockCustomer').map((x) => x.args)).toEqual([[id]]);
    expect(c.row.blocked).toBe(false);
    expect(screen.getByTestId('composer-input')).toBeEnabled();
    expect(screen.queryByTestId('composer-block-reason')).not.toBeInTheDocument();
    expect(screen.getByTestId('image-button')).toBeEnabled();
    expect(screen.getByTestId('block-button')).toBeEnabled();
  });
});
