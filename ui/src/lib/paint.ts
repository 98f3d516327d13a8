/**
 * Resolves once the next frame is on screen: two animation frames, since the first may still
 * be in flight when its callback runs. Without animation frames (tests), at once.
 */
export function afterNextPaint(): Promise<void> {
  if (typeof requestAnimationFrame !== 'function') return Promise.resolve();
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}
