import { describe, expect, it } from 'vitest';
import type { Pod } from '../api/types/core.js';
import { PodWorkers, type PodUpdate, type Timers } from './pod-workers.js';
import { makePod } from './testing/builders.js';

/** A sync function whose calls block until the test releases them. */
function gatedSync() {
  const calls: PodUpdate[] = [];
  const gates: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sync = async (u: PodUpdate) => {
    calls.push(u);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise<void>((r) => gates.push(r));
    inFlight--;
  };
  return {
    sync,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    async releaseNext() {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      gates.shift()?.();
      await new Promise((r) => setImmediate(r));
    },
  };
}

const version = (p: Pod, v: string): Pod => ({ ...p, metadata: { ...p.metadata, resourceVersion: v } });

describe('PodWorkers', () => {
  it('runs at most one sync per pod and replaces a pending update by the newest', async () => {
    const g = gatedSync();
    const w = new PodWorkers({ sync: g.sync });
    const pod = makePod();
    w.update({ type: 'sync', pod: version(pod, '1') });
    w.update({ type: 'sync', pod: version(pod, '2') });
    w.update({ type: 'sync', pod: version(pod, '3') });
    await g.releaseNext();
    await g.releaseNext();
    await w.idle();
    expect(g.calls.map((c) => c.pod.metadata.resourceVersion)).toEqual(['1', '3']);
    expect(g.maxInFlight).toBe(1);
  });

  it('runs different pods in parallel', async () => {
    const g = gatedSync();
    const w = new PodWorkers({ sync: g.sync });
    w.update({ type: 'sync', pod: makePod({}, 'a') });
    w.update({ type: 'sync', pod: makePod({}, 'b') });
    await new Promise((r) => setImmediate(r));
    expect(g.calls).toHaveLength(2);
    expect(w.isWorking('uid-a') && w.isWorking('uid-b')).toBe(true);
    await g.releaseNext();
    await g.releaseNext();
    await w.idle();
  });

  it('never overwrites a pending kill with a sync, and never syncs a pod after its kill', async () => {
    const g = gatedSync();
    const w = new PodWorkers({ sync: g.sync });
    const pod = makePod();
    w.update({ type: 'sync', pod: version(pod, '1') });
    w.update({ type: 'kill', pod: version(pod, '2') });
    w.update({ type: 'sync', pod: version(pod, '3') });
    await g.releaseNext();
    await g.releaseNext();
    w.update({ type: 'sync', pod: version(pod, '4') });
    await w.idle();
    expect(g.calls.map((c) => `${c.type}:${c.pod.metadata.resourceVersion}`)).toEqual(['sync:1', 'kill:2']);
    expect(w.isKilling('uid-web')).toBe(true);
  });

  it('a second kill keeps the shorter grace period', async () => {
    const g = gatedSync();
    const w = new PodWorkers({ sync: g.sync });
    const pod = makePod();
    w.update({ type: 'sync', pod });
    w.update({ type: 'kill', pod, gracePeriodSeconds: 30 });
    w.update({ type: 'kill', pod, gracePeriodSeconds: 0 });
    w.update({ type: 'kill', pod, gracePeriodSeconds: 10 });
    await g.releaseNext();
    await g.releaseNext();
    await w.idle();
    expect(g.calls.map((c) => c.gracePeriodSeconds)).toEqual([undefined, 0]);
  });

  it('a failing sync is reported and the worker keeps going', async () => {
    const errors: unknown[] = [];
    let n = 0;
    const w = new PodWorkers({
      sync: async () => {
        if (n++ === 0) throw new Error('boom');
      },
      onError: (_u, e) => errors.push(e),
    });
    w.update({ type: 'sync', pod: makePod() });
    await w.idle();
    w.update({ type: 'sync', pod: makePod() });
    await w.idle();
    expect(n).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it('requeues a sync after the delay it asks for, unless an update comes first', async () => {
    const scheduled: { fn: () => void; ms: number; cancelled: boolean }[] = [];
    const timers: Timers = {
      set(fn, ms) {
        const t = { fn, ms, cancelled: false };
        scheduled.push(t);
        return () => (t.cancelled = true);
      },
    };
    const calls: string[] = [];
    const w = new PodWorkers({
      sync: async (u) => {
        calls.push(u.pod.metadata.resourceVersion ?? '');
        return { requeueAfterMs: 10_000 };
      },
      timers,
    });
    const pod = makePod();
    w.update({ type: 'sync', pod: version(pod, '1') });
    await w.idle();
    expect(scheduled.map((s) => s.ms)).toEqual([10_000]);
    scheduled[0].fn();
    await w.idle();
    expect(calls).toEqual(['1', '1']);
    w.update({ type: 'sync', pod: version(pod, '2') });
    expect(scheduled[1].cancelled).toBe(true);
    await w.idle();
    expect(calls).toEqual(['1', '1', '2']);
    w.stop();
  });
});
