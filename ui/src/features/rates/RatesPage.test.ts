// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { settle, settleStart, testBackend } from '../../test/brand';
import { Desk } from '../desk.svelte';
import WithDesk from '../../test/WithDesk.svelte';
import RatesPage from './RatesPage.svelte';

describe('平台回复率与权益', () => {
  it('shows each store beside ours, its rights, the charts, and the store at risk first', async () => {
    const { backend } = testBackend();
    const desk = new Desk(backend);
    desk.start();
    await desk.stores.refresh();
    render(WithDesk, { props: { desk, component: RatesPage as unknown as Component } });
    await settleStart();
    const cards = screen.getAllByTestId('rates-store');
    expect(cards).toHaveLength(desk.stores.list.length);
    expect(cards[0]).toHaveAttribute('data-at-risk', 'true');
    expect(within(cards[0] as HTMLElement).getByTestId('rates-store-risk')).toHaveTextContent('权益有风险');
    expect(screen.getByTestId('rates-at-risk-count')).toHaveTextContent('1 个门店');
    const review = within(cards[0] as HTMLElement)
      .getAllByTestId('rates-right')
      .find((r) => r.dataset.code === '1');
    expect(review).toHaveAttribute('data-state', 'atRisk');
    expect(within(cards[1] as HTMLElement).getByTestId('rates-five')).toHaveTextContent('95%');
    const charts = screen.getAllByTestId('rates-chart');
    expect(charts).toHaveLength(cards.length + 1);
    expect(charts[0]).toHaveAttribute('data-points', '30');
    await userEvent.setup().click(screen.getByTestId('rates-refresh'));
    await settle();
    expect(backend.calls.map((c) => c.name)).toContain('refreshPlatformRates');
  });
});
