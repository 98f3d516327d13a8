// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { describe, expect, it } from 'vitest';
import { afterNextPaint } from '../../lib/paint';
import NumberedList from '../../test/NumberedList.svelte';
import { scrollToReveal, visibleWindow } from './virtual-window';

const indices = () => screen.getAllByTestId('vrow').map((el) => Number(el.dataset.index));

describe('visibleWindow', () => {
  it('covers the viewport plus overscan, clamped to the list', () => {
    expect(visibleWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 50, count: 50_000, overscan: 5 })).toEqual({ start: 0, end: 16 });
    expect(visibleWindow({ scrollTop: 1000, viewportHeight: 500, rowHeight: 50, count: 50_000, overscan: 5 })).toEqual({ start: 15, end: 36 });
    expect(visibleWindow({ scrollTop: 50 * 49_999, viewportHeight: 500, rowHeight: 50, count: 50_000, overscan: 5 })).toEqual({ start: 49_994, end: 50_000 });
    expect(visibleWindow({ scrollTop: 0, viewportHeight: 500, rowHeight: 50, count: 0, overscan: 5 })).toEqual({ start: 0, end: 0 });
  });

  it('scrolls only as far as needed to reveal a row', () => {
    expect(scrollToReveal(3, 0, 500, 50)).toBeNull();
    expect(scrollToReveal(20, 0, 500, 50)).toBe(550);
    expect(scrollToReveal(2, 500, 500, 50)).toBe(100);
  });
});

describe('VirtualList', () => {
  it('keeps only visible rows (plus overscan) of 50,000 in the DOM', async () => {
    const ranges: [number, number][] = [];
    render(NumberedList, { props: { count: 50_000, onrange: (s: number, e: number) => ranges.push([s, e]) } });
    // The first frame holds the rows in view only; the overscan follows once it is painted.
    expect(indices()).toEqual(Array.from({ length: 11 }, (_, i) => i));
    await afterNextPaint();
    await tick();
    expect(indices()).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(screen.getByRole('list').firstElementChild).toHaveStyle({ height: '2500000px' });

    const viewport = screen.getByRole('list');
    viewport.scrollTop = 25_000 * 50;
    await fireEvent.scroll(viewport);
    expect(indices()).toEqual(Array.from({ length: 21 }, (_, i) => 24_995 + i));
    expect(screen.getByText('第 25000 行')).toBeInTheDocument();
    expect(ranges.at(-1)).toEqual([24_995, 25_016]);
  });

  it('moves the scroll position with rows inserted above, but not at the top', async () => {
    const { component } = render(NumberedList, { props: { count: 1000 } });
    await afterNextPaint();
    const viewport = screen.getByRole('list');
    component.shiftBy(2);
    await tick();
    expect(viewport.scrollTop).toBe(0);
    viewport.scrollTop = 500;
    await fireEvent.scroll(viewport);
    component.shiftBy(2);
    await tick();
    expect(viewport.scrollTop).toBe(600);
    expect(indices()[0]).toBe(7);
  });
});
