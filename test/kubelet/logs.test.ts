// The kubelet's HTTPS server and the API server's proxying to it, on the real parts (etcd,
// API server, registry, kubelet, skiff's runtime): pods/log with tailLines, timestamps,
// follow and previous; the multi-container and unscheduled refusals; nodes/proxy to the
// kubelet's images and stats; the kubelet refusing callers without the API server's token;
// and `skiff logs` and the installed `kubectl logs` (-f too) reading through all of it.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../api/types/core.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { startProcess, startSkiff, type Proc } from '../fixtures/process.js';
import { haveTool } from '../fixtures/tools.js';
import { eventually, nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;

nodeClusterPerFile({ kubeletServer: true }, (started) => {
  c = started;
});

function pod(name: string, containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.node, terminationGracePeriodSeconds: 1, containers, ...extra } };
}

const sh = (name: string, script: string): Container => ({ name, image: c.image, command: ['sh', '-c', script] });
const allRunning = (p: Pod) => p.status?.phase === 'Running' && (p.status.containerStatuses ?? []).every((s) => s.state?.running);

function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${c.apiUrl}${path}`, { ...init, headers: { authorization: `Bearer ${c.adminToken}`, ...(init.headers ?? {}) } });
}

const logPath = (name: string, query: string) => `/api/v1/namespaces/${c.ns}/pods/${name}/log?${query}`;

async function logText(name: string, query: string): Promise<string> {
  const res = await api(logPath(name, query));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`log ${query}: ${res.status} ${text}`);
  return text;
}

/** A direct request to the kubelet, trusting its certificate; as the API server with `asApiServer`. */
function kubelet(path: string, who: { token?: string; asApiServer?: boolean } = {}): Promise<{ status: number; body: string }> {
  const ks = c.kubeletServer;
  if (!ks) throw new Error('no kubelet server');
  return new Promise((resolve, reject) => {
    const client = who.asApiServer ? ks.apiClient : {};
    const req = https.request(`${ks.url}${path}`, { ca: ks.ca, agent: false, ...client, headers: who.token ? { authorization: `Bearer ${who.token}` } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pod logs through the API server and the kubelet server', () => {
  const talker = `talker`;

  beforeAll(async () => {
    await c.createPod(
      pod(talker, [
        sh('app', 'echo out-1; echo err-1 >&2; echo out-2; i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.3; done'),
        sh('side', 'echo side-hello; exec sleep 3600'),
      ]),
    );
    await c.waitPod(talker, allRunning, 'both containers running', 60_000);
    // The first lines are written as the container starts; wait until some ticks are there.
    await eventually(async () => (await logText(talker, 'container=app')).includes('tick 2'), 'ticks in the log');
  }, 90_000);

  it('returns what the container wrote to stdout and stderr, as text/plain', async () => {
    const res = await api(logPath(talker, 'container=app'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const lines = (await res.text()).split('\n');
    // conmon reads stdout and stderr from two pipes: the streams interleave in any order,
    // each stream keeps its own.
    expect(lines).toContain('err-1');
    expect(lines.filter((l) => l !== 'err-1').slice(0, 3)).toEqual(['out-1', 'out-2', 'tick 0']);
    expect(await logText(talker, 'container=side')).toBe('side-hello\n');
  });

  it('tailLines gives the last lines only', async () => {
    const lines = (await logText(talker, 'container=app&tailLines=2')).split('\n').filter(Boolean);
    expect(lines).toHaveLength(2);
    const n = lines.map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
    expect(n[1]).toBe(n[0] + 1);
    expect(n[0]).toBeGreaterThan(0);
  });

  it('timestamps prefix each line with its RFC 3339 time', async () => {
    const lines = (await logText(talker, 'container=app&timestamps=true')).split('\n').filter(Boolean);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (out-\d|err-1|tick \d+)$/);
    expect(lines.some((l) => l.endsWith(' err-1'))).toBe(true);
    expect(lines[0]).toMatch(/ (out-1|err-1)$/);
    const t = Date.parse(lines[0].split(' ')[0].replace(/(\.\d{3})\d+/, '$1'));
    const started = Date.parse((await c.getPod(talker)).status?.startTime ?? '');
    expect(t).toBeGreaterThanOrEqual(started - 1000);
  });

  it('limitBytes cuts the answer at that many bytes', async () => {
    const head = (await logText(talker, 'container=app')).slice(0, 8);
    expect(await logText(talker, 'container=app&limitBytes=8')).toBe(head);
  });

  it('follow streams lines written after the request began', async () => {
    const abort = new AbortController();
    try {
      const res = await api(logPath(talker, 'container=app&follow=true&tailLines=0'), { signal: abort.signal });
      expect(res.status).toBe(200);
      const reader = res.body?.getReader();
      if (!reader) throw new Error('no body');
      let text = '';
      // tailLines=0: nothing from before the request; every tick seen was written since.
      while ((text.match(/tick \d+\n/g) ?? []).length < 2) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended early: ${text}`);
        text += new TextDecoder().decode(value);
      }
      const ticks = (text.match(/tick (\d+)/g) ?? []).map((s) => Number(s.slice(5)));
      expect(ticks[1]).toBe(ticks[0] + 1);
      expect(text).not.toContain('out-1');
    } finally {
      abort.abort();
    }
  });

  it('a pod with several containers and no container named is a 400 naming them', async () => {
    const res = await api(logPath(talker, ''));
    expect(res.status).toBe(400);
    const status = (await res.json()) as { kind: string; reason: string; message: string };
    expect(status).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: `a container name must be specified for pod ${talker}, choose one of: [app side]` });
    const bad = await api(logPath(talker, 'container=nope'));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe(`container nope is not valid for pod ${talker}`);
  });

  it('previous of a container that never restarted is a 400', async () => {
    const res = await api(logPath(talker, 'container=app&previous=true'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(`previous terminated container "app" in pod "${talker}" not found`);
  });

  it('a pod not yet on a node is a 400', async () => {
    await c.admin.pods.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'nowhere', namespace: c.ns }, spec: { containers: [sh('app', 'true')] } }, { namespace: c.ns });
    const res = await api(logPath('nowhere', ''));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe('pod nowhere does not have a host assigned');
  });

  it('previous reads the instance before a restart', async () => {
    await c.createPod(pod('crasher', [sh('app', 'echo boot $(cat /proc/sys/kernel/random/uuid); echo oops >&2; sleep 5; exit 1')]));
    // After the first restart the crash backoff (10 s, then doubling) leaves time to read both instances.
    const p = await c.waitPod('crasher', (x) => (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 'restarted once', 60_000);
    const restarts = p.status?.containerStatuses?.[0]?.restartCount;
    const current = await eventually(async () => {
      const t = await logText('crasher', 'container=app');
      return t.startsWith('boot ') ? t : undefined;
    }, 'the new instance to log');
    const previous = await logText('crasher', 'container=app&previous=true');
    expect((await c.getPod('crasher')).status?.containerStatuses?.[0]?.restartCount).toBe(restarts);
    expect(previous).toMatch(/^boot [0-9a-f-]{36}\noops\n$/);
    expect(current.split('\n')[0]).toMatch(/^boot [0-9a-f-]{36}$/);
    expect(current.split('\n')[0]).not.toBe(previous.split('\n')[0]);
  }, 90_000);
});

describe('node proxy to the kubelet', () => {
  it('lists the images of the node', async () => {
    const res = await api(`/api/v1/nodes/${c.node}/proxy/images`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { images: { id: string; repoTags: string[] }[] };
    expect(body.images.flatMap((i) => i.repoTags)).toContain(c.image);
    expect(body.images.every((i) => i.id.startsWith('sha256:'))).toBe(true);
  });

  it('serves the stats summary with the running pods', async () => {
    const res = await api(`/api/v1/nodes/${c.node}/proxy/stats/summary`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as { node: { nodeName: string; memory?: { workingSetBytes: number } }; pods: { podRef: { name: string }; containers: { name: string; memory?: { workingSetBytes: number }; cpu?: { usageCoreNanoSeconds: number } }[] }[] };
    expect(s.node.nodeName).toBe(c.node);
    expect(s.node.memory?.workingSetBytes).toBeGreaterThan(0);
    const t = s.pods.find((p) => p.podRef.name === 'talker');
    expect(t?.containers.map((x) => x.name).sort()).toEqual(['app', 'side']);
    expect(t?.containers.every((x) => (x.memory?.workingSetBytes ?? 0) > 0)).toBe(true);
  });

  it('is refused to a node user, and the Node advertises the kubelet port', async () => {
    const node = await c.admin.nodes.get(c.node);
    const port = Number(new URL(c.kubeletServer?.url ?? '').port);
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(port);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    const res = await fetch(`${c.apiUrl}/api/v1/nodes/${c.node}/proxy/images`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(res.status).toBe(401);
  });
});

describe('the kubelet server itself', () => {
  it("serves the API server's client certificate alone: no credential 401, a node's token 403", async () => {
    expect((await kubelet(`/containerLogs/${c.ns}/talker/app`)).status).toBe(401);
    expect((await kubelet('/pods', { token: c.controlPlane.api.nodeToken(c.node) })).status).toBe(403);
    expect((await kubelet('/pods', { token: c.adminToken })).status).toBe(403);
    expect(await kubelet('/healthz')).toEqual({ status: 200, body: 'ok' });
    const pods = await kubelet('/pods', { asApiServer: true });
    expect(pods.status).toBe(200);
    expect((JSON.parse(pods.body) as { items: Pod[] }).items.map((p) => p.metadata.name)).toContain('talker');
  });
});

/** Runs a process to its end (stopped by PID after 30 s), keeping stdout and stderr apart. */
async function run(proc: Proc): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => void proc.stop(1000), 30_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

describe('skiff logs and kubectl logs', () => {
  let dir: string;
  let kubeconfig: string;
  const kubectl = '/usr/bin/kubectl';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-logs-'));
    kubeconfig = path.join(dir, 'kubeconfig');
    const https = c.apiHttps;
    if (!https) throw new Error('no HTTPS API server');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: https.url, ca: await readFile(https.caFile), token: c.adminToken, name: 'logs-test' }));
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('skiff logs prints a container log, and names the default container of a multi-container pod', async () => {
    const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
    expect(await run(startSkiff(['logs', 'talker', '-c', 'side', '-n', c.ns], { env }))).toMatchObject({ code: 0, stdout: 'side-hello\n' });
    const tail = await run(startSkiff(['logs', 'talker', '-n', c.ns, '--tail', '1'], { env }));
    expect(tail.code).toBe(0);
    expect(tail.stdout).toMatch(/^tick \d+\n$/);
    expect(tail.stderr).toContain('Defaulted container "app" out of: app, side');
  });

  it.runIf(haveTool(kubectl))('kubectl logs and logs -f work against the API server', async () => {
    const args = ['--kubeconfig', kubeconfig, '-n', c.ns];
    expect(await run(startProcess(kubectl, [...args, 'logs', 'talker', '-c', 'side']))).toMatchObject({ code: 0, stdout: 'side-hello\n' });
    const prev = await run(startProcess(kubectl, [...args, 'logs', 'crasher', '--previous']));
    expect(prev.code).toBe(0);
    expect(prev.stdout).toMatch(/^boot [0-9a-f-]{36}\noops\n$/);
    const follow = startProcess(kubectl, [...args, 'logs', '-f', '--tail=0', 'talker', '-c', 'app']);
    try {
      let out = '';
      follow.child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
      // Lines keep coming while the request stays open: two ticks written after it began.
      await eventually(async () => (out.match(/tick \d+\n/g) ?? []).length >= 2, `kubectl logs -f output (${follow.output()})`);
      expect(out).not.toContain('out-1');
    } finally {
      await follow.stop(2000);
    }
  });
});
