// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { settle, settleStart, testBackend } from '../../test/brand';

async function openFans() {
  const { backend } = testBackend(60);
  render(App, { props: { backend } });
  await settleStart();
  const user = userEvent.setup();
  const gear = screen.getAllByTestId('store-settings')[0] as HTMLElement;
  await user.click(gear);
  await settle();
  await user.click(screen.getByTestId('store-fans'));
  await settle();
  return { backend, user, store: gear.dataset.storeId as string };
}

/** A `datetime-local` value `hours` from now (local time). */
function localIn(hours: number): string {
  const d = new Date(Date.now() + hours * 3_600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

describe('fans page (粉丝群)', () => {
  it('creates a group with a join coupon only after confirming what it costs', async () => {
    const { backend, user, store } = await openFans();
    expect(screen.getByTestId('fans-groups')).toHaveTextContent('还没有粉丝群');
    expect(screen.getByTestId('fans-group-create')).toBeDisabled();
    await user.type(screen.getByTestId('fans-intro'), '进群领券');
    await user.type(screen.getByTestId('fans-welcome'), '欢迎');
    await user.click(screen.getByTestId('fans-join-coupon'));
    await user.click(screen.getByTestId('fans-group-create'));
    expect(screen.getByTestId('fans-group-confirm-box')).toHaveTextContent('满 20 减 3 元的入群券');
    expect(backend.calls.some((c) => c.name === 'createFansGroup')).toBe(false);
    await user.click(screen.getByTestId('fans-group-confirm'));
    await settle();
    const created = backend.calls.filter((c) => c.name === 'createFansGroup').map((c) => c.args);
    expect(created).toEqual([[store, { intro: '进群领券', welcome: '欢迎', joinCoupon: { price: 3, limitPrice: 20, validityDays: 7 } }]]);
    expect(screen.getAllByTestId('fans-group')).toHaveLength(1);
    expect(screen.getByTestId('fans-remaining')).toHaveTextContent('本月还可发券 30 次');
  });

  it('refuses a coupon activity ending in the past, naming the field, and sends one after confirming', async () => {
    const { backend, user } = await openFans();
    await user.type(screen.getByTestId('fans-intro'), '进群领券');
    await user.type(screen.getByTestId('fans-welcome'), '欢迎');
    await user.click(screen.getByTestId('fans-group-create'));
    await user.click(screen.getByTestId('fans-group-confirm'));
    await settle();

    const endsAt = screen.getByTestId('fans-ends-at') as HTMLInputElement;
    await fireEvent.input(endsAt, { target: { value: localIn(-2) } });
    const problem = screen.getAllByTestId('fans-coupon-problem').find((p) => p.dataset.field === 'activityEndsAt');
    expect(problem).toHaveTextContent('活动结束时间已经过去');
    expect(screen.getByTestId('fans-coupon-send')).toBeDisabled();

    await fireEvent.input(endsAt, { target: { value: localIn(48) } });
    expect(screen.queryAllByTestId('fans-coupon-problem')).toHaveLength(0);
    await user.click(screen.getByTestId('fans-coupon-send'));
    expect(screen.getByTestId('fans-coupon-confirm-box')).toHaveTextContent('最多承担 500 元');
    expect(backend.calls.some((c) => c.name === 'sendFansCoupon')).toBe(false);
    await user.click(screen.getByTestId('fans-coupon-confirm'));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'sendFansCoupon')).toHaveLength(1);
    expect(screen.getByTestId('fans-notice')).toHaveTextContent('本月还可发 29 次');
    expect(screen.getAllByTestId('fans-coupon')).toHaveLength(1);
  });

  it('shows the field the core refused, in its words, when a form gets past the page', async () => {
    const { backend, user } = await openFans();
    backend.createFansGroup = () =>
      Promise.reject({ code: 'invalid', message: 'fans group: welcome is longer than 100 characters', platformMsg: null });
    await user.type(screen.getByTestId('fans-intro'), '进群领券');
    await user.type(screen.getByTestId('fans-welcome'), '欢迎');
    await user.click(screen.getByTestId('fans-group-create'));
    await user.click(screen.getByTestId('fans-group-confirm'));
    await settle();
    const refused = screen.getByTestId('fans-error');
    expect(refused).toHaveTextContent('输入内容有误');
    expect(refused).toHaveTextContent('welcome is longer than 100 characters');
  });

  it('starts a join-group coupon in an existing group only after confirming', async () => {
    const { backend, user, store } = await openFans();
    await user.type(screen.getByTestId('fans-intro'), '进群领券');
    await user.type(screen.getByTestId('fans-welcome'), '欢迎');
    await user.click(screen.getByTestId('fans-group-create'));
    await user.click(screen.getByTestId('fans-group-confirm'));
    await settle();
    const groupId = (screen.getByTestId('fans-group') as HTMLElement).dataset.groupId;

    const limit = screen.getByTestId('fans-join-limit') as HTMLInputElement;
    await user.clear(limit);
    await user.type(limit, '2');
    expect(screen.getByTestId('fans-join-problem')).toHaveTextContent('低于使用门槛');
    expect(screen.getByTestId('fans-join-start')).toBeDisabled();
    await user.type(limit, '5');
    await user.click(screen.getByTestId('fans-join-start'));
    expect(screen.getByTestId('fans-join-confirm-box')).toHaveTextContent('满 25 减 3 元');
    expect(backend.calls.some((c) => c.name === 'startJoinCoupon')).toBe(false);
    await user.click(screen.getByTestId('fans-join-confirm'));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'startJoinCoupon').map((c) => c.args)).toEqual([
      [store, groupId, { price: 3, limitPrice: 25, validityDays: 7 }],
    ]);
    expect(screen.getByTestId('fans-activities')).toHaveTextContent('满 25 减 3 元，有效 7 天 · 进行中');
    expect(screen.queryByTestId('fans-join-start')).toBeNull();
  });
});
