// The one wait the client's retry loops use: informer reconnects and leader-election rounds.
// It resolves (never rejects) after `ms` or as soon as `signal` aborts, so a cancelled loop
// stops at once and the caller checks the signal itself.
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
