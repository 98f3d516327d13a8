// @vitest-environment jsdom
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { MockBackend } from '../../ipc/mock/backend';
import { settle, settleStart, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import ChatPane from './ChatPane.svelte';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
const GIF = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0]);
const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const png = (name = 'shot.png') => new File([PNG], name, { type: 'image/png' });

/** A chat the customer can be written to, in a store whose integration uploads (or not). */
function sendable(backend: MockBackend, uploads: boolean): string {
  const business = uploads ? 16 : 2;
  const stores = new Set(backend.brand.stores.filter((s) => s.businessId === business).map((s) => s.epoiId));
  const c = backend.brand.conversations.find((x) => x.row.kind === 'twoParty' && stores.has(x.row.storeId) && !x.row.blocked && x.composeBlock === null);
  if (!c) throw new Error('no such conversation in the demo brand');
  return c.row.id;
}

async function openChat(uploads = true, existing?: MockBackend) {
  const backend = existing ?? testBackend().backend;
  const desk = new Desk(backend);
  const stop = desk.start();
  const id = sendable(backend, uploads);
  await desk.open(id);
  const view = render(WithDesk, { props: { desk, component: ChatPane } });
  await settleStart();
  return { backend, desk, stop, id, view, user: userEvent.setup() };
}

const lastBubble = () => screen.getAllByTestId('chat-message').at(-1) as HTMLElement;
const imageCalls = (backend: MockBackend) => backend.calls.filter((c) => c.name === 'sendImage').map((c) => c.args);

afterEach(() => vi.unstubAllGlobals());

describe('sending pictures', () => {
  it('sends a picked PNG as base64 and shows its bubble: local preview while uploading, the URL once sent', async () => {
    const revoke = vi.fn();
    vi.stubGlobal('URL', Object.assign(class extends URL {}, { createObjectURL: () => 'blob:preview-1', revokeObjectURL: revoke }));
    const { backend, id, user } = await openChat();
    expect(screen.getByTestId('image-button')).toBeEnabled();
    await user.upload(screen.getByTestId('image-input'), png());
    await settle();
    expect(imageCalls(backend)).toEqual([[id, { name: 'shot.png', dataBase64: b64(PNG) }]]);
    const bubble = lastBubble();
    expect(bubble).toHaveAttribute('data-author', 'merchant');
    expect(within(bubble).getByTestId('send-state')).toHaveTextContent('发送中');
    expect(within(bubble).getByTestId('image-preview').querySelector('img')).toHaveAttribute('src', 'blob:preview-1');

    backend.deliverPending();
    await settle();
    const sent = lastBubble();
    expect(within(sent).getByTestId('send-state')).toHaveTextContent('已发送');
    expect(within(sent).queryByTestId('image-preview')).not.toBeInTheDocument();
    expect(within(sent).getByRole('img', { name: '图片' })).toHaveAttribute('src', `data:image/png;base64,${b64(PNG)}`);
    expect(revoke).toHaveBeenCalledWith('blob:preview-1');
  });

  it('shows the [图片] placeholder for a picture still uploading after a restart', async () => {
    const first = await openChat();
    await first.user.upload(screen.getByTestId('image-input'), png());
    await settle();
    first.stop();
    first.view.unmount();
    // A new window over the same core: the session's previews are gone.
    await openChat(true, first.backend);
    expect(within(lastBubble()).getByTestId('image-placeholder')).toHaveTextContent('[图片]');
  });

  it('refuses a GIF dropped on the chat with the Chinese reason and sends the PNG dropped with it', async () => {
    const { backend, id } = await openChat();
    const gif = new File([GIF], 'anim.gif', { type: 'image/gif' });
    await fireEvent.drop(screen.getByTestId('chat-drop-zone'), { dataTransfer: { files: [gif, png('b.png')], types: ['Files'] } });
    await settle();
    expect(imageCalls(backend).map((args) => (args[1] as { name: string }).name)).toEqual(['anim.gif', 'b.png']);
    expect(screen.getByRole('alert')).toHaveTextContent('图片须为 PNG 或 JPEG 格式，且不超过 2 MB');
    const mine = backend.brand.conversations.find((c) => c.row.id === id)?.messages.filter((m) => m.body === 'image' && m.author === 'merchant');
    expect(mine).toHaveLength(1);
  });

  it('refuses a picture over 2 MiB without reading it across IPC', async () => {
    const { backend, user } = await openChat();
    const big = new File([new Uint8Array(2 * 1024 * 1024 + 1)], 'huge.png', { type: 'image/png' });
    await user.upload(screen.getByTestId('image-input'), big);
    await settle();
    expect(imageCalls(backend)).toEqual([]);
    expect(screen.getByRole('alert')).toHaveTextContent('图片须为 PNG 或 JPEG 格式，且不超过 2 MB');
  });

  it('sends a pasted screenshot, but pastes text when the clipboard also carries text', async () => {
    const { backend } = await openChat();
    const input = screen.getByTestId('composer-input');
    await fireEvent.paste(input, { clipboardData: { files: [png('paste.png')], getData: () => '' } });
    await settle();
    expect(imageCalls(backend).map((args) => (args[1] as { name: string }).name)).toEqual(['paste.png']);
    await fireEvent.paste(input, { clipboardData: { files: [png('cells.png')], getData: () => 'A1\tB1' } });
    await settle();
    expect(imageCalls(backend)).toHaveLength(1);
  });

  it('disables the picture button with the reason in a store whose integration cannot upload', async () => {
    const { backend } = await openChat(false);
    const button = screen.getByTestId('image-button');
    expect(button).toBeDisabled();
    expect(button).toHaveAttribute('title', '该门店的接入方式不支持发送图片');
    await fireEvent.drop(screen.getByTestId('chat-drop-zone'), { dataTransfer: { files: [png()], types: ['Files'] } });
    await settle();
    expect(imageCalls(backend)).toEqual([]);
    expect(screen.getByRole('alert')).toHaveTextContent('该门店的接入方式不支持此操作（无法上传图片）');
  });
});
