import { describe, expect, it } from 'vitest';
import { FakeClock } from '../clock.js';
import { FakeRuntime } from '../../runtime/fake/fake-runtime.js';
import { ImageGCManager, validateImageGCPolicy, type ImageGCPolicy } from './manager.js';

const MiB = 1024 * 1024;

/** A fake runtime whose image file system holds exactly its images' bytes (capacity 100 MiB). */
function setup(policy: Partial<ImageGCPolicy> = {}) {
  const rt = new FakeRuntime();
  const clock = new FakeClock();
  const events: string[] = [];
  const capacity = 100 * MiB;
  const used = () => [...new Set(rt.images.values())].reduce((n, i) => n + i.size, 0);
  const gc = new ImageGCManager({
    images: rt,
    runtime: rt,
    clock,
    policy: { minAgeMs: 0, ...policy },
    fsStats: async () => ({ capacityBytes: capacity, availableBytes: capacity - used() }),
    onEvent: (type, reason, message) => events.push(`${type} ${reason} ${message}`),
  });
  const add = (ref: string, mib: number) => {
    const img = rt.addImage(ref, `sha256:${ref.padStart(64, '0')}`);
    img.size = mib * MiB;
    return img;
  };
  /** A pod with one container of `ref`; `running` false leaves it exited (still a user of the image). */
  const runPod = async (name: string, ref: string, running = true) => {
    const sb = await rt.runPodSandbox({ metadata: { name, uid: name, namespace: 'default', attempt: 0 } });
    const id = await rt.createContainer(sb, { metadata: { name: 'app', attempt: 0 }, image: { image: ref } }, { metadata: { name, uid: name, namespace: 'default', attempt: 0 } });
    await rt.startContainer(id);
    if (!running) rt.exitContainer(id, 0);
    return sb;
  };
  return { rt, clock, gc, events, add, runPod, used };
}

describe('ImageGCManager', () => {
  it('does nothing below the high threshold', async () => {
    const { gc, add, rt } = setup();
    add('a', 40);
    add('b', 44);
    expect(await gc.garbageCollect()).toEqual({ removed: [], freedBytes: 0, wantedBytes: 0 });
    expect(rt.images.size).toBe(2);
  });

  it('above 85% removes unused images least recently used first until at or below 80%, keeping images containers use', async () => {
    const { gc, add, rt, clock, runPod, used } = setup();
    for (const [ref, mib] of [['old', 10], ['older', 10], ['mid', 10], ['new', 10], ['running', 30], ['exited', 15]] as const) add(ref, mib);
    await gc.detectImages();
    // Use order: older, old, mid, new (each in a pod since removed); "running" and "exited" have containers.
    for (const ref of ['older', 'old', 'mid', 'new']) {
      clock.advance(1000);
      gc.recordUsed(ref);
    }
    await runPod('p1', 'running');
    await runPod('p2', 'exited', false);
    expect(used()).toBe(85 * MiB);
    const r = await gc.garbageCollect();
    // 85 MiB used, down to 80: 5 MiB wanted; "older" (least recently used) frees 10.
    expect(r.wantedBytes).toBe(5 * MiB);
    expect(r.removed).toEqual([`sha256:${'older'.padStart(64, '0')}`]);
    expect(r.freedBytes).toBe(10 * MiB);
    expect([...rt.images.keys()].sort()).toEqual(['exited', 'mid', 'new', 'old', 'running']);
  });

  it('removes several when one is not enough, and never-used images (by first detection) before used ones', async () => {
    const { gc, add, rt, clock, used } = setup();
    add('used', 30);
    add('never1', 10);
    await gc.detectImages();
    clock.advance(1000);
    add('never2', 10);
    gc.recordUsed('used');
    add('big', 45);
    gc.recordUsed('big');
    expect(used()).toBe(95 * MiB);
    const r = await gc.garbageCollect();
    // 15 MiB wanted: never1 (10), never2 (10).
    expect(r.removed.map((id) => id.replace(/^sha256:0+/, ''))).toEqual(['never1', 'never2']);
    expect([...rt.images.keys()].sort()).toEqual(['big', 'used']);
  });

  it('leaves images younger than the minimum age', async () => {
    const { gc, add, clock, events } = setup({ minAgeMs: 120_000 });
    add('a', 50);
    add('b', 40);
    await gc.detectImages();
    clock.advance(60_000);
    const r = await gc.garbageCollect();
    expect(r.removed).toEqual([]);
    expect(events).toEqual([`Warning ImageGCFailed Failed to garbage collect required amount of images. Attempted to free ${10 * MiB} bytes, but only found 0 bytes eligible to free.`]);
    clock.advance(60_000);
    expect((await gc.garbageCollect()).removed).toHaveLength(1);
  });

  it('reports ImageGCFailed when in-use images leave too little to free', async () => {
    const { gc, add, runPod, events, rt } = setup();
    add('a', 84);
    add('b', 2);
    await runPod('p', 'a');
    const r = await gc.garbageCollect();
    expect(r.removed).toEqual([`sha256:${'b'.padStart(64, '0')}`]);
    expect(events).toEqual([`Warning ImageGCFailed Failed to garbage collect required amount of images. Attempted to free ${6 * MiB} bytes, but only found ${2 * MiB} bytes eligible to free.`]);
    expect([...rt.images.keys()]).toEqual(['a']);
  });

  it('with a high threshold of 100 never runs', async () => {
    const { gc, add } = setup({ highThresholdPercent: 100 });
    add('a', 99);
    expect((await gc.garbageCollect()).removed).toEqual([]);
  });

  it('rejects bad thresholds with a clear error', () => {
    expect(() => validateImageGCPolicy({ highThresholdPercent: 70, lowThresholdPercent: 80, minAgeMs: 0 })).toThrow('--image-gc-low-threshold (80) can not be higher than --image-gc-high-threshold (70)');
    expect(() => validateImageGCPolicy({ highThresholdPercent: 101, lowThresholdPercent: 80, minAgeMs: 0 })).toThrow(/invalid --image-gc-high-threshold: 101/);
  });
});
