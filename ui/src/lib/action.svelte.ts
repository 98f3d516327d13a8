/**
 * One request a page makes to the core on the agent's click (save, prune, export, refresh):
 * busy while it runs (its buttons disabled), the error if it failed, and which request
 * finished last (`done`), so each page states these once instead of in every handler.
 */
export class Action<Done extends string = 'done'> {
  busy = $state(false);
  error = $state<unknown>(null);
  done = $state<Done | null>(null);

  /**
   * Runs `work` unless a request is already running; on success `done` becomes `finished`.
   * Returns whether it succeeded (the error is kept in `error`).
   */
  async run(work: () => Promise<unknown>, finished?: Done): Promise<boolean> {
    if (this.busy) return false;
    this.busy = true;
    this.error = null;
    this.done = null;
    try {
      await work();
      if (finished !== undefined) this.done = finished;
      return true;
    } catch (e) {
      this.error = e;
      return false;
    } finally {
      this.busy = false;
    }
  }
}
