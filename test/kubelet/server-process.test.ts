// `skiff apiserver` and `skiff kubelet` as processes, wired by their flags the way
// `skiff up` wires them (--kubelet-client-certificate/-key on one side, --client-ca-file,
// --kubelet-port 0 and a serving certificate on the other): the Node advertises the
// port the kubelet got, a pod's log comes through, and the node's images are pulled (with
// progress lines), listed, removed by reference and pruned through nodes/proxy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { buildBusyboxImage, pushImage } from '../fixtures/images.js';
import { eventually } from './harness.js';
import { startProcessNode, type ProcessNode } from './process-node.js';

let n: ProcessNode;
let spare = '';

beforeAll(async () => {
  // The API server as `skiff apiserver`, calling the kubelet with the token from its flags.
  n = await startProcessNode({ prefix: 'ks', cidrSecondOctet: 91, kubeletServer: true, apiInProcess: false });
  const { reg, store } = n.cp;
  if (!reg || !store) throw new Error('the control plane has no registry');
  await pushImage(reg.host, 'spare:1', store, await buildBusyboxImage(store, { config: { Cmd: ['true'] } }), reg.auth);
  spare = `${reg.host}/spare:1`;
}, 120_000);

afterAll(async () => {
  await n?.teardown();
}, 180_000);

function call(p: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${n.cp.api.url}${p}`, { ...init, headers: { authorization: `Bearer ${n.cp.api.adminToken}` } });
}

async function imageTags(): Promise<string[]> {
  const res = await call(`/api/v1/nodes/${n.node}/proxy/images`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { images: { repoTags: string[] }[] }).images.flatMap((i) => i.repoTags);
}

describe('skiff kubelet and skiff apiserver wired by flags', () => {
  it('advertises the port it got and streams a pod log through the API server', async () => {
    const nodeObj = await eventually(async () => n.admin.nodes.get(n.node).catch(() => undefined), `node ${n.node} registered (${n.kubelet.output().slice(-2000)})`, 60_000);
    const port = nodeObj.status?.daemonEndpoints?.kubeletEndpoint?.Port ?? 0;
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(10250);
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hello', namespace: n.ns }, spec: { nodeName: n.node, terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image: n.image, command: ['sh', '-c', 'echo hello from $(hostname); exec sleep 3600'] }] } };
    await n.admin.pods.create(pod, { namespace: n.ns });
    const text = await eventually(async () => {
      const res = await call(`/api/v1/namespaces/${n.ns}/pods/hello/log`);
      const t = await res.text();
      return res.status === 200 && t.length > 0 ? t : undefined;
    }, 'the pod log', 60_000);
    expect(text).toBe('hello from hello\n');
  }, 90_000);

  it('pulls with progress, lists, removes by reference and prunes images through nodes/proxy', async () => {
    expect(await imageTags()).not.toContain(spare);
    const pull = await call(`/api/v1/nodes/${n.node}/proxy/images/pull?image=${encodeURIComponent(spare)}`, { method: 'POST' });
    expect(pull.status).toBe(200);
    expect(pull.headers.get('content-type')).toBe('application/x-ndjson');
    const events = (await pull.text()).trim().split('\n').map((l) => JSON.parse(l) as { progress?: { kind: string; status: string }; image?: string; done?: boolean; error?: string });
    expect(events.some((e) => e.progress?.kind === 'layer')).toBe(true);
    const last = events[events.length - 1];
    expect(last).toMatchObject({ done: true });
    expect(last.image).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await imageTags()).toContain(spare);

    const rm = await call(`/api/v1/nodes/${n.node}/proxy/images/${encodeURIComponent(spare)}`, { method: 'DELETE' });
    expect(rm.status).toBe(200);
    expect(await rm.json()).toEqual({ deleted: spare });
    expect(await imageTags()).not.toContain(spare);
    const again = await call(`/api/v1/nodes/${n.node}/proxy/images/${encodeURIComponent(spare)}`, { method: 'DELETE' });
    expect(again.status).toBe(404);

    const prune = await call(`/api/v1/nodes/${n.node}/proxy/images/prune`, { method: 'POST' });
    expect(prune.status).toBe(200);
    const freed = (await prune.json()) as { imagesDeleted: string[]; spaceReclaimed: number };
    expect(Array.isArray(freed.imagesDeleted)).toBe(true);
    // The running pod's image stays.
    expect(await imageTags()).toContain(n.image);
  }, 90_000);
});
