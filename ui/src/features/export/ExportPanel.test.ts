// @vitest-environment jsdom
import { fireEvent, render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { settle, settleStart, testBackend } from '../../test/brand';
import { Desk } from '../desk.svelte';
import WithDesk from '../../test/WithDesk.svelte';
import ExportPanel from './ExportPanel.svelte';

async function openPanel() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  desk.start();
  await desk.stores.refresh();
  render(WithDesk, { props: { desk, component: ExportPanel as unknown as Component } });
  await settleStart();
  return { backend, desk, user: userEvent.setup() };
}

describe('导出', () => {
  it('refuses a reversed or missing range without asking the core', async () => {
    const { backend, user } = await openPanel();
    await fireEvent.input(screen.getByTestId('export-from'), { target: { value: '2026-12-06' } });
    await fireEvent.input(screen.getByTestId('export-to'), { target: { value: '2026-12-05' } });
    await user.click(screen.getByTestId('export-messages'));
    expect(screen.getByTestId('export-problem')).toHaveTextContent('开始日期晚于结束日期');
    await fireEvent.input(screen.getByTestId('export-from'), { target: { value: '' } });
    await user.click(screen.getByTestId('export-messages'));
    expect(screen.getByTestId('export-problem')).toHaveTextContent('请填写开始日期');
    expect(backend.calls.map((c) => c.name)).not.toContain('exportStoreRange');
  });

  it('exports a store range and a day report and shows where they went', async () => {
    const { backend, desk, user } = await openPanel();
    await fireEvent.input(screen.getByTestId('export-from'), { target: { value: '2000-01-01' } });
    await fireEvent.input(screen.getByTestId('export-to'), { target: { value: '2100-01-01' } });
    await user.selectOptions(screen.getByTestId('export-format'), 'jsonLines');
    await user.click(screen.getByTestId('export-messages'));
    await settle();
    const call = backend.calls.find((c) => c.name === 'exportStoreRange');
    expect(call?.args).toEqual([desk.stores.list[0]?.epoiId, '2000-01-01', '2100-01-01', 'jsonLines']);
    expect(screen.getByTestId('export-path')).toHaveTextContent(/\.jsonl$/);
    await user.click(screen.getByTestId('export-report'));
    await settle();
    expect(screen.getByTestId('export-saved')).toHaveTextContent(`已导出 ${desk.stores.list.length + 1} 行`);
    expect(screen.getByTestId('export-path')).toHaveTextContent(/imdesk-report-.*\.csv$/);
  });
});
