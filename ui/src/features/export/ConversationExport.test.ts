// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { settle, settleStart, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import ChatPane from '../chat/ChatPane.svelte';
import { Desk } from '../desk.svelte';

describe('the chat header’s export', () => {
  it('keeps its result while the conversation is read again, and clears it for another one', async () => {
    const { backend } = testBackend(20);
    const desk = new Desk(backend);
    desk.start();
    render(WithDesk, { props: { desk, component: ChatPane as unknown as Component } });
    await settleStart();
    await desk.open('c0002');
    await settle();
    const user = userEvent.setup();
    await user.click(screen.getByTestId('export-conversation-csv'));
    await settle();
    expect(screen.getByTestId('export-conversation-result')).toHaveTextContent('已导出');

    // A new message or a read receipt reads the open conversation again.
    await desk.chat.refresh();
    await settle();
    expect(screen.getByTestId('export-conversation-result')).toHaveTextContent('已导出');

    await desk.open('c0003');
    await settle();
    expect(screen.queryByTestId('export-conversation-result')).toBeNull();
  });
});
