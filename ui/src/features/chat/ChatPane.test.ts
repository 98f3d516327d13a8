// @vitest-environment jsdom
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { formatMessageTime } from '../../i18n/format';
import { demoImage } from '../../ipc/mock/brand';
import { settle, settleStart, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import ChatPane from './ChatPane.svelte';

async function openChat(pick: (b: ReturnType<typeof testBackend>['backend']) => string = () => 'c0001') {
  const { backend, advance } = testBackend();
  const desk = new Desk(backend);
  const stop = desk.start();
  const id = pick(backend);
  await desk.open(id);
  const { unmount } = render(WithDesk, { props: { desk, component: ChatPane } });
  await settleStart();
  const input = screen.getByTestId('composer-input') as HTMLTextAreaElement;
  return { backend, advance, desk, stop, id, input, unmount, user: userEvent.setup() };
}

const sent = (backend: ReturnType<typeof testBackend>['backend']) => backend.calls.filter((c) => c.name === 'sendText').map((c) => c.args[1]);

describe('composer', () => {
  it('sends with Enter and breaks the line with Shift+Enter', async () => {
    const { backend, input, user } = await openChat();
    await user.type(input, '您好{Shift>}{Enter}{/Shift}马上到');
    expect(input.value).toBe('您好\n马上到');
    expect(sent(backend)).toEqual([]);
    await user.keyboard('{Enter}');
    await settle();
    expect(sent(backend)).toEqual(['您好\n马上到']);
    expect(input.value).toBe('');
    const mine = screen.getAllByTestId('chat-message').at(-1) as HTMLElement;
    expect(mine).toHaveAttribute('data-author', 'merchant');
    expect(within(mine).getByTestId('send-state')).toHaveTextContent('发送中');
  });

  it('does not send on the Enter that confirms an IME candidate', async () => {
    const { backend, input, user } = await openChat();
    await user.type(input, 'nihao');
    await fireEvent.keyDown(input, { key: 'Enter', isComposing: true });
    await fireEvent.keyDown(input, { key: 'Enter', keyCode: 229 });
    await settle();
    expect(sent(backend)).toEqual([]);
  });

  it('fills {顾客} and {预计送达} from the conversation when / picks a quick reply', async () => {
    const { backend, input, user, id } = await openChat();
    const c = backend.brand.conversations.find((x) => x.row.id === id);
    await user.type(input, '/催');
    const picker = screen.getByTestId('quick-reply-picker');
    expect(within(picker).getAllByTestId('quick-reply-item')[0]).toHaveTextContent('催单');
    await user.keyboard('{Enter}');
    const eta = formatMessageTime(c?.order?.estimatedArrivalAt ?? 0, Date.now());
    const customer = c?.row.title.kind === 'customer' ? c.row.title.customer : 'missing';
    expect(input.value).toBe(`顾客*${customer}您好，已为您催促骑手，预计 ${eta} 送达，请耐心等待`);
    expect(screen.queryByTestId('quick-reply-picker')).not.toBeInTheDocument();
    expect(sent(backend)).toEqual([]);
  });

  it('asks for a variable the conversation cannot fill', async () => {
    const { input, user } = await openChat((b) => b.brand.conversations.find((c) => c.order === null && c.row.kind === 'twoParty' && !c.composeBlock)?.row.id ?? '');
    await user.type(input, '/少送');
    await user.keyboard('{Enter}');
    const prompt = screen.getByTestId('variable-prompt');
    expect(prompt).toHaveTextContent('请填写常用语中缺少的内容');
    await user.type(within(prompt).getByTestId('variable-input'), '27001234');
    await user.click(within(prompt).getByRole('button', { name: '插入' }));
    expect(input.value).toBe('您好，订单 27001234 少送的餐品我们马上为您补送或退款');
  });

  it('opens the picker with Ctrl+/ through the desk and searches in it', async () => {
    const { desk, user } = await openChat();
    desk.quickReplyOpen += 1;
    await settle(1);
    const picker = screen.getByTestId('quick-reply-picker');
    await user.keyboard('发票');
    expect(within(picker).getAllByTestId('quick-reply-item').map((el) => el.textContent)).toEqual([expect.stringContaining('发票')]);
  });

  it('is disabled with the reason when the after-sale window has closed, the customer is blocked or IM is closed', async () => {
    const closed = await openChat((b) => b.brand.conversations.find((c) => c.composeBlock === 'windowClosed')?.row.id ?? '');
    expect(closed.input).toBeDisabled();
    expect(screen.getByTestId('composer-block-reason')).toHaveTextContent('售后窗口已关闭（订单完成超过 48 小时），无法发送');
    closed.stop();
  });

  it('names a blocked customer and a closed conversation', async () => {
    for (const [block, text] of [
      ['customerBlocked', '该顾客已被屏蔽，无法发送'],
      ['imClosed', '该门店 IM 已关闭，无法发送：请在门店设置中开启后再回复'],
    ] as const) {
      const { input, stop, unmount } = await openChat((b) => {
        const c = b.brand.conversations[9];
        if (c) c.composeBlock = block;
        return c?.row.id ?? '';
      });
      expect(input).toBeDisabled();
      expect(screen.getAllByTestId('composer-block-reason').at(-1)).toHaveTextContent(text);
      stop();
      unmount();
    }
  });

  it('saves the draft half a second after typing and at once when switching away', async () => {
    const { backend, desk, input, user } = await openChat();
    await user.type(input, '稍等');
    await desk.open('c0002');
    await settle();
    expect(backend.calls.filter((c) => c.name === 'setDraft').at(-1)?.args).toEqual(['c0001', '稍等']);
    await desk.open('c0001');
    await settle();
    expect((screen.getByTestId('composer-input') as HTMLTextAreaElement).value).toBe('稍等');
  });
});

describe('chat', () => {
  it('shows a failed send with its reason, retries it, then shows 已读 from the read receipt', async () => {
    const { backend, input, user } = await openChat();
    await user.type(input, '马上处理{Enter}');
    backend.failNextSend('平台限流');
    backend.deliverPending();
    await settle();
    const failed = screen.getAllByTestId('chat-message').at(-1) as HTMLElement;
    expect(within(failed).getByTestId('send-state')).toHaveTextContent('发送失败（平台限流）');
    await user.click(within(failed).getByRole('button', { name: '重试' }));
    await settle();
    expect(within(screen.getAllByTestId('chat-message').at(-1) as HTMLElement).getByTestId('send-state')).toHaveTextContent('发送中');
    backend.deliverPending();
    await settle();
    const delivered = screen.getAllByTestId('chat-message').at(-1) as HTMLElement;
    expect(within(delivered).getByTestId('send-state')).toHaveTextContent('已发送');
    expect(within(delivered).getByTestId('message-read')).toHaveTextContent('未读');
    backend.markCustomerRead('c0001');
    await settle();
    expect(within(screen.getAllByTestId('chat-message').at(-1) as HTMLElement).getByTestId('message-read')).toHaveTextContent('已读');
  });

  it('holds a team reply that had not seen a colleague, then sends it when the agent confirms', async () => {
    const { backend, input, user } = await openChat();
    await user.type(input, '已为您催单{Enter}');
    backend.holdNextSend('colleagueReplied');
    backend.deliverPending();
    await settle();
    const held = screen.getAllByTestId('chat-message').at(-1) as HTMLElement;
    expect(within(held).getByTestId('send-state')).toHaveTextContent('未发送：同事刚刚回复了，请先查看上方消息');
    expect(within(held).queryByRole('button', { name: '重试' })).not.toBeInTheDocument();
    await user.click(within(held).getByRole('button', { name: '确认发送' }));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'retrySend').map((c) => c.args)).toEqual([[held.dataset.messageKey]]);
    expect(within(screen.getAllByTestId('chat-message').at(-1) as HTMLElement).getByTestId('send-state')).toHaveTextContent('发送中');
  });

  it('takes a held reply the customer had written past back into the composer to edit', async () => {
    const { backend, input, user } = await openChat();
    await user.type(input, '好的，马上处理{Enter}');
    backend.holdNextSend('customerWrote');
    backend.simulateIncoming('c0001', { text: '不用了，我要退款' });
    backend.deliverPending();
    await settle();
    const held = screen.getAllByTestId('chat-message').find((m) => m.dataset.author === 'merchant' && within(m).queryByTestId('send-state')?.dataset.state === 'held') as HTMLElement;
    expect(within(held).getByTestId('send-state')).toHaveTextContent('未发送：顾客有新消息，请先查看上方消息');
    await user.click(within(held).getByRole('button', { name: '修改' }));
    await settle();
    expect(input.value).toBe('好的，马上处理');
    expect(input).toHaveFocus();
    expect(backend.calls.some((c) => c.name === 'retrySend')).toBe(false);
  });

  it('never offers to resend a reply whose fate is unknown, only to copy it after checking', async () => {
    const { backend, input, user } = await openChat();
    await user.type(input, '餐已送出{Enter}');
    backend.loseNextSend();
    backend.deliverPending();
    await settle();
    const uncertain = screen.getAllByTestId('chat-message').at(-1) as HTMLElement;
    expect(within(uncertain).getByTestId('send-state')).toHaveTextContent('状态未知：可能已送达，请与顾客确认后再发');
    expect(within(uncertain).queryByRole('button', { name: '重试' })).not.toBeInTheDocument();
    expect(within(uncertain).queryByRole('button', { name: '确认发送' })).not.toBeInTheDocument();
    await user.type(input, '您好');
    await user.click(within(uncertain).getByRole('button', { name: '复制到输入框' }));
    await settle();
    // What the agent had typed is kept; the copy goes after it.
    expect(input.value).toBe('您好\n餐已送出');
    expect(backend.calls.some((c) => c.name === 'retrySend')).toBe(false);
    await expect(backend.retrySend(uncertain.dataset.messageKey ?? '')).rejects.toMatchObject({ code: 'invalid' });
  });

  it('explains a refused send in Chinese', async () => {
    const { input } = await openChat();
    await fireEvent.input(input, { target: { value: '好'.repeat(501) } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await settle();
    expect(screen.getByRole('alert')).toHaveTextContent('消息太长（最多 500 字），请分段发送');
  });

  it('shows the complaint banner and the order card with amounts and the masked recipient', async () => {
    const { backend } = await openChat();
    const order = backend.brand.conversations[0]?.order;
    expect(screen.getByTestId('scene-banner')).toHaveTextContent('顾客投诉（紧急）：请在 1 分钟内回复');
    const card = screen.getByTestId('order-card');
    expect(card).toHaveTextContent(order?.status === 8 ? '已完成' : /已接单|配送中/);
    expect(card).toHaveTextContent(`实付 ¥${((order?.totalFen ?? 0) / 100).toFixed(2)}`);
    expect(card).toHaveTextContent(order?.recipientPhone ?? 'missing');
    expect(order?.recipientPhone).toMatch(/\*{4}/);
  });

  it('opens an image in a viewer that zooms', async () => {
    const { backend, user } = await openChat();
    backend.simulateIncoming('c0001', { image: demoImage('照片', 20) });
    await settle();
    await user.click(screen.getAllByRole('button', { name: '图片' }).at(-1) as HTMLElement);
    expect(screen.getByTestId('image-zoom')).toHaveTextContent('100%');
    await user.click(screen.getByRole('button', { name: '放大' }));
    expect(screen.getByTestId('image-zoom')).toHaveTextContent('125%');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('image-viewer')).not.toBeInTheDocument();
  });

  it('shows the review for review-contact chats and the rider for rider groups', async () => {
    const review = await openChat((b) => b.brand.conversations.find((c) => c.row.kind === 'reviewContact')?.row.id ?? '');
    expect(screen.getByTestId('review-card')).toHaveTextContent('顾客评价');
    review.stop();
    review.unmount();
    await openChat((b) => b.brand.conversations.find((c) => c.row.kind === 'riderGroup')?.row.id ?? '');
    expect(screen.getByTestId('rider-card')).toHaveTextContent(/师傅/);
  });
});

