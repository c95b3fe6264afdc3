// The rest of kubectl's streaming verbs on the real parts (etcd, API server, kubelet, conmon +
// runc, CNI): `kubectl exec -it` in a real pseudo-terminal (prompt, size and resize, Ctrl-C,
// exit code), `kubectl cp` both ways, who may open pods/exec and pods/portforward, and the
// hygiene of the whole path: after hundreds of execs and a thousand forwarded connections the
// kubelet (in this process, with the API server) holds no more descriptors or memory than
// before, and no exec'd process is left in the container.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { KUBECTL, expectCpRoundTrip, expectExecTty, expectStreamAuth, postStatus, runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { PortForwardClient, execOnce, httpGetOver, inPool, type StreamTarget } from '../fixtures/stream-client.js';
import { haveTool } from '../fixtures/tools.js';
import { eventually, startNodeCluster, startWebPod, type NodeCluster } from './harness.js';

let c: NodeCluster;
let dir = '';
let target: StreamTarget;
const kubeconfigs: Record<'admin' | 'node' | 'scheduler', string> = { admin: '', node: '', scheduler: '' };
/** kubectl 1.33 as the admin. */
let admin: KubectlOn;

beforeAll(async () => {
  c = await startNodeCluster({ kubeletServer: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-streams-kubectl-'));
  const https = c.apiHttps;
  if (!https) throw new Error('no HTTPS API server');
  const ca = await readFile(https.caFile);
  const tokens = { admin: c.adminToken, node: c.controlPlane.api.nodeToken(c.node), scheduler: c.controlPlane.api.schedulerToken };
  for (const who of Object.keys(kubeconfigs) as (keyof typeof kubeconfigs)[]) {
    kubeconfigs[who] = path.join(dir, `kubeconfig-${who}`);
    await writeKubeconfig(kubeconfigs[who], buildKubeconfig({ server: https.url, ca, token: tokens[who], name: who }));
  }
  admin = { kubeconfig: kubeconfigs.admin, namespace: c.ns, version: '1.33' };
  target = { server: https.url, ca, token: c.adminToken, namespace: c.ns, pod: 'web' };
  await startWebPod(c, 'echo hello from web > /www/index.html');
}, 120_000);

afterAll(async () => {
  await c?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe.runIf(haveTool(KUBECTL))('kubectl exec -it in a pseudo-terminal', () => {
  it('shows a prompt, follows the size, stops a command on Ctrl-C and exits with the shell’s code', () => expectExecTty(admin, 'web'), 90_000);
});

describe.runIf(haveTool(KUBECTL))('kubectl cp', () => {
  it('copies 10 MiB into the pod and back out, byte for byte', () => expectCpRoundTrip(admin, 'web', dir), 90_000);
});

describe.runIf(haveTool(KUBECTL))('who may exec and port-forward', () => {
  it("no token or an unknown one: 401; a node's or the scheduler's token: 403", () => expectStreamAuth(admin, 'web', 8080, { dir, forbidden: [kubeconfigs.node, kubeconfigs.scheduler] }), 90_000);

  it("the kubelet's own port refuses a node's token on /exec and /portForward (403)", async () => {
    const ks = c.kubeletServer;
    if (!ks) throw new Error('no kubelet server');
    const token = c.controlPlane.api.nodeToken(c.node);
    for (const p of [`/exec/${c.ns}/web/app?command=true&output=1`, `/portForward/${c.ns}/web?port=8080`]) {
      expect(await postStatus(`${ks.url}${p}`, ks.ca, token)).toBe(403);
      expect(await postStatus(`${ks.url}${p}`, ks.ca)).toBe(401);
    }
  });
});

/** This process's open descriptors: the kubelet and the API server run in it. */
const openFds = () => readdirSync('/proc/self/fd').length;
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
// A full collection before each heap reading, so what is counted is what is still held.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const heapMiB = () => {
  collect();
  return process.memoryUsage().heapUsed / (1 << 20);
};

/**
 * Tolerances: a few descriptors come and go with timers and pooled agents; RSS keeps pages
 * the allocator and V8 have taken once, so it gets a wide margin, and the collected heap a
 * narrow one (8 MiB over 2,200 streams is under 4 KiB each).
 */
const FD_SLACK = 16;
const RSS_SLACK_MIB = 96;
const HEAP_SLACK_MIB = 8;

describe.runIf(haveTool(KUBECTL))('hygiene', () => {
  it('after 200 kubectl execs, 1,000 execs and 1,000 forwarded connections, descriptors and memory are flat and no exec is left behind', async () => {
    // Warm up every path once, so what is allocated once (pools, JIT, the spawn companion) is in the baseline.
    await inPool(20, 5, async () => expect((await execOnce(target, ['true'])).exitCode).toBe(0));
    const warm = await PortForwardClient.connect(target);
    await inPool(20, 5, async () => expect((await httpGetOver(await warm.open(8080))).toString()).toBe('hello from web\n'));
    warm.close();
    const before = { fds: openFds(), rss: rssMiB(), heap: heapMiB() };

    const kubectlRuns = await inPool(200, 8, () => runKubectl(admin, ['exec', 'web', '--', 'true']));
    expect(kubectlRuns.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);

    const execs = await inPool(1000, 16, () => execOnce(target, ['sh', '-c', 'echo ok']));
    expect(execs.filter((r) => r.exitCode !== 0 || r.stdout !== 'ok\n')).toEqual([]);

    // 1,000 connections over 10 SPDY sessions of 100, each session closed after its last one.
    let answered = 0;
    await inPool(10, 2, async () => {
      const session = await PortForwardClient.connect(target);
      try {
        await inPool(100, 10, async () => {
          if ((await httpGetOver(await session.open(8080))).toString() === 'hello from web\n') answered++;
        });
      } finally {
        session.close();
      }
    });
    expect(answered).toBe(1000);

    const after = await eventually(() => {
      const now = { fds: openFds(), rss: rssMiB(), heap: heapMiB() };
      return now.fds <= before.fds + FD_SLACK ? now : undefined;
    }, `descriptors back to ${before.fds} + ${FD_SLACK} (now ${openFds()})`, 30_000);
    console.log(
      `hygiene: fds ${before.fds} -> ${after.fds} (slack ${FD_SLACK}), RSS ${before.rss.toFixed(0)} -> ${after.rss.toFixed(0)} MiB (slack ${RSS_SLACK_MIB}), heap after GC ${before.heap.toFixed(1)} -> ${after.heap.toFixed(1)} MiB (slack ${HEAP_SLACK_MIB})`,
    );
    expect(after.rss).toBeLessThanOrEqual(before.rss + RSS_SLACK_MIB);
    expect(after.heap).toBeLessThanOrEqual(before.heap + HEAP_SLACK_MIB);

    // Inside the container: the main process and this ps, nothing else.
    const ps = await execOnce(target, ['ps', '-o', 'pid,args']);
    const procs = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' '));
    expect(procs.filter((p) => !p.startsWith('ps '))).toEqual(['httpd -f -p 8080 -h /www']);
  }, 240_000);
});
