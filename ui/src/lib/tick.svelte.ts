/**
 * A once-a-second wall-clock reading that only re-renders countdowns. Deadlines, alerts and
 * ordering come from the core; this tick is display only (a throttled webview merely shows a
 * countdown a little late, nothing is decided by it).
 */
export class DisplayTick {
  now = $state(Date.now());

  /** Starts ticking; returns the stop function (for `$effect` cleanup). */
  start(everyMs = 1000): () => void {
    const timer = setInterval(() => (this.now = Date.now()), everyMs);
    return () => clearInterval(timer);
  }
}
