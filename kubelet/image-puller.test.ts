import { describe, expect, it } from 'vitest';
import type { Container } from '../api/types/core.js';
import { RuntimeError } from '../runtime/cri.js';
import { imagePullBackoff } from './backoff.js';
import { FakeClock } from './clock.js';
import { MemoryEventRecorder } from './events.js';
import { ImagePuller, pullPolicyOf } from './image-puller.js';
import { makePod } from './testing/builders.js';
import { FakeRuntime } from '../runtime/fake/fake-runtime.js';

function setup() {
  const clock = new FakeClock();
  const rt = new FakeRuntime(clock);
  const recorder = new MemoryEventRecorder();
  const puller = new ImagePuller({ images: rt, recorder, backoff: imagePullBackoff(clock), clock });
  return { clock, rt, recorder, puller };
}

describe('pullPolicyOf', () => {
  it.each([
    ['busybox', 'Always'],
    ['busybox:latest', 'Always'],
    ['busybox:1.36', 'IfNotPresent'],
    ['127.0.0.1:5000/app', 'Always'],
    ['127.0.0.1:5000/app:v1', 'IfNotPresent'],
    [`busybox@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
  ])('%s -> %s', (image, want) => expect(pullPolicyOf({ name: 'c', image })).toBe(want));
});

describe('ImagePuller', () => {
  it('IfNotPresent with the image present: no pull, "already present" event', async () => {
    const t = setup();
    const img = t.rt.addImage('busybox:1.36');
    const out = await t.puller.ensureImage(makePod(), { name: 'app', image: 'busybox:1.36' }, false);
    expect(out).toEqual({ ok: true, imageRef: img.id });
    expect(t.rt.callsOf('pullImage')).toHaveLength(0);
    expect(t.recorder.events[0]).toMatchObject({ reason: 'Pulled', message: 'Container image "busybox:1.36" already present on machine' });
  });

  it('Always pulls even when present, with Pulling and Pulled (duration, size) events', async () => {
    const t = setup();
    t.rt.addImage('busybox:1.36');
    const out = await t.puller.ensureImage(makePod(), { name: 'app', image: 'busybox:1.36', imagePullPolicy: 'Always' }, false);
    expect(out.ok).toBe(true);
    expect(t.rt.callsOf('pullImage')).toHaveLength(1);
    expect(t.recorder.reasons()).toEqual(['Pulling', 'Pulled']);
    expect(t.recorder.events[1].message).toBe('Successfully pulled image "busybox:1.36" in 0s. Image size: 1234 bytes.');
  });

  it('Never with the image missing: ErrImageNeverPull', async () => {
    const t = setup();
    const c: Container = { name: 'app', image: 'nope:1', imagePullPolicy: 'Never' };
    expect(await t.puller.ensureImage(makePod(), c, false)).toEqual({
      ok: false,
      reason: 'ErrImageNeverPull',
      message: 'Container image "nope:1" is not present with pull policy of Never',
    });
  });

  it('a failing pull gives ErrImagePull with the registry message, then ImagePullBackOff until the delay passes, doubling', async () => {
    const t = setup();
    t.rt.pullErrors.set('missing:1', new RuntimeError('NotFound', 'manifest unknown: manifest unknown'));
    const c: Container = { name: 'app', image: 'missing:1' };
    const pod = makePod();
    expect(await t.puller.ensureImage(pod, c, false)).toEqual({ ok: false, reason: 'ErrImagePull', message: 'manifest unknown: manifest unknown', retryAfterMs: 10_000 });
    t.clock.advance(5_000);
    expect(await t.puller.ensureImage(pod, c, false)).toMatchObject({ ok: false, reason: 'ImagePullBackOff', message: 'Back-off pulling image "missing:1"' });
    expect(t.rt.callsOf('pullImage')).toHaveLength(1);
    t.clock.advance(5_000);
    expect(await t.puller.ensureImage(pod, c, false)).toMatchObject({ reason: 'ErrImagePull', retryAfterMs: 20_000 });
    expect(t.rt.callsOf('pullImage')).toHaveLength(2);
    expect(t.recorder.reasons()).toEqual(['Pulling', 'Failed', 'BackOff', 'Pulling', 'Failed']);
    expect(t.recorder.events[1].message).toBe('Failed to pull image "missing:1": manifest unknown: manifest unknown');
  });
});
