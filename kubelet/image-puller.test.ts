import { describe, expect, it } from 'vitest';
import type { Container } from '../api/types/core.js';
import { RuntimeError } from '../runtime/cri.js';
import { imagePullBackoff } from './backoff.js';
import { FakeClock } from './clock.js';
import { MemoryEventRecorder } from './events.js';
import { ImagePuller, pullPolicyOf } from './image-puller.js';
import type { GetSecret } from './pull-secrets.js';
import { makePod } from './testing/builders.js';
import { FakeRuntime } from '../runtime/fake/fake-runtime.js';

function setup(getSecret?: GetSecret) {
  const clock = new FakeClock();
  const rt = new FakeRuntime(clock);
  const recorder = new MemoryEventRecorder();
  const puller = new ImagePuller({ images: rt, recorder, backoff: imagePullBackoff(clock), clock, ...(getSecret ? { getSecret } : {}) });
  return { clock, rt, recorder, puller };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const REG = '127.0.0.1:5000';
/** A dockerconfigjson Secret for REG with user:password. */
const pullSecret = (user: string, password: string) => ({ type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [REG]: { auth: b64(`${user}:${password}`) } } })) } });
/** REG as a private registry: alice's password opens it, bob is known but may not pull, anyone else gets 401. */
const privateRegistry = (_image: string, auth: { username?: string; password?: string } | undefined) => {
  if (auth?.username === 'alice' && auth.password === 'right') return undefined;
  if (auth?.username === 'bob') return new RuntimeError('PermissionDenied', `pull ${REG}/app:1: ${REG} answered 403 Forbidden: denied: requested access to the resource is denied`);
  return new RuntimeError('Unauthenticated', `pull ${REG}/app:1: ${REG} answered 401 Unauthorized: unauthorized: authentication required (${auth ? `the credentials of ${auth.username} were refused` : `no credentials for ${REG}`})`);
};

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

  describe('with image pull secrets', () => {
    const secrets: Record<string, ReturnType<typeof pullSecret>> = { wrong: pullSecret('alice', 'hunter2'), denied: pullSecret('bob', 'b'), good: pullSecret('alice', 'right') };
    const getSecret: GetSecret = async (_ns, name) => secrets[name];
    const c: Container = { name: 'app', image: `${REG}/app:1` };

    it("tries the pod's secrets in order past 401 and 403, then succeeds", async () => {
      const t = setup(getSecret);
      t.rt.pullCheck = privateRegistry;
      const out = await t.puller.ensureImage(makePod({ imagePullSecrets: [{ name: 'wrong' }, { name: 'denied' }, { name: 'good' }] }), c, false);
      expect(out.ok).toBe(true);
      expect(t.rt.callsOf('pullImage').map((call) => (call.args[1] as { username?: string } | undefined)?.username)).toEqual(['alice', 'bob', 'alice']);
      expect(t.recorder.reasons()).toEqual(['Pulling', 'Pulled']);
    });

    it("without a secret that opens the registry: ErrImagePull with the last refusal and what was tried, then ImagePullBackOff", async () => {
      const t = setup(getSecret);
      t.rt.pullCheck = privateRegistry;
      const pod = makePod({ imagePullSecrets: [{ name: 'wrong' }] });
      const out = await t.puller.ensureImage(pod, c, false);
      expect(out).toMatchObject({ ok: false, reason: 'ErrImagePull', message: `pull ${REG}/app:1: ${REG} answered 401 Unauthorized: unauthorized: authentication required (no credentials for ${REG}) (tried pull secret "wrong", then the node's credentials)` });
      // The node's turn comes last, with no credentials of the pod's.
      expect(t.rt.callsOf('pullImage').map((call) => call.args[1])).toEqual([{ username: 'alice', password: 'hunter2' }, undefined]);
      expect(JSON.stringify([out, t.recorder.events])).not.toContain('hunter2');
      expect(await t.puller.ensureImage(pod, c, false)).toMatchObject({ ok: false, reason: 'ImagePullBackOff' });
    });

    it('a missing secret is a warning and the pull goes on with the node credentials; 401 names the registry', async () => {
      const t = setup(getSecret);
      t.rt.pullCheck = privateRegistry;
      const out = await t.puller.ensureImage(makePod({ imagePullSecrets: [{ name: 'nothere' }] }), c, false);
      expect(out).toMatchObject({ ok: false, reason: 'ErrImagePull', message: `pull ${REG}/app:1: ${REG} answered 401 Unauthorized: unauthorized: authentication required (no credentials for ${REG})` });
      expect(t.recorder.events[0]).toMatchObject({ type: 'Warning', reason: 'FailedToRetrieveImagePullSecret', message: 'Unable to retrieve some image pull secrets (nothere); attempting to pull the image may not succeed.' });
      expect(t.recorder.reasons()).toEqual(['FailedToRetrieveImagePullSecret', 'Pulling', 'Failed']);
    });

    it('an error other than 401/403 ends the attempts at once', async () => {
      const t = setup(getSecret);
      t.rt.pullCheck = () => new RuntimeError('NotFound', 'manifest unknown');
      const out = await t.puller.ensureImage(makePod({ imagePullSecrets: [{ name: 'wrong' }, { name: 'good' }] }), c, false);
      expect(out).toMatchObject({ ok: false, reason: 'ErrImagePull', message: 'manifest unknown' });
      expect(t.rt.callsOf('pullImage')).toHaveLength(1);
    });

    it('secrets for other registries are not sent', async () => {
      const t = setup(getSecret);
      await t.puller.ensureImage(makePod({ imagePullSecrets: [{ name: 'good' }] }), { name: 'app', image: 'busybox:1' }, false);
      expect(t.rt.callsOf('pullImage').map((call) => call.args[1])).toEqual([undefined]);
    });
  });
});
