// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { AlertSettings } from '../../ipc/backend';
import { settle, testBackend } from '../../test/brand';
import { Desk } from '../desk.svelte';
import SettingsPanel from './SettingsPanel.svelte';
import WithDesk from '../../test/WithDesk.svelte';

async function openSettings() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  const stop = desk.start();
  await desk.stores.refresh();
  // onclose is not exercised here; WithDesk renders the panel without props.
  render(WithDesk, { props: { desk, component: SettingsPanel as unknown as Component } });
  await settle();
  return { backend, desk, stop, user: userEvent.setup() };
}

const savedSettings = (backend: ReturnType<typeof testBackend>['backend']) =>
  backend.calls.filter((c) => c.name === 'setAlertSettings').map((c) => c.args[0] as AlertSettings);

describe('settings: peak hours per store', () => {
  it('saves a store its own peaks and leaves empty stores on the brand peaks', async () => {
    const { backend, desk, user } = await openSettings();
    const [first, second] = desk.stores.list;
    const fields = screen.getAllByTestId('store-peaks') as HTMLInputElement[];
    expect(fields).toHaveLength(desk.stores.list.length);
    const field = fields.find((f) => f.dataset.storeId === first?.epoiId) as HTMLInputElement;
    await user.type(field, '11:00-14:00，17:00-21:00');
    await user.click(screen.getByRole('button', { name: '保存' }));
    await settle();
    const saved = savedSettings(backend).at(-1);
    expect(saved?.storePeakWindows).toEqual({
      [first?.epoiId ?? '']: [
        { start: '11:00', end: '14:00' },
        { start: '17:00', end: '21:00' },
      ],
    });
    expect(Object.keys(saved?.storePeakWindows ?? {})).not.toContain(second?.epoiId);
  });

  it('refuses to save a store range that is not HH:MM-HH:MM', async () => {
    const { backend, desk, user } = await openSettings();
    const field = screen.getAllByTestId('store-peaks')[0] as HTMLInputElement;
    await user.type(field, '11点到2点');
    expect(field).toHaveAttribute('aria-invalid', 'true');
    const save = screen.getByRole('button', { name: '保存' });
    expect(save).toBeDisabled();
    expect(savedSettings(backend)).toEqual([]);
    expect(desk.stores.list.length).toBeGreaterThan(1);
  });
});

describe('settings: a store without peak hours', () => {
  it('keeps an explicit "no peaks" (无) instead of falling back to the brand', async () => {
    const { backend, desk, user } = await openSettings();
    const [first] = desk.stores.list;
    const field = screen
      .getAllByTestId('store-peaks')
      .find((f) => (f as HTMLInputElement).dataset.storeId === first?.epoiId) as HTMLInputElement;
    await user.type(field, '无');
    await user.click(screen.getByRole('button', { name: '保存' }));
    await settle();
    expect(savedSettings(backend).at(-1)?.storePeakWindows).toEqual({ [first?.epoiId ?? '']: [] });
  });
});
