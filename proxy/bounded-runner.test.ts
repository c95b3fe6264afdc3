import { describe, expect, it } from 'vitest';
import { BoundedRunner } from './bounded-runner.js';

describe('BoundedRunner', () => {
  it('runs an isolated request at once and coalesces a burst into one more run', async () => {
    let runs = 0;
    const r = new BoundedRunner(async () => {
      runs++;
    }, { minIntervalMs: 200 });
    r.run();
    await r.idle();
    expect(runs).toBe(1);
    for (let i = 0; i < 20; i++) r.run();
    await r.idle();
    expect(runs).toBe(2);
    r.stop();
  });

  it('never overlaps two runs, and retries a failed one', async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const r = new BoundedRunner(async () => {
      calls++;
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((res) => setTimeout(res, 20));
      inFlight--;
      if (calls === 1) throw new Error('iptables-restore failed');
    }, { minIntervalMs: 0, retryMs: 10 });
    r.run();
    r.run();
    await r.idle();
    expect(most).toBe(1);
    expect(calls).toBe(2);
    r.stop();
  });
});
