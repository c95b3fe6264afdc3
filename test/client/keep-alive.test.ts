// The client keeps its connections to the real API server (TLS, as `skiff up` serves) across
// every verb, DELETEs with DeleteOptions included: a TCP relay in front of the server counts
// the connections the client opens. A busy controller-manager or kubelet that reconnected per
// DELETE spent its CPU on TLS handshakes.
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { RestClient } from '../../client/rest.js';
import { startApiCluster, type ApiCluster } from '../fixtures/apiserver.js';

const ns = `keep-alive-${randomBytes(3).toString('hex')}`;
let cluster: ApiCluster;
let relay: net.Server;
let client: RestClient;
let connections = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  cluster = await startApiCluster({ tls: 'only' });
  const target = new URL(cluster.api.url);
  relay = net.createServer((down) => {
    connections++;
    const up = net.connect(Number(target.port), target.hostname);
    sockets.add(down).add(up);
    down.pipe(up).pipe(down);
    const close = () => {
      down.destroy();
      up.destroy();
    };
    down.on('error', close).on('close', close);
    up.on('error', close).on('close', close);
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  const port = (relay.address() as AddressInfo).port;
  client = new RestClient({ server: `https://127.0.0.1:${port}`, token: cluster.api.adminToken, ca: await readFile(cluster.api.caFile as string), namespace: ns });
  await client.namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  connections = 0;
}, 60_000);

afterAll(async () => {
  client?.close();
  for (const s of sockets) s.destroy();
  await new Promise((r) => relay?.close(r));
  await cluster?.stop();
});

const pod = (name: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }] } });

describe('RestClient connections', () => {
  it('creates, reads, deletes with options and reads what is gone, one after another, on one connection', async () => {
    for (let i = 0; i < 5; i++) {
      const made = await client.pods.create(pod(`p-${i}`));
      await client.pods.get(`p-${i}`);
      // DeleteOptions in the body, as the garbage collector and the kubelet send them.
      await client.pods.delete(`p-${i}`, { propagationPolicy: 'Background', preconditions: { uid: made.metadata.uid } });
      await client.pods.delete(`p-${i}`, { gracePeriodSeconds: 0 }).catch(() => undefined); // 404
    }
    expect((await client.pods.list()).items).toEqual([]);
    expect(connections).toBe(1);
  });
});
