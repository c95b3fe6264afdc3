// metrics.k8s.io/v1beta1 served by the API server itself from the kubelets' Summary API, on the
// real parts (etcd, the API server over HTTPS, a kubelet with its HTTPS server, real
// containers) and the real kubectl: `kubectl top node|pod` (--containers, -l, a missing pod,
// kubectl 1.27 and 1.30 too), the objects as metrics-server shapes them, selectors, a node
// whose kubelet does not answer left out, and who may read them (401, 403).
import crypto from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Container, Node, Pod } from '../../api/types/core.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { kubectlBinary, runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { freePort } from '../fixtures/ports.js';
import { haveTool } from '../fixtures/tools.js';
import { eventually, nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;
let dir = '';
const kubeconfigs = { admin: '', node: '', bad: '' };
const as = (who: keyof typeof kubeconfigs, version = '1.33'): KubectlOn => ({ kubeconfig: kubeconfigs[who], namespace: c.ns, version });

const M = '/apis/metrics.k8s.io/v1beta1';

/** GET as the admin, or with `token` ('' for none). */
function api(p: string, token = c.adminToken): Promise<Response> {
  return fetch(`${c.apiUrl}${p}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function json(p: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await api(p);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function kubectl(k: KubectlOn, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await runKubectl(k, args);
  return { code: r.code, out: r.stdout.toString(), err: r.stderr };
}

/** The lines of a table kubectl printed, split into cells. */
const rows = (out: string) => out.trimEnd().split('\n').map((l) => l.trim().split(/\s+/));
const milli = (cell: string | undefined) => Number(/^(\d+)m$/.exec(cell ?? '')?.[1] ?? NaN);
const mebi = (cell: string | undefined) => Number(/^(\d+)Mi$/.exec(cell ?? '')?.[1] ?? NaN);

const sh = (name: string, script: string): Container => ({ name, image: c.image, command: ['sh', '-c', script] });

function pod(name: string, labels: Record<string, string>, containers: Container[]): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName: c.node, terminationGracePeriodSeconds: 1, containers } };
}

nodeClusterPerFile({ kubeletServer: true }, async (started) => {
  c = started;
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-metrics-'));
  const https = c.apiHttps;
  if (!https) throw new Error('no HTTPS API server');
  const ca = await readFile(https.caFile);
  const tokens = { admin: c.adminToken, node: c.controlPlane.api.nodeToken(c.node), bad: crypto.randomBytes(16).toString('hex') };
  for (const who of Object.keys(kubeconfigs) as (keyof typeof kubeconfigs)[]) {
    kubeconfigs[who] = path.join(dir, `kubeconfig-${who}`);
    await writeKubeconfig(kubeconfigs[who], buildKubeconfig({ server: https.url, ca, token: tokens[who], name: who }));
  }
  // One pod keeps a core busy; the other holds 16 MB in a shell variable beside an idle container.
  await c.createPod(pod('burner', { app: 'burner' }, [sh('burn', 'while :; do :; done')]));
  await c.createPod(pod('holder', { app: 'holder' }, [sh('alloc', "x=$(head -c 16000000 /dev/zero | tr '\\0' a); while :; do sleep 1; done"), sh('idle', 'exec sleep 3600')]));
  for (const name of ['burner', 'holder']) await c.waitPod(name, (p) => p.status?.phase === 'Running', 'Running', 90_000);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('discovery', () => {
  it('lists metrics.k8s.io/v1beta1 with nodes (cluster-wide) and pods (namespaced), get and list', async () => {
    const groups = await json('/apis');
    const group = (groups.body.groups as { name: string; preferredVersion: { groupVersion: string } }[]).find((g) => g.name === 'metrics.k8s.io');
    expect(group?.preferredVersion.groupVersion).toBe('metrics.k8s.io/v1beta1');
    const list = await json(M);
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'metrics.k8s.io/v1beta1' });
    expect(list.body.resources).toEqual([
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ]);
  });
});

describe('the objects, as metrics-server returns them', () => {
  it('NodeMetrics: the node with its labels, a timestamp, a window and its usage; a list of them', async () => {
    const node = await c.admin.nodes.get(c.node);
    const got = await eventually(async () => {
      const r = await json(`${M}/nodes/${c.node}`);
      return r.status === 200 && r.body;
    }, 'node metrics');
    expect(Object.keys(got)).toEqual(['kind', 'apiVersion', 'metadata', 'timestamp', 'window', 'usage']);
    expect(got).toMatchObject({ kind: 'NodeMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: c.node, labels: node.metadata.labels } });
    const m = got as { metadata: { creationTimestamp: string }; timestamp: string; window: string; usage: { cpu: string; memory: string } };
    expect(m.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(m.window).toMatch(/^(\d+h)?(\d+m)?\d+(\.\d+)?m?s$/);
    // CPU in nanocores canonicalized ("123456n", "1500m", "2"); memory in BinarySI ("1234Ki").
    expect(m.usage.cpu).toMatch(/^\d+[num]?$/);
    expect(m.usage.memory).toMatch(/^\d+(Ki|Mi|Gi)?$/);
    const list = await json(`${M}/nodes`);
    expect(list.body).toMatchObject({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {} });
    const items = list.body.items as Record<string, unknown>[];
    expect(items.map((i) => (i.metadata as { name: string }).name)).toEqual([c.node]);
    expect(items[0]).not.toHaveProperty('kind');
  });

  it('PodMetrics: the pod with namespace and labels, and a usage per container', async () => {
    const got = await eventually(async () => {
      const r = await json(`${M}/namespaces/${c.ns}/pods/holder`);
      return r.status === 200 && r.body;
    }, 'pod metrics');
    expect(Object.keys(got)).toEqual(['kind', 'apiVersion', 'metadata', 'timestamp', 'window', 'containers']);
    expect(got).toMatchObject({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'holder', namespace: c.ns, labels: { app: 'holder' } } });
    const containers = got.containers as { name: string; usage: { cpu: string; memory: string } }[];
    expect(containers.map((x) => x.name)).toEqual(['alloc', 'idle']);
    for (const x of containers) expect(Object.keys(x.usage)).toEqual(['cpu', 'memory']);
    const list = await json(`${M}/namespaces/${c.ns}/pods`);
    expect(list.body).toMatchObject({ kind: 'PodMetricsList', apiVersion: 'metrics.k8s.io/v1beta1', metadata: {} });
    const all = await json(`${M}/pods`);
    expect((all.body.items as { metadata: { namespace: string; name: string } }[]).filter((i) => i.metadata.namespace === c.ns).map((i) => i.metadata.name)).toEqual(['burner', 'holder']);
  });

  it('selects by label and by metadata.name; a bad selector is a 400 Status naming it, watch is 405', async () => {
    const names = async (q: string) => ((await json(`${M}/namespaces/${c.ns}/pods?${q}`)).body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
    await eventually(async () => (await names('')).length === 2, 'both pods measured');
    expect(await names('labelSelector=app%3Dburner')).toEqual(['burner']);
    expect(await names('labelSelector=app%20notin%20(burner)')).toEqual(['holder']);
    expect(await names('fieldSelector=metadata.name%3Dholder')).toEqual(['holder']);
    expect(await names(`fieldSelector=metadata.namespace%3D${c.ns},metadata.name!%3Dholder`)).toEqual(['burner']);
    const badLabel = await json(`${M}/namespaces/${c.ns}/pods?labelSelector=app%20in%20(`);
    expect(badLabel).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', code: 400 } });
    const badField = await json(`${M}/namespaces/${c.ns}/pods?fieldSelector=spec.nodeName%3D${c.node}`);
    expect(badField).toMatchObject({ status: 400, body: { kind: 'Status', reason: 'BadRequest', message: 'field label not supported: spec.nodeName' } });
    const nodes = (await json(`${M}/nodes?labelSelector=kubernetes.io%2Fhostname%3Dnone`)).body;
    expect(nodes.items).toEqual([]);
    const watch = await json(`${M}/namespaces/${c.ns}/pods?watch=true`);
    expect(watch).toMatchObject({ status: 405, body: { kind: 'Status', reason: 'MethodNotAllowed' } });
  });

  it('reads in a row, and a burst at once, are answered from one reading of the kubelet (the per-node cache)', async () => {
    // Two readings never give the same rate of a busy loop to the nanocore: the same usage in
    // every answer means one reading served them all. The reads may straddle the cache's
    // expiry (5 s) once, hence the retry.
    const read = () => json(`${M}/namespaces/${c.ns}/pods/burner`);
    await eventually(async () => {
      const answers = [await read(), await read(), await read(), ...(await Promise.all([read(), read(), read()]))];
      const seen = new Set(answers.map((a) => (a.status === 200 ? JSON.stringify([a.body.timestamp, a.body.window, a.body.containers]) : `${a.status}`)));
      return answers[0].status === 200 && seen.size === 1;
    }, 'six answers from one reading', 30_000);
  });

  it('an unknown node or pod is NotFound as metrics-server says it', async () => {
    expect(await json(`${M}/nodes/nope`)).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'node "nope" not found' } });
    expect(await json(`${M}/namespaces/${c.ns}/pods/nope`)).toMatchObject({ status: 404, body: { kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found' } });
  });

  it('a node whose kubelet does not answer is left out of the list and NotFound by name; kubectl top shows it <unknown>', async () => {
    const real = await c.admin.nodes.get(c.node);
    const dead = `dead-${crypto.randomBytes(3).toString('hex')}`;
    await c.admin.nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: dead } } as Node);
    try {
      // Nothing listens on this port.
      await c.admin.nodes.patchStatus(dead, { status: { addresses: real.status?.addresses, daemonEndpoints: { kubeletEndpoint: { Port: await freePort() } }, allocatable: { cpu: '1', memory: '1Gi' } } });
      const list = await json(`${M}/nodes`);
      expect(list.status).toBe(200);
      expect((list.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).toEqual([c.node]);
      expect(await json(`${M}/nodes/${dead}`)).toMatchObject({ status: 404, body: { message: `nodemetrics.metrics.k8s.io "${dead}" not found` } });
      if (haveTool(kubectlBinary('1.33'))) {
        const top = await kubectl(as('admin'), ['top', 'node']);
        expect(top.code).toBe(0);
        expect(top.out).toMatch(new RegExp(`^${dead}\\s+<unknown>\\s+<unknown>\\s+<unknown>\\s+<unknown>\\s*$`, 'm'));
      }
    } finally {
      await c.admin.nodes.delete(dead);
    }
  });

  it('no token is 401, a node token 403, with a Status', async () => {
    const none = await api(`${M}/nodes`, '');
    expect(none.status).toBe(401);
    const node = await api(`${M}/namespaces/${c.ns}/pods`, c.controlPlane.api.nodeToken(c.node));
    expect(node.status).toBe(403);
    expect(await node.json()).toMatchObject({ kind: 'Status', reason: 'Forbidden' });
  });
});

describe.runIf(haveTool(kubectlBinary('1.33')))('kubectl top', () => {
  it('top node: the node with CPU and memory, and their shares of allocatable', async () => {
    const r = await eventually(async () => {
      const t = await kubectl(as('admin'), ['top', 'node', c.node]);
      return t.code === 0 && t;
    }, 'kubectl top node', 60_000);
    const [head, row] = rows(r.out);
    expect(head).toEqual(['NAME', 'CPU(cores)', expect.stringMatching(/^CPU\(?%\)?$/), 'MEMORY(bytes)', expect.stringMatching(/^MEMORY\(?%\)?$/)]);
    expect(row[0]).toBe(c.node);
    expect(milli(row[1])).toBeGreaterThan(0);
    expect(row[2]).toMatch(/^\d+%$/);
    expect(mebi(row[3])).toBeGreaterThan(0);
    expect(row[4]).toMatch(/^\d+%$/);
  }, 90_000);

  it('top pod: the pods of the namespace, the busy one using more CPU than the holder, the holder its memory', async () => {
    const table = await eventually(async () => {
      const t = await kubectl(as('admin'), ['top', 'pod']);
      if (t.code !== 0) return undefined;
      const byName = new Map(rows(t.out).slice(1).map((r) => [r[0], r]));
      const burner = byName.get('burner');
      const holder = byName.get('holder');
      // The loop's core shows once the kubelet has a rate of it (a slope over a second at most).
      return burner && holder && milli(burner[1]) > milli(holder[1]) + 100 && { head: rows(t.out)[0], burner, holder };
    }, 'kubectl top pod with the busy pod ahead', 60_000);
    expect(table.head).toEqual(['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(mebi(table.holder[2])).toBeGreaterThanOrEqual(15);
  }, 90_000);

  it('top pod --containers: a line per container', async () => {
    const t = await kubectl(as('admin'), ['top', 'pod', 'holder', '--containers']);
    expect(t).toMatchObject({ code: 0 });
    const [head, ...lines] = rows(t.out);
    expect(head).toEqual(['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    expect(lines.map((l) => l.slice(0, 2))).toEqual([
      ['holder', 'alloc'],
      ['holder', 'idle'],
    ]);
    expect(mebi(lines[0][3])).toBeGreaterThanOrEqual(15);
  }, 60_000);

  it('top pod -l (and -A): only the pods the selector picks', async () => {
    const t = await kubectl(as('admin'), ['top', 'pod', '-l', 'app=burner']);
    expect(t.code).toBe(0);
    expect(rows(t.out).slice(1).map((r) => r[0])).toEqual(['burner']);
    const all = await kubectl(as('admin'), ['top', 'pod', '-A', '-l', 'app=burner']);
    expect(all.code).toBe(0);
    expect(rows(all.out)[0].slice(0, 2)).toEqual(['NAMESPACE', 'NAME']);
    expect(rows(all.out).slice(1).map((r) => r.slice(0, 2))).toEqual([[c.ns, 'burner']]);
  }, 60_000);

  it("top pod of a missing pod: the server's NotFound", async () => {
    const t = await kubectl(as('admin'), ['top', 'pod', 'nope']);
    expect(t).toMatchObject({ code: 1, err: 'Error from server (NotFound): pods "nope" not found\n' });
  }, 60_000);

  it.each(['1.27', '1.30'])('kubectl %s top pod', async (version) => {
    const t = await kubectl(as('admin', version), ['top', 'pod']);
    expect(t.code).toBe(0);
    expect(rows(t.out).slice(1).map((r) => r[0])).toEqual(['burner', 'holder']);
  }, 60_000);

  it("get podmetrics and nodes.metrics.k8s.io: metrics-server's table (NAME CPU MEMORY WINDOW)", async () => {
    const pods = await kubectl(as('admin'), ['get', 'podmetrics']);
    expect(pods.code).toBe(0);
    const [head, ...lines] = rows(pods.out);
    expect(head).toEqual(['NAME', 'CPU', 'MEMORY', 'WINDOW']);
    expect(lines.map((l) => l[0])).toEqual(['burner', 'holder']);
    for (const l of lines) {
      expect(l[1]).toMatch(/^\d+[num]?$/);
      expect(l[2]).toMatch(/^\d+(Ki|Mi|Gi)?$/);
      expect(l[3]).toMatch(/s$/);
    }
    const nodes = await kubectl(as('admin'), ['get', 'nodes.metrics.k8s.io', c.node]);
    expect(nodes.code).toBe(0);
    expect(rows(nodes.out)[1][0]).toBe(c.node);
  }, 60_000);

  it('an unknown token: 401; a node token: 403', async () => {
    const bad = await kubectl(as('bad'), ['top', 'pod']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: You must be logged in to the server/);
    const node = await kubectl(as('node'), ['top', 'pod']);
    expect(node.code).toBe(1);
    expect(node.err).toContain(`Error from server (Forbidden): pods.metrics.k8s.io is forbidden: User "system:node:${c.node}" cannot list resource "pods" in API group "metrics.k8s.io"`);
  }, 60_000);
});
