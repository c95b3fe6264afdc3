// The cache's bookkeeping of assumed pods and the per-cycle snapshot.
import { describe, expect, it } from 'vitest';
import { makeNode, makePod } from '../framework/builders.js';
import { SchedulerCache } from './cache.js';
import { Snapshot } from './snapshot.js';

function setup() {
  let now = 0;
  const cache = new SchedulerCache({ assumedTTLms: 1000, now: () => now });
  cache.addNode(makeNode({ name: 'a', cpu: '2' }));
  cache.addNode(makeNode({ name: 'b', cpu: '2' }));
  return { cache, advance: (ms: number) => (now += ms) };
}

describe('SchedulerCache', () => {
  it('counts an assumed pod against its node at once, and confirms it from the watch', () => {
    const { cache } = setup();
    const p = makePod({ name: 'p', cpu: '1500m' });
    cache.assumePod(p, 'a');
    expect(cache.nodeInfo('a')?.requested.milliCPU).toBe(1500);
    expect(cache.isAssumed(p)).toBe(true);
    cache.finishBinding(p);
    cache.addPod({ ...p, spec: { ...p.spec, nodeName: 'a' } });
    expect(cache.isAssumed(p)).toBe(false);
    expect(cache.nodeInfo('a')?.requested.milliCPU).toBe(1500);
    expect(cache.nodeInfo('a')?.pods).toHaveLength(1);
  });

  it('forgets an assumed pod whose binding failed', () => {
    const { cache } = setup();
    const p = makePod({ name: 'p', cpu: '1' });
    cache.assumePod(p, 'b');
    cache.forgetPod(p);
    expect(cache.nodeInfo('b')?.requested.milliCPU).toBe(0);
    expect(cache.podCount()).toBe(0);
  });

  it('expires an assumed pod the watch never confirmed, only after its binding finished', () => {
    const { cache, advance } = setup();
    const p = makePod({ name: 'p', cpu: '1' });
    cache.assumePod(p, 'a');
    advance(5000);
    expect(cache.cleanupExpiredAssumedPods()).toHaveLength(0);
    cache.finishBinding(p);
    advance(1001);
    expect(cache.cleanupExpiredAssumedPods().map((x) => x.metadata.name)).toEqual(['p']);
    expect(cache.nodeInfo('a')?.requested.milliCPU).toBe(0);
  });

  it('keeps a pod that arrives before its node, and frees it on delete', () => {
    const { cache } = setup();
    const p = makePod({ name: 'early', cpu: '1', nodeName: 'c' });
    cache.addPod(p);
    expect(cache.nodeCount).toBe(2);
    cache.addNode(makeNode({ name: 'c' }));
    expect(cache.nodeInfo('c')?.requested.milliCPU).toBe(1000);
    cache.removePod(p);
    expect(cache.nodeInfo('c')?.requested.milliCPU).toBe(0);
  });

  it('moves a pod the watch reports on another node than assumed', () => {
    const { cache } = setup();
    const p = makePod({ name: 'p', cpu: '1' });
    cache.assumePod(p, 'a');
    cache.addPod({ ...p, spec: { ...p.spec, nodeName: 'b' } });
    expect(cache.nodeInfo('a')?.requested.milliCPU).toBe(0);
    expect(cache.nodeInfo('b')?.requested.milliCPU).toBe(1000);
  });
});

describe('Snapshot', () => {
  it('is a stable copy: changes after the update are not seen until the next one', () => {
    const { cache } = setup();
    const snap = new Snapshot();
    cache.updateSnapshot(snap);
    expect(snap.list().map((n) => n.name)).toEqual(['a', 'b']);
    cache.assumePod(makePod({ name: 'p', cpu: '1' }), 'a');
    expect(snap.get('a')?.requested.milliCPU).toBe(0);
    cache.updateSnapshot(snap);
    expect(snap.get('a')?.requested.milliCPU).toBe(1000);
    // the list hands out the same (new) clone the map does
    expect(snap.list()[0]).toBe(snap.get('a'));
    cache.removeNode('b');
    cache.addNode(makeNode({ name: 'c', images: [{ names: ['docker.io/library/x:latest'], sizeBytes: 1 }] }));
    cache.updateSnapshot(snap);
    expect(snap.list().map((n) => n.name)).toEqual(['a', 'c']);
    expect(snap.imageNodeCount('docker.io/library/x:latest')).toBe(1);
  });
});
