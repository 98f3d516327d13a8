// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import type { Component } from 'svelte';
import { describe, expect, it } from 'vitest';
import type { CredentialsForm } from '../../ipc/backend';
import { settle, testBackend } from '../../test/brand';
import WithDesk from '../../test/WithDesk.svelte';
import { Desk } from '../desk.svelte';
import CredentialsEditor from './CredentialsEditor.svelte';

async function editor() {
  const { backend } = testBackend();
  const desk = new Desk(backend);
  render(WithDesk, { props: { desk, component: CredentialsEditor as unknown as Component } });
  await settle();
  return { backend, user: userEvent.setup() };
}

const field = (id: string, at = 0) => screen.getAllByTestId(id)[at] as HTMLInputElement;

describe('credentials editor', () => {
  it('saves developerId, signKey and each store, then forgets the secrets in the page', async () => {
    const { backend, user } = await editor();
    const save = screen.getByTestId('cred-save');
    expect(save).toBeDisabled();
    await user.type(field('cred-developer-id'), '106158');
    await user.type(field('cred-sign-key'), 'sign-secret');
    await user.type(field('cred-epoi-id'), 'mt-1001');
    await user.type(field('cred-store-name'), '望京店');
    await user.type(field('cred-token'), 'token-one');
    await user.click(screen.getByTestId('cred-add-store'));
    await user.type(field('cred-epoi-id', 1), 'mt-1002');
    await user.selectOptions(field('cred-business-id', 1) as unknown as HTMLSelectElement, '2');
    expect(save).toBeDisabled(); // the second store has no token yet
    await user.type(field('cred-token', 1), 'token-two');
    await user.click(save);
    await settle();
    const sent = backend.calls.filter((c) => c.name === 'saveCredentials').map((c) => c.args[0] as CredentialsForm);
    expect(sent).toEqual([
      {
        developerId: '106158',
        signKey: 'sign-secret',
        stores: [
          { epoiId: 'mt-1001', name: '望京店', businessId: 16, appAuthToken: 'token-one', authCode: '' },
          { epoiId: 'mt-1002', name: '', businessId: 2, appAuthToken: 'token-two', authCode: '' },
        ],
      },
    ]);
    expect(screen.getByTestId('cred-saved')).toHaveTextContent('门店已生效');
    // The engine reloaded with the stores: the desk read its stores and inbox again.
    const after = backend.calls.findIndex((c) => c.name === 'saveCredentials');
    expect(backend.calls.slice(after).map((c) => c.name)).toEqual(expect.arrayContaining(['listStores', 'inboxPage', 'appInfo']));
    expect(field('cred-sign-key').value).toBe('');
    expect(field('cred-token').value).toBe('');
    expect(field('cred-token', 1).value).toBe('');
  });

  it('adds a store by its authorisation code, and says which store’s token was refused', async () => {
    const { backend, user } = await editor();
    await user.type(field('cred-developer-id'), '106158');
    await user.type(field('cred-sign-key'), 'sign-secret');
    await user.type(field('cred-epoi-id'), 'mt-1001');
    await user.type(field('cred-token'), 'bad');
    await user.click(screen.getByTestId('cred-add-store'));
    await user.type(field('cred-epoi-id', 1), 'mt-1002');
    await user.type(field('cred-auth-code', 1), 'code-42');
    await user.click(screen.getByTestId('cred-save'));
    await settle();
    const refused = screen.getByTestId('cred-error');
    expect(refused).toHaveTextContent('门店 mt-1001 的 token 无法使用，未保存');
    expect(refused).toHaveTextContent('OP_AUTH_TOKEN_INVALID');
    expect(screen.queryByTestId('cred-saved')).toBeNull();
    // A token and a code for one store at once cannot be sent.
    await user.type(field('cred-auth-code'), 'c');
    expect(screen.getByTestId('cred-save')).toBeDisabled();
    await user.clear(field('cred-auth-code'));
    await user.clear(field('cred-token'));
    await user.type(field('cred-token'), 'good');
    await user.click(screen.getByTestId('cred-save'));
    await settle();
    expect(screen.getByTestId('cred-saved')).toBeInTheDocument();
    const sent = backend.calls.filter((c) => c.name === 'saveCredentials').map((c) => c.args[0] as CredentialsForm);
    expect(sent.at(-1)?.stores[1]).toEqual({ epoiId: 'mt-1002', name: '', businessId: 16, appAuthToken: '', authCode: 'code-42' });
    expect(field('cred-auth-code', 1).value).toBe('');
  });

  it('needs a numeric developerId', async () => {
    const { user } = await editor();
    await user.type(field('cred-developer-id'), 'abc');
    await user.type(field('cred-sign-key'), 'k');
    await user.type(field('cred-epoi-id'), 'mt-1');
    await user.type(field('cred-token'), 't');
    expect(screen.getByTestId('cred-save')).toBeDisabled();
  });
});

describe('credentials editor: importing a store list', () => {
  it('adds the stores of a CSV file without their tokens, keeping what was typed', async () => {
    const { backend, user } = await editor();
    await user.type(field('cred-epoi-id'), 'mt-1001');
    const csv = 'epoi_id,name,businessId\nmt-1001,望京店,16\nmt-2001,国贸店,2\nmt-2002,三里屯店,16\n';
    await user.upload(field('cred-import-csv'), new File([csv], 'stores.csv', { type: 'text/csv' }));
    await settle();
    expect(backend.calls.filter((c) => c.name === 'parseStoreCsv')).toHaveLength(1);
    expect(screen.getByTestId('cred-imported')).toHaveTextContent('已导入 2 家门店');
    expect(screen.getAllByTestId('cred-epoi-id').map((e) => (e as HTMLInputElement).value)).toEqual(['mt-1001', 'mt-2001', 'mt-2002']);
    expect(screen.getAllByTestId('cred-token').every((e) => (e as HTMLInputElement).value === '')).toBe(true);
    expect(screen.getByTestId('cred-save')).toBeDisabled(); // tokens still to enter
  });

  it('says which row of a bad file is wrong and changes nothing', async () => {
    const { user } = await editor();
    await user.upload(field('cred-import-csv'), new File(['mt-1,a,16\nmt-2,b,3\n'], 'bad.csv', { type: 'text/csv' }));
    await settle();
    expect(screen.getByTestId('cred-import-error')).toHaveTextContent('CSV 第 2 行有误');
    expect(screen.getByTestId('cred-import-error')).toHaveTextContent('businessId 3 is not 2 or 16');
    expect(screen.getAllByTestId('cred-epoi-id')).toHaveLength(1);
  });
});

describe('credentials editor: adding a store to those stored', () => {
  it('shows the stored stores and needs only the new store’s token', async () => {
    const { backend } = testBackend();
    backend.credentialsStored = {
      developerId: '106158',
      signKeyStored: true,
      stores: [
        { epoiId: 'mt-1001', name: '望京店', businessId: 16, tokenStored: true },
        { epoiId: 'mt-1002', name: '国贸店', businessId: 2, tokenStored: true },
      ],
    };
    const desk = new Desk(backend);
    render(WithDesk, { props: { desk, component: CredentialsEditor as unknown as Component } });
    await settle();
    const user = userEvent.setup();
    expect(field('cred-developer-id').value).toBe('106158');
    expect(screen.getAllByTestId('cred-epoi-id').map((e) => (e as HTMLInputElement).value)).toEqual(['mt-1001', 'mt-1002']);
    expect(field('cred-token').placeholder).toBe('已保存（留空则保留）');
    const save = screen.getByTestId('cred-save');
    expect(save).not.toBeDisabled(); // nothing to retype
    await user.click(screen.getByTestId('cred-add-store'));
    await user.type(field('cred-epoi-id', 2), 'mt-1003');
    expect(save).toBeDisabled(); // the new store has no token yet
    await user.type(field('cred-token', 2), 'token-three');
    await user.click(save);
    await settle();
    const sent = backend.calls.filter((c) => c.name === 'saveCredentials').map((c) => c.args[0] as CredentialsForm);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.signKey).toBe('');
    expect(sent[0]?.stores.map((s) => [s.epoiId, s.appAuthToken])).toEqual([
      ['mt-1001', ''],
      ['mt-1002', ''],
      ['mt-1003', 'token-three'],
    ]);
    expect(screen.getByTestId('cred-saved')).toBeInTheDocument();
  });
});

describe('credentials editor: the next desk', () => {
  it('exports this desk’s configuration and imports another’s, refusing one with a secret', async () => {
    const { backend, user } = await editor();
    await user.click(screen.getByTestId('cred-export-config'));
    await settle();
    expect(screen.getByTestId('cred-exported')).toHaveTextContent('imdesk-desk-config.toml');
    await user.upload(field('cred-import-config'), new File(['sign_key = "x"\n'], 'bad.toml', { type: 'text/plain' }));
    await settle();
    expect(screen.getByRole('alert')).toBeInTheDocument();
    expect(screen.queryByTestId('cred-config-imported')).toBeNull();
    await user.upload(field('cred-import-config'), new File(['developer_id = 106158\n'], 'desk.toml', { type: 'text/plain' }));
    await settle();
    expect(screen.getByTestId('cred-config-imported')).toHaveTextContent('保存后即生效');
    expect(backend.calls.filter((c) => c.name === 'importDeskConfig')).toHaveLength(2);
  });
});
