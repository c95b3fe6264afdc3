// A list larger than one gRPC message (4 MiB by default in the etcd client): etcd answers a
// range in one message, so an unlimited list must be read in pages at one revision, or a
// cluster of ~2,000 pods with their scheduler annotations could no longer be listed at all.
import { describe, expect, it } from 'vitest';
import { findResource, type ResourceInfo } from '../../api/resources.js';
import { useStoreOnEtcd } from './store-on-etcd.js';

const onEtcd = useStoreOnEtcd();
const events = findResource('events', '') as ResourceInfo;
const prefix = `/large-list-${process.pid}/events/default/`;

describe('an unlimited list of more than 4 MiB', () => {
  it('returns every object, at one revision', async () => {
    const note = 'x'.repeat(4096);
    const n = 1200; // 1,200 x ~4.2 KiB: about 5 MiB
    for (let i = 0; i < n; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, n - i) }, (_, j) => {
          const name = `e-${String(i + j).padStart(5, '0')}`;
          return onEtcd.store.create(`${prefix}${name}`, { apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' }, message: note } as never, { resource: events, name });
        }),
      );
    }
    const before = await onEtcd.store.currentRevision();
    const list = await onEtcd.store.list(prefix);
    expect(list.items).toHaveLength(n);
    expect(list.items.map((o) => o.metadata.name)).toEqual(Array.from({ length: n }, (_, i) => `e-${String(i).padStart(5, '0')}`));
    expect(Number(list.resourceVersion)).toBe(before);
    expect(list.continueToken).toBeUndefined();
  }, 60_000);
});
