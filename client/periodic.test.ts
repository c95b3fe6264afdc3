import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Periodic } from './periodic.js';

describe('Periodic', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('runs at once, then every period, until stopped', async () => {
    let runs = 0;
    const p = new Periodic(async () => void runs++, 1000);
    p.start();
    expect(runs).toBe(1);
    await vi.advanceTimersByTimeAsync(2500);
    expect(runs).toBe(3);
    p.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(runs).toBe(3);
  });

  it('hands failures to onError and tries again the next period', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const p = new Periodic(
      async () => {
        if (++runs === 1) throw new Error('API server away');
      },
      1000,
      (e) => errors.push(e),
    );
    p.start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
    expect(errors.map(String)).toEqual(['Error: API server away']);
    p.stop();
  });

  it('does not start a run while the last one is still going, nor a second timer on a second start', async () => {
    let runs = 0;
    let release = () => {};
    const p = new Periodic(() => {
      runs++;
      return new Promise<void>((r) => (release = r));
    }, 1000);
    p.start();
    p.start();
    await vi.advanceTimersByTimeAsync(3500);
    expect(runs).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
    p.stop();
  });
});
