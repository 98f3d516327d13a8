// @vitest-environment jsdom
import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/locale.svelte';
import { settle, testBackend } from '../../test/brand';
import { Desk } from '../desk.svelte';
import WithDesk from '../../test/WithDesk.svelte';
import SettingsPanel from './SettingsPanel.svelte';
import { formatDuration, formatSkew, scopeText } from './doctor';

async function openSettings() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  desk.start();
  await desk.stores.refresh();
  render(WithDesk, { props: { desk, component: SettingsPanel as unknown as Component } });
  await settle();
  return { backend, desk, user: userEvent.setup() };
}

describe('settings: 连接诊断', () => {
  it('runs the doctor and shows every section of its report', async () => {
    const { backend, desk, user } = await openSettings();
    const doctor = screen.getByTestId('doctor');
    expect(within(doctor).getByRole('heading', { name: '连接诊断' })).toBeInTheDocument();
    expect(screen.queryByTestId('doctor-report')).toBeNull();
    await user.click(within(doctor).getByRole('button', { name: '开始诊断' }));
    await settle();
    expect(backend.calls.map((c) => c.name)).toContain('connectionDoctor');
    const total = desk.stores.list.length;
    expect(screen.getByTestId('doctor-stores-summary')).toHaveTextContent(`${total}/${total} 个门店令牌可用`);
    expect(screen.getAllByTestId('doctor-store')).toHaveLength(total);
    expect(screen.getAllByTestId('doctor-socket')).toHaveLength(3);
    expect(doctor).toHaveTextContent('连接范围：开发者级');
    expect(doctor).toHaveTextContent('imSecret 已使用 1 分钟');
    expect(screen.getByTestId('doctor-clock')).toHaveTextContent('+350 毫秒');
    expect(screen.getByTestId('doctor-replies')).toHaveTextContent('OP_RATE_LIMITED');
    expect(screen.getByTestId('doctor-replies')).toHaveTextContent('demo-trace-1');
    expect(screen.getByTestId('doctor-quarantine')).toHaveTextContent('unknown_store');
  });

  it('names a failing store with the platform code, message and traceId', async () => {
    const { backend, user } = await openSettings();
    const healthy = await backend.connectionDoctor();
    const [first, ...rest] = healthy.stores;
    if (!first) throw new Error('the demo brand has stores');
    backend.connectionDoctor = async () => ({
      ...healthy,
      stores: [
        {
          ...first,
          tokenOk: false,
          imOpen: null,
          failure: { code: 'OP_AUTH_TOKEN_EXPIRED', message: 'appAuthToken expired', traceId: 'tr-9' },
        },
        ...rest,
      ],
    });
    await user.click(screen.getByTestId('doctor-run'));
    await settle();
    const failing = screen.getAllByTestId('doctor-store').find((li) => li.dataset.storeId === first.epoiId);
    expect(failing).toHaveAttribute('data-ok', 'false');
    expect(failing).toHaveTextContent('失败');
    expect(failing).toHaveTextContent('OP_AUTH_TOKEN_EXPIRED');
    expect(failing).toHaveTextContent('tr-9');
    expect(screen.getByTestId('doctor-stores-summary')).toHaveTextContent(`${rest.length}/${rest.length + 1}`);
  });

  it('makes a diagnostic bundle in one click and shows where it is', async () => {
    const { backend, user } = await openSettings();
    await user.click(screen.getByRole('button', { name: '生成诊断包' }));
    await settle();
    expect(backend.calls.map((c) => c.name)).toContain('diagnosticBundle');
    expect(screen.getByTestId('doctor-bundle-path')).toHaveTextContent('imdesk-diagnostics-');
  });

  it('shows the error when the doctor cannot run', async () => {
    const { backend, user } = await openSettings();
    backend.connectionDoctor = () => Promise.reject({ code: 'internal', message: 'boom' });
    await user.click(screen.getByTestId('doctor-run'));
    await settle();
    expect(within(screen.getByTestId('doctor')).getByRole('alert')).toBeInTheDocument();
  });
});

describe('doctor wording', () => {
  it('words durations, skews and scopes in both languages', () => {
    expect(formatDuration(850)).toBe('850 毫秒');
    expect(formatDuration(95_000)).toBe('1 分钟');
    expect(formatSkew(-2_500)).toBe('−2 秒');
    expect(scopeText('store:mt-1')).toContain('mt-1');
    setLocale('en');
    try {
      expect(formatDuration(7_200_000)).toBe('2 h');
      expect(scopeText('developer')).toContain('developer-wide');
    } finally {
      setLocale('zh-CN');
    }
  });
});
