// GuaranteedUpdate starting from the watch cache's copy (a "suggestion") on a real etcd: a
// stale copy must never lose a write, hide an object, or turn into a wrong 409; a stale
// copy that is really stale still gives its 409 when the caller's precondition is stale.
import { describe, expect, it } from 'vitest';
import { isApiError } from '../../api/errors.js';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import { useStoreOnEtcd } from './store-on-etcd.js';

const onEtcd = useStoreOnEtcd();
const pods = findResource('pods', '') as ResourceInfo;
const prefix = `/suggest-${process.pid}`;
let seq = 0;

type Labelled = KubeObject & { metadata: { labels?: Record<string, string> } };

async function seed(): Promise<{ key: string; stale: KubeObject; fresh: KubeObject }> {
  const name = `p-${++seq}`;
  const key = `${prefix}/pods/default/${name}`;
  const stale = await onEtcd.store.create(key, { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { v: '1' } } }, { resource: pods, name });
  const { object: fresh } = await onEtcd.store.guaranteedUpdate(key, { resource: pods, name }, (cur) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, v: '2' } } }));
  return { key, stale, fresh };
}

const ref = (o: KubeObject) => ({ resource: pods, name: o.metadata.name ?? '' });
const addLabel = (k: string) => (cur: KubeObject) => ({ ...cur, metadata: { ...cur.metadata, labels: { ...cur.metadata.labels, [k]: 'x' } } });

describe('guaranteedUpdate from a suggestion', () => {
  it('a stale suggestion keeps the newer write (the txn compare catches it)', async () => {
    const { key, stale, fresh } = await seed();
    const { object } = await onEtcd.store.guaranteedUpdate(key, ref(stale), addLabel('added'), { suggestion: stale });
    expect((object as Labelled).metadata.labels).toEqual({ v: '2', added: 'x' });
    expect(Number(object.metadata.resourceVersion)).toBeGreaterThan(Number(fresh.metadata.resourceVersion));
  });

  it('a precondition on the current version holds although the suggestion is older', async () => {
    const { key, stale, fresh } = await seed();
    const { object } = await onEtcd.store.guaranteedUpdate(key, ref(stale), addLabel('pre'), { suggestion: stale, expectedRV: fresh.metadata.resourceVersion });
    expect((object as Labelled).metadata.labels?.pre).toBe('x');
  });

  it('a precondition on an old version is still a 409 Conflict', async () => {
    const { key, stale } = await seed();
    const err = await onEtcd.store.guaranteedUpdate(key, ref(stale), addLabel('no'), { suggestion: stale, expectedRV: stale.metadata.resourceVersion }).catch((e: unknown) => e);
    expect(isApiError(err, 'Conflict'), String(err)).toBe(true);
  });

  it('an update that refuses the stale copy is retried on the stored one', async () => {
    const { key, stale } = await seed();
    const onlyOnV2 = (cur: KubeObject) => {
      if ((cur as Labelled).metadata.labels?.v !== '2') throw new Error('refused the stale copy');
      return addLabel('checked')(cur);
    };
    const { object } = await onEtcd.store.guaranteedUpdate(key, ref(stale), onlyOnV2, { suggestion: stale });
    expect((object as Labelled).metadata.labels?.checked).toBe('x');
  });

  it('an update that refuses the stored object fails with its own error', async () => {
    const { key, fresh } = await seed();
    const err = await onEtcd.store
      .guaranteedUpdate(key, ref(fresh), () => {
        throw new Error('always refused');
      }, { suggestion: fresh })
      .catch((e: unknown) => e);
    expect((err as Error).message).toBe('always refused');
  });

  it('a no-op against a stale suggestion is checked and written against the stored object', async () => {
    const { key, stale } = await seed();
    // Setting v=1 is a no-op for the stale copy but not for the stored v=2.
    const setV1 = (cur: KubeObject) => ({ ...cur, metadata: { ...cur.metadata, labels: { v: '1' } } });
    const { object } = await onEtcd.store.guaranteedUpdate(key, ref(stale), setV1, { suggestion: stale });
    expect((object as Labelled).metadata.labels).toEqual({ v: '1' });
    const stored = await onEtcd.store.get(key);
    expect((stored as Labelled).metadata.labels).toEqual({ v: '1' });
  });

  it('a suggestion for a deleted object answers 404; a missing suggestion reads etcd', async () => {
    const { key, stale, fresh } = await seed();
    await onEtcd.client.delete().key(key);
    const gone = await onEtcd.store.guaranteedUpdate(key, ref(stale), addLabel('x'), { suggestion: fresh }).catch((e: unknown) => e);
    expect(isApiError(gone, 'NotFound'), String(gone)).toBe(true);
    const other = await seed();
    const { object } = await onEtcd.store.guaranteedUpdate(other.key, ref(other.stale), addLabel('read'), { suggestion: undefined });
    expect((object as Labelled).metadata.labels?.read).toBe('x');
  });
});
