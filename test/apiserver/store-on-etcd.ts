// A real etcd and an EtcdStore on it for one suite: started before its tests, stopped after.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll } from 'vitest';
import { EtcdStore } from '../../apiserver/storage/etcd-store.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';

export interface StoreOnEtcd {
  etcd: EtcdFixture;
  client: Etcd3;
  store: EtcdStore;
}

/** Registers the suite's beforeAll/afterAll; the fields are set once beforeAll has run. */
export function useStoreOnEtcd(): StoreOnEtcd {
  const s = {} as StoreOnEtcd;
  beforeAll(async () => {
    s.etcd = await startEtcd();
    s.client = new Etcd3({ hosts: s.etcd.endpoint });
    s.store = new EtcdStore(s.client);
  });
  afterAll(async () => {
    s.client?.close();
    await s.etcd?.stop();
  });
  return s;
}
