// Image pull secrets end to end: a real kubelet and runtime pulling from a private registry
// (docker-registry with htpasswd auth on TLS, its CA trusted by the node, no credentials on
// the node). A pod whose spec.imagePullSecrets names a dockerconfigjson Secret with the
// registry's credentials runs; without it, or with a wrong password, the pod waits in
// ErrImagePull naming the registry and 401, then ImagePullBackOff. The Secrets are real ones in
// the API server, which the kubelet reads with its node token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import type { Secret } from '../../api/types/core.js';
import { startNodeCluster, type NodeCluster, type PrivateRegistry } from './harness.js';

let c: NodeCluster;
let priv: PrivateRegistry;

const b64 = (s: string) => Buffer.from(s).toString('base64');
function dockerConfigSecret(name: string, host: string, username: string, password: string): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: c.ns }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths: { [host]: { auth: b64(`${username}:${password}`) } } })) } };
}

beforeAll(async () => {
  c = await startNodeCluster({ privateRegistry: true });
  if (!c.privateRegistry) throw new Error('no private registry');
  priv = c.privateRegistry;
  const secrets = c.admin.resourceByName<Secret>('secrets', '');
  await secrets.create(dockerConfigSecret('regcred', priv.reg.host, priv.creds.username, priv.creds.password), { namespace: c.ns });
  await secrets.create(dockerConfigSecret('wrongcred', priv.reg.host, priv.creds.username, 'hunter2-not-it'), { namespace: c.ns });
}, 120_000);

afterAll(async () => {
  await c?.teardown();
}, 180_000);

/** A pod of the private image, pulled every time (an image already on the node would need no credentials: IfNotPresent). */
function pod(name: string, pullSecrets: string[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: c.node, terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: priv.image, imagePullPolicy: 'Always' }], ...(pullSecrets.length ? { imagePullSecrets: pullSecrets.map((n) => ({ name: n })) } : {}) },
  };
}

const waiting = (p: Pod) => p.status?.containerStatuses?.[0]?.state?.waiting;

describe('image pull secrets', () => {
  it('without a secret: ErrImagePull naming the registry and 401, then ImagePullBackOff', async () => {
    await c.createPod(pod('nosecret', []));
    const p = await c.waitPod('nosecret', (x) => waiting(x)?.reason === 'ErrImagePull', 'ErrImagePull', 60_000);
    expect(waiting(p)?.message).toBe(`pull ${priv.image}: ${priv.reg.host} answered 401 Unauthorized: unauthorized: authentication required (no credentials for ${priv.reg.host})`);
    await c.waitPod('nosecret', (x) => waiting(x)?.reason === 'ImagePullBackOff', 'ImagePullBackOff', 60_000);
  });

  it('with a wrong password first and the right secret after: tries them in order and runs', async () => {
    await c.createPod(pod('withsecret', ['wrongcred', 'regcred']));
    const p = await c.waitPod('withsecret', (x) => x.status?.phase === 'Running', 'Running', 60_000);
    expect(p.spec?.imagePullSecrets).toEqual([{ name: 'wrongcred' }, { name: 'regcred' }]);
    expect(p.status?.containerStatuses?.[0]?.imageID).toContain('sha256:');
  });

  it('with only a wrong password: ErrImagePull naming 401 and what was tried, never the password', async () => {
    await c.createPod(pod('wrongsecret', ['wrongcred', 'missing']));
    const p = await c.waitPod('wrongsecret', (x) => waiting(x)?.reason === 'ErrImagePull' || waiting(x)?.reason === 'ImagePullBackOff', 'ErrImagePull', 60_000);
    const events = await c.admin.events.list({ namespace: c.ns });
    const mine = events.items.filter((e) => e.involvedObject?.name === 'wrongsecret');
    const failed = mine.find((e) => e.reason === 'Failed');
    expect(failed?.message).toMatch(new RegExp(`answered 401 Unauthorized: .*\\(tried pull secret "wrongcred", then the node's credentials\\)$`));
    expect(mine.find((e) => e.reason === 'FailedToRetrieveImagePullSecret')?.message).toBe('Unable to retrieve some image pull secrets (missing); attempting to pull the image may not succeed.');
    expect(JSON.stringify([p, events])).not.toContain('hunter2');
  });
});
