import { describe, expect, it } from 'vitest';
import { crashLoopBackoff, imagePullBackoff } from './backoff.js';
import { FakeClock } from './clock.js';

describe('Backoff', () => {
  it('starts at 10 s and doubles up to 300 s', () => {
    const clock = new FakeClock();
    const b = crashLoopBackoff(clock);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(b.next('pod/app'));
      clock.advance(b.get('pod/app'));
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it('is in backoff until the delay has passed since the failure', () => {
    const clock = new FakeClock();
    const b = crashLoopBackoff(clock);
    const failedAt = clock.now();
    b.next('k', failedAt);
    clock.advance(9_999);
    expect(b.isInBackOffSince('k', failedAt)).toBe(true);
    clock.advance(1);
    expect(b.isInBackOffSince('k', failedAt)).toBe(false);
  });

  it('starts over after 10 minutes without failure (twice the cap)', () => {
    const clock = new FakeClock();
    const b = crashLoopBackoff(clock);
    b.next('k');
    b.next('k');
    expect(b.get('k')).toBe(20_000);
    clock.advance(600_001);
    expect(b.isInBackOffSince('k', clock.now() - 1)).toBe(false);
    expect(b.next('k')).toBe(10_000);
  });

  it('does not reset within 10 minutes', () => {
    const clock = new FakeClock();
    const b = crashLoopBackoff(clock);
    b.next('k');
    clock.advance(599_000);
    expect(b.next('k')).toBe(20_000);
  });

  it('keeps keys apart and forgets a pod by prefix', () => {
    const b = imagePullBackoff(new FakeClock());
    b.next('uid1/a');
    b.next('uid1/a');
    b.next('uid2/a');
    expect(b.get('uid1/a')).toBe(20_000);
    expect(b.get('uid2/a')).toBe(10_000);
    b.forgetPrefix('uid1/');
    expect(b.get('uid1/a')).toBe(0);
    expect(b.get('uid2/a')).toBe(10_000);
  });

  it('gc drops expired entries only', () => {
    const clock = new FakeClock();
    const b = imagePullBackoff(clock);
    b.next('old');
    clock.advance(500_000);
    b.next('new');
    clock.advance(200_000);
    b.gc();
    expect(b.get('old')).toBe(0);
    expect(b.get('new')).toBe(10_000);
  });
});
