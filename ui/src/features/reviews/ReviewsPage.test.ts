// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from '../../App.svelte';
import { settle, settleStart, testBackend } from '../../test/brand';

async function openReviews(index = 0) {
  const { backend } = testBackend(60);
  render(App, { props: { backend } });
  await settleStart();
  const user = userEvent.setup();
  const gear = screen.getAllByTestId('store-settings')[index] as HTMLElement;
  const store = gear.dataset.storeId as string;
  return { backend, user, store, gear };
}

async function showPage(user: ReturnType<typeof userEvent.setup>, gear: HTMLElement) {
  await user.click(gear);
  await settle();
  await user.click(screen.getByTestId('store-reviews'));
  await settle();
}

describe('reviews page (评价联系)', () => {
  it('starts a review contact and opens its conversation from the inbox', async () => {
    const { backend, user, store, gear } = await openReviews();
    await showPage(user, gear);
    expect(screen.getByTestId('reviews-right')).toHaveTextContent('已解锁');
    const first = screen.getAllByTestId('review')[0] as HTMLElement;
    const commentId = first.dataset.commentId as string;
    await user.click(screen.getAllByTestId('review-contact')[0] as HTMLElement);
    await settle();
    expect(backend.calls.filter((c) => c.name === 'startReviewContact').map((c) => c.args)).toEqual([[store, commentId]]);
    expect(screen.getByTestId('reviews-notice')).toHaveTextContent('已发起评价联系');
    expect(screen.getByTestId('chat-pane').dataset.conversationId).toMatch(new RegExp(`^${store}\\|4\\|`));
    // Listed again, the review offers its conversation instead of a second contact.
    const again = screen.getAllByTestId('review').find((e) => e.dataset.commentId === commentId) as HTMLElement;
    expect(again.querySelector('[data-testid=review-open-chat]')).not.toBeNull();
  });

  it('says why a store without the right cannot start one', async () => {
    const { backend, user, store, gear } = await openReviews(1);
    backend.marketing.contactLocked.add(store);
    await showPage(user, gear);
    expect(screen.getByTestId('reviews-right')).toHaveTextContent('尚未解锁');
    await user.click(screen.getAllByTestId('review-contact')[0] as HTMLElement);
    await settle();
    expect(screen.getByTestId('reviews-error')).toHaveTextContent('尚未解锁「评价联系」权益，无法发起');
    expect(screen.queryByTestId('reviews-notice')).toBeNull();
  });
});
