// The store's half of key rotation on a real etcd: a read-modify-write that changes nothing
// still writes a value read with a provider that no longer writes (an old key, or plaintext
// while encryption is first; or a ciphertext while identity is first, which is how Kubernetes
// decrypts everything), and only then. No watch cache here: the value comes from etcd.
import { randomBytes } from 'node:crypto';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResource } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import { identity, secretbox, type ValueProvider } from '../../apiserver/storage/encryption/providers.js';
import { PrefixTransformer } from '../../apiserver/storage/encryption/transformer.js';
import { EtcdStore } from '../../apiserver/storage/etcd-store.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';

const PREFIX = '/store-enc/leases/';
const leases = findResource('leases', 'coordination.k8s.io');
const key1 = secretbox('key1', randomBytes(32));
const key2 = secretbox('key2', randomBytes(32));

let etcd: EtcdFixture;
let client: Etcd3;

beforeAll(async () => {
  etcd = await startEtcd();
  client = new Etcd3({ hosts: etcd.endpoint });
});
afterAll(async () => {
  client?.close();
  await etcd?.stop();
});

function storeWith(...providers: ValueProvider[]): EtcdStore {
  return new EtcdStore(client, { groupCommit: false, transformed: [{ prefix: PREFIX, transformer: new PrefixTransformer(providers) }] });
}

function lease(name: string): KubeObject {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { holderIdentity: 'h' } } as KubeObject;
}

async function stored(key: string): Promise<string> {
  return ((await client.get(key).buffer()) as Buffer).subarray(0, 26).toString('latin1');
}

/** An update that changes nothing, from etcd (no suggestion): the resourceVersion it answers. */
async function unchanged(store: EtcdStore, key: string, name: string): Promise<string> {
  const { object } = await store.guaranteedUpdate(key, { resource: leases!, name }, (cur) => cur);
  return object.metadata.resourceVersion as string;
}

describe('stale values under rotation', () => {
  it('rewrites a value read with an older key once, then leaves it', async () => {
    const key = `${PREFIX}default/rotated`;
    const created = await storeWith(key1).create(key, lease('rotated'), { resource: leases!, name: 'rotated' });
    expect(await stored(key)).toBe('k8s:enc:secretbox:v1:key1:');
    const rotated = storeWith(key2, key1);
    const rv = await unchanged(rotated, key, 'rotated');
    expect(rv).not.toBe(created.metadata.resourceVersion);
    expect(await stored(key)).toBe('k8s:enc:secretbox:v1:key2:');
    expect(await unchanged(rotated, key, 'rotated')).toBe(rv);
  });

  it('encrypts a plaintext value when encryption comes first, and decrypts every value when identity does', async () => {
    const key = `${PREFIX}default/plain`;
    await new EtcdStore(client, { groupCommit: false }).create(key, lease('plain'), { resource: leases!, name: 'plain' });
    expect(await stored(key)).toMatch(/^\{/);
    await unchanged(storeWith(key1, identity), key, 'plain');
    expect(await stored(key)).toBe('k8s:enc:secretbox:v1:key1:');
    const decrypting = storeWith(identity, key1);
    const rv = await unchanged(decrypting, key, 'plain');
    expect(await stored(key)).toBe('{"apiVersion":"coordinatio');
    expect(await unchanged(decrypting, key, 'plain')).toBe(rv);
  });

  it('believes a stale suggestion from the watch cache and writes', async () => {
    const key = `${PREFIX}default/suggested`;
    const created = await storeWith(key1).create(key, lease('suggested'), { resource: leases!, name: 'suggested' });
    const rotated = storeWith(key2, key1);
    const { object } = await rotated.guaranteedUpdate(key, { resource: leases!, name: 'suggested' }, (cur) => cur, {
      suggestion: { stored: JSON.stringify({ ...created, metadata: { ...created.metadata, resourceVersion: undefined } }), rev: created.metadata.resourceVersion as string, stale: true },
    });
    expect(object.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    expect(await stored(key)).toBe('k8s:enc:secretbox:v1:key2:');
  });
});
