// Events expire (kube's --event-ttl): written with an etcd lease, they vanish that long after
// their last write, and watches see them go. Other objects never expire. A `skiff apiserver`
// process with --event-ttl=2s (etcd's shortest lease) on a real etcd.
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { eventually } from '../fixtures/eventually.js';
import { client, openWatch, type Client } from './http.js';

const PREFIX = '/event-ttl';
let etcd: EtcdFixture;
let api: ApiServerFixture;
let admin: Client;
let raw: Etcd3;

beforeAll(async () => {
  etcd = await startEtcd();
  api = await startApiServer({ etcd, etcdPrefix: PREFIX, eventTTLSeconds: 2 });
  admin = client(api.url, api.adminToken);
  raw = new Etcd3({ hosts: etcd.endpoint });
});

afterAll(async () => {
  raw?.close();
  await api?.stop();
  await etcd?.stop();
});

function event(name: string, count = 1) {
  const now = new Date().toISOString();
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'p' },
    reason: 'Testing',
    message: `count ${count}`,
    type: 'Normal',
    source: { component: 'event-ttl-test' },
    firstTimestamp: now,
    lastTimestamp: now,
    count,
  };
}

const EVENTS = '/api/v1/namespaces/default/events';

describe('event TTL', () => {
  it('an event is deleted by etcd once its TTL passes, and a watch sees DELETED; a pod stays', async () => {
    const pod = await admin.post('/api/v1/namespaces/default/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'stays' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    expect(pod.status).toBe(201);
    const created = await admin.post(EVENTS, event('goes'));
    expect(created.status).toBe(201);
    const watch = await openWatch(api.url, `${EVENTS}?watch=1&resourceVersion=${created.body.metadata.resourceVersion}`, api.adminToken);
    try {
      // In etcd: the event is attached to a lease, the pod to none.
      const eventKv = (await raw.get(`${PREFIX}/events/default/goes`).exec()).kvs[0];
      const podKv = (await raw.get(`${PREFIX}/pods/default/stays`).exec()).kvs[0];
      expect(eventKv?.lease).not.toBe('0');
      expect(podKv?.lease).toBe('0');

      const [gone] = await watch.until(1, 20_000);
      expect(gone?.type).toBe('DELETED');
      expect(gone?.object.metadata.name).toBe('goes');
      expect((await admin.get(`${EVENTS}/goes`)).status).toBe(404);
      expect((await admin.get('/api/v1/namespaces/default/pods/stays')).status).toBe(200);
    } finally {
      watch.close();
    }
  });

  it('each update starts the TTL again, as kube-apiserver does for an aggregated event', async () => {
    let cur = (await admin.post(EVENTS, event('kept'))).body;
    const started = Date.now();
    // Updated every 500 ms for three TTLs: it must still be there for every update.
    for (let count = 2; Date.now() - started < 6000; count++) {
      await new Promise((r) => setTimeout(r, 500));
      const res = await admin.put(`${EVENTS}/kept`, { ...event('kept', count), metadata: cur.metadata });
      expect(res.status).toBe(200);
      cur = res.body;
    }
    // Left alone, it goes.
    await eventually(async () => (await admin.get(`${EVENTS}/kept`)).status === 404, 'the event left alone to expire', 20_000);
  });
});
