import { describe, expect, it } from 'vitest';
import { Action } from './action.svelte';

describe('Action', () => {
  it('is busy while it runs, then says what finished', async () => {
    const action = new Action<'saved'>();
    let release!: () => void;
    const running = action.run(() => new Promise<void>((r) => (release = r)), 'saved');
    expect(action.busy).toBe(true);
    expect(await action.run(async () => undefined)).toBe(false); // one at a time
    release();
    expect(await running).toBe(true);
    expect(action.busy).toBe(false);
    expect(action.done).toBe('saved');
    expect(action.error).toBeNull();
  });

  it('keeps the error, clears what finished before, and lets the next run start clean', async () => {
    const action = new Action<'saved'>();
    await action.run(async () => undefined, 'saved');
    const refused = new Error('refused');
    expect(
      await action.run(async () => {
        throw refused;
      }, 'saved'),
    ).toBe(false);
    expect(action.error).toBe(refused);
    expect(action.done).toBeNull();
    expect(await action.run(async () => undefined)).toBe(true);
    expect(action.error).toBeNull();
  });
});
