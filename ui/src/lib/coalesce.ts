/**
 * Wraps an async refresh so that calls arriving while one runs collapse into a single
 * follow-up run: a burst of 1,000 change events costs two fetches, not 1,000.
 */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  const loop = async () => {
    do {
      again = false;
      await run();
    } while (again);
    running = null;
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = loop();
    return running;
  };
}
