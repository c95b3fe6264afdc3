// The queue with a fake clock: order, backoff, and when unschedulable pods come back.
import { describe, expect, it } from 'vitest';
import { makePod } from '../framework/builders.js';
import { SchedulingQueue } from './scheduling-queue.js';

function setup() {
  let now = 1_000_000;
  const q = new SchedulingQueue({ now: () => now, initialBackoffMs: 1000, maxBackoffMs: 10_000, maxInUnschedulableMs: 60_000 });
  return { q, advance: (ms: number) => (now += ms) };
}

describe('SchedulingQueue order', () => {
  it('pops by priority, then by age', async () => {
    const { q, advance } = setup();
    const add = (name: string, priority?: number) => {
      q.add(makePod({ name, priority }));
      advance(1);
    };
    add('old-low', 0);
    add('high', 100);
    add('new-low', 0);
    add('mid', 50);
    add('high-later', 100);
    const order: string[] = [];
    for (let i = 0; i < 5; i++) order.push((await q.pop())?.pod.metadata.name ?? '');
    expect(order).toEqual(['high', 'high-later', 'mid', 'old-low', 'new-low']);
  });

  it('waits in pop until a pod arrives, and stops on close or abort', async () => {
    const { q } = setup();
    const popped = q.pop();
    q.add(makePod({ name: 'late' }));
    expect((await popped)?.pod.metadata.name).toBe('late');
    const ac = new AbortController();
    const waiting = q.pop(ac.signal);
    ac.abort();
    expect(await waiting).toBeUndefined();
    const waiting2 = q.pop();
    q.close();
    expect(await waiting2).toBeUndefined();
  });

  it('applies updates to waiting pods and forgets deleted ones', async () => {
    const { q } = setup();
    const p = makePod({ name: 'p', priority: 1 });
    q.add(p);
    q.add(makePod({ name: 'other', priority: 5 }));
    q.update({ ...p, spec: { ...p.spec, priority: 10 } });
    expect((await q.pop())?.pod.metadata.name).toBe('p');
    q.delete(makePod({ name: 'other' }));
    expect(q.lengths().active).toBe(0);
  });
});

describe('SchedulingQueue backoff', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [9, 10_000],
  ])('attempt %i backs off %i ms', (attempts, ms) => {
    const { q } = setup();
    expect(q.backoffDuration({ attempts } as never)).toBe(ms);
  });

  it('retries an errored pod only after its backoff', async () => {
    const { q, advance } = setup();
    q.add(makePod({ name: 'p' }));
    const first = (await q.pop())!;
    q.requeueWithBackoff(first);
    expect(q.whereIs(first.pod)).toBe('backoff');
    advance(999);
    expect(q.flushBackoffCompleted()).toBe(0);
    advance(1);
    expect(q.flushBackoffCompleted()).toBe(1);
    const second = (await q.pop())!;
    expect(second.attempts).toBe(2);
    q.requeueWithBackoff(second);
    advance(1999);
    expect(q.flushBackoffCompleted()).toBe(0);
    advance(1);
    expect(q.flushBackoffCompleted()).toBe(1);
  });
});

describe('SchedulingQueue unschedulable pods', () => {
  it('park until a cluster event moves them (to backoff while still backing off)', async () => {
    const { q, advance } = setup();
    q.add(makePod({ name: 'p' }));
    const qpi = (await q.pop())!;
    q.addUnschedulableIfNotPresent(qpi, q.schedulingCycle, ['NodeResourcesFit']);
    expect(q.whereIs(qpi.pod)).toBe('unschedulable');
    advance(10_000);
    expect(q.flushBackoffCompleted()).toBe(0);
    expect(q.whereIs(qpi.pod)).toBe('unschedulable');
    q.moveAllToActiveOrBackoff('NodeAdd');
    expect(q.whereIs(qpi.pod)).toBe('active');

    const again = (await q.pop())!;
    q.addUnschedulableIfNotPresent(again, q.schedulingCycle);
    q.moveAllToActiveOrBackoff('NodeUpdate');
    expect(q.whereIs(again.pod)).toBe('backoff');
  });

  it('go to backoff when an event arrived while they were being scheduled', async () => {
    const { q } = setup();
    q.add(makePod({ name: 'p' }));
    const qpi = (await q.pop())!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff('PodDelete');
    q.addUnschedulableIfNotPresent(qpi, cycle);
    expect(q.whereIs(qpi.pod)).toBe('backoff');
  });

  it('come back when their spec changes, or after the leftover timeout', async () => {
    const { q, advance } = setup();
    q.add(makePod({ name: 'a' }));
    q.add(makePod({ name: 'b' }));
    const a = (await q.pop())!;
    const b = (await q.pop())!;
    q.addUnschedulableIfNotPresent(a, q.schedulingCycle);
    q.addUnschedulableIfNotPresent(b, q.schedulingCycle);
    advance(2000);
    q.update({ ...a.pod, spec: { ...a.pod.spec, nodeSelector: { x: 'y' } } });
    expect(q.whereIs(a.pod)).toBe('active');
    expect(q.whereIs(b.pod)).toBe('unschedulable');
    advance(60_001);
    expect(q.flushUnschedulableLeftover()).toBe(1);
    expect(q.whereIs(b.pod)).toBe('active');
  });

  it('drops a pod deleted while in flight', async () => {
    const { q } = setup();
    const p = makePod({ name: 'p' });
    q.add(p);
    const qpi = (await q.pop())!;
    q.delete(p);
    q.addUnschedulableIfNotPresent(qpi, q.schedulingCycle);
    expect(q.whereIs(p)).toBeUndefined();
  });
});
