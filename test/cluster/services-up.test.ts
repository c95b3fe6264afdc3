// Issue 22's Services end to end on two real `skiff up` clusters side by side on this machine
// (own state dirs, API/etcd/registry/relay ports, pod and service CIDRs, node ports, bridges and
// node names; CI runs a cluster with the defaults here), as a user meets them with the real
// kubectl 1.33. Each cluster: a Deployment of 2 kuard-style pods (each answers with its hostname)
// exposed with `kubectl expose`, reached by name from a pod through the cluster DNS and the node
// proxy, from the host by its ClusterIP, and on its NodePort at 127.0.0.1 and the host's address.
// Cluster A also shows a pod verifying the API server at https://kubernetes.default.svc with the
// kube-root-ca.crt ConfigMap's CA, a node agent crash (kill -9, brought back by skiff up's
// supervisor) that keeps an established connection through a ClusterIP and leaves no rule of a
// Service deleted meanwhile, and REJECT at 0 endpoints. Then `skiff down` of A under a steady
// request loop against B (0 failures, B's open connection kept, B's rules unchanged, nothing of A
// left), and `skiff down` of B (nothing of B left).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFile, rm, symlink } from 'node:fs/promises';
import net from 'node:net';
import { promisify } from 'node:util';
import { statePaths } from '../../cluster/state.js';
import { builtinJumps } from '../../proxy/rules.js';
import { neighbourClashes } from '../../cluster/neighbour-services.js';
import { waitForHttps } from '../../cluster/up.js';
import { eventually } from '../fixtures/eventually.js';
import { kubectlBinary, runKubectl } from '../fixtures/kubectl-stream-checks.js';
import { freePort } from '../fixtures/ports.js';
import { startSkiff } from '../fixtures/process.js';
import { haveTool } from '../fixtures/tools.js';
import { deploy, downCluster, httpGet, iptablesLines, leftovers, startUpCluster, type UpCluster } from './services-up-clusters.js';

const exec = promisify(execFile);

/** A TCP connection kept open to an echo server: each word sent must come back on it. */
async function openEcho(host: string, port: number) {
  const sock = await eventually(async () => {
    const s = net.connect({ host, port });
    try {
      await once(s, 'connect');
      return s;
    } catch (e) {
      s.destroy();
      throw e;
    }
  }, `a connection to ${host}:${port}`, 30_000, { intervalMs: 250 });
  let got = '';
  const ended: string[] = [];
  sock.setEncoding('utf8');
  sock.on('data', (d: string) => (got += d));
  sock.on('error', (e) => ended.push(e.message));
  sock.on('close', () => ended.push('closed'));
  return {
    roundTrip: async (word: string) => {
      got = '';
      sock.write(`${word}\n`);
      await eventually(() => got.includes(word) || ended.length > 0, `the echo of ${word}`, 15_000, { intervalMs: 50 });
      return { echoed: got.includes(word), ended: [...ended] };
    },
    close: () => sock.destroy(),
  };
}

/** The pid of the supervised `skiff server` (API server, scheduler, controller-manager, kubelet with its proxy). */
async function serverPid(c: UpCluster): Promise<number | undefined> {
  const status = JSON.parse(await readFile(statePaths(c.stateDir).statusFile, 'utf8')) as { components: { name: string; pid?: number; running: boolean }[] };
  const s = status.components.find((x) => x.name === 'server');
  return s?.running ? s.pid : undefined;
}

const proxyStarts = async (c: UpCluster) => (await readFile(`${statePaths(c.stateDir).logDir}/server.log`, 'utf8').catch(() => '')).split('node proxy running').length - 1;

describe.runIf(haveTool(kubectlBinary('1.33')))('Services on two skiff up clusters side by side', () => {
  const clusters: UpCluster[] = [];
  let a: UpCluster;
  let b: UpCluster;

  beforeAll(async () => {
    const slot = (process.pid % 100) + 20;
    const nodePorts = 31000 + (process.pid % 85) * 20;
    // One after another would double the wait: both start at once.
    const started = await Promise.allSettled([
      startUpCluster({ letter: 'a', octets: '10.72', slot, nodePorts, withCurl: true }),
      // B goes without ServiceLB, as k3s --disable servicelb.
      startUpCluster({ letter: 'b', octets: '10.73', slot, nodePorts: nodePorts + 10, upArgs: ['--disable', 'servicelb'] }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') clusters.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    [a, b] = clusters;
    await Promise.all(clusters.map(deploy));
  }, 300_000);

  afterAll(async () => {
    for (const c of clusters) await downCluster(c);
  }, 180_000);

  it('each cluster serves its Services: by name from a pod, by ClusterIP and on the NodePort (127.0.0.1, host address) from the host', async () => {
    await Promise.all(clusters.map(async (c) => {
      for (const url of ['http://web/', 'http://web.default.svc.cluster.local/']) {
        const r = await eventually(async () => {
          const r = await c.inClient(`wget -qO- ${url}`);
          return r.code === 0 ? r : undefined;
        }, `${url} to answer from ${c.letter}'s client pod`, 30_000, { intervalMs: 500 });
        expect(r.out).toMatch(/Hello from web-/);
      }
      const loop = await c.inClient(`for i in $(seq 30); do wget -qO- http://web/ | grep -o 'Hello from [a-z0-9-]*' || echo FAILED; done`);
      const answered = loop.out.split('\n').filter(Boolean);
      expect(answered.filter((l) => l === 'FAILED'), loop.out).toEqual([]);
      expect([...new Set(answered.map((l) => l.replace('Hello from ', '')))].sort()).toEqual(c.replicas);
      for (const url of c.hostUrls()) {
        const body = await eventually(async () => {
          const r = await httpGet(url);
          return r.status === 200 ? r.body : undefined;
        }, `${url} (${c.letter}) from the host`, 30_000, { intervalMs: 500 });
        expect(body).toMatch(/Hello from web-/);
      }
    }));
    // Each cluster's ClusterIPs come from its own range: the two are two clusters, not one.
    expect(a.webIP.startsWith('10.72.')).toBe(true);
    expect(b.webIP.startsWith('10.73.')).toBe(true);
    // Neither up warned of the other; a third cluster on A's ranges would be told (up's check,
    // on the rules A's proxy wrote).
    expect(a.upStderr).not.toContain(`chains ${b.tag}-*`);
    expect(b.upStderr).not.toContain(`chains ${a.tag}-*`);
    const save = (await exec('iptables-save')).stdout;
    expect(neighbourClashes(save, { tag: 'SKIFFTHIRD', serviceCidr: a.serviceCidr, nodePortRange: a.nodePortRange }).filter((w) => w.includes(`chains ${a.tag}-*`))).toEqual([
      expect.stringContaining(`(chains ${a.tag}-*) serves ClusterIPs in --service-cidr ${a.serviceCidr}`),
      expect.stringContaining(`(chains ${a.tag}-*) serves node ports in --service-node-port-range ${a.nodePortRange} (${a.webNodePort})`),
    ]);
  }, 240_000);

  it('a LoadBalancer Service gets the node address from ServiceLB on A and stays pending on B (skiff up --disable servicelb)', async () => {
    const port = await freePort();
    await Promise.all([a, b].map((c) => c.kubectl(['create', 'service', 'loadbalancer', 'lb', `--tcp=${port}:8080`])));
    try {
      const ingress = (c: UpCluster) => c.kubectl(['get', 'svc', 'lb', '-o', 'jsonpath={.status.loadBalancer.ingress[*].ip}']);
      expect(await eventually(async () => (await ingress(a)) || undefined, "A's ServiceLB to publish lb", 30_000, { intervalMs: 250 })).toBe(a.hostIP);
      // B's controller-manager has handled the Service (its Endpoints exist) and left it pending.
      await eventually(async () => (await b.kubectl(['get', 'endpoints', 'lb', '-o', 'name']).catch(() => '')).trim() === 'endpoints/lb', "B's Endpoints of lb", 30_000, { intervalMs: 250 });
      expect(await ingress(b)).toBe('');
      expect(await b.kubectl(['get', 'svc', 'lb'])).toMatch(new RegExp(`^lb\\s+LoadBalancer\\s+\\S+\\s+<pending>\\s+${port}:\\d+/TCP\\s`, 'm'));
      const server = (await exec('ps', ['-eo', 'args'])).stdout.split('\n').find((l) => l.includes(b.stateDir) && l.includes(' server '));
      expect(server).toContain('--disable=servicelb');
    } finally {
      await Promise.all([a, b].map((c) => c.kubectl(['delete', 'service', 'lb', '--wait=false'])));
    }
  }, 120_000);

  it("a pod reaches the API server through the kubernetes Service, verified with kube-root-ca.crt's CA", async () => {
    const podYaml = JSON.stringify({
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'tls' },
      spec: {
        restartPolicy: 'Never', automountServiceAccountToken: false,
        containers: [{ name: 'c', image: a.curlImage, command: ['curl', '-sS', '--max-time', '10', '--cacert', '/ca/ca.crt', '-o', '/dev/null', '-w', 'status %{http_code} verify %{ssl_verify_result}\n', 'https://kubernetes.default.svc/version'], volumeMounts: [{ name: 'ca', mountPath: '/ca' }] }],
        volumes: [{ name: 'ca', configMap: { name: 'kube-root-ca.crt' } }],
      },
    });
    const applied = await runKubectl(a.k, ['apply', '-f', '-'], podYaml);
    expect(applied.code, applied.stderr).toBe(0);
    const phase = await eventually(async () => {
      const p = JSON.parse(await a.kubectl(['get', 'pod', 'tls', '-o', 'json'])) as { status?: { phase?: string } };
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    }, 'the tls pod to finish', 90_000, { intervalMs: 500 });
    const tlsLog = await a.kubectl(['logs', 'tls']);
    expect({ phase, tlsLog }).toEqual({ phase: 'Succeeded', tlsLog: expect.stringMatching(/^status (200|401|403) verify 0$/m) });
  }, 120_000);

  it('a node agent crash and restart keeps an established ClusterIP connection and leaves no rule of a Service deleted meanwhile', async () => {
    const echo = await openEcho(a.echoIP, 9000);
    try {
      expect(await echo.roundTrip('before')).toEqual({ echoed: true, ended: [] });
      const goneRules = async () => (await iptablesLines()).filter((l) => l.includes(`-A ${a.tag}-`) && l.includes('"default/gone'));
      await eventually(async () => (await goneRules()).length > 0, "the proxy's rules for default/gone", 30_000, { intervalMs: 250 });
      // gone's own chains (its SVC and one SEP per endpoint): after the restart, not even empty.
      const perService = new RegExp(`${a.tag}-(SVC|SVL|EXT|SEP)-[A-Z2-7]+`, 'g');
      const goneChains = [...new Set((await goneRules()).flatMap((l) => l.match(perService) ?? []))];
      expect(goneChains.length).toBeGreaterThanOrEqual(3);
      const crashed = (await serverPid(a))!;
      const starts = await proxyStarts(a);
      // A second API server on the cluster's etcd, with the cluster's own flags: what deletes the
      // Service while the node agent (which hosts the cluster's API server too) is down.
      const apiArgs = (await readFile(`/proc/${crashed}/cmdline`, 'utf8')).split('\0').filter((x) => x.startsWith('--kube-apiserver-arg=')).map((x) => x.slice('--kube-apiserver-arg='.length));
      const port = await freePort();
      const api = startSkiff(['apiserver', ...apiArgs.map((x) => (x.startsWith('--secure-port=') ? `--secure-port=${port}` : x))]);
      let killed = false;
      try {
        await waitForHttps(`https://127.0.0.1:${port}/readyz`, a.ca, a.adminToken, 90_000).catch((e: Error) => {
          throw new Error(`${e.message}\n${api.output()}`);
        });
        // The agent frozen, so its proxy sees nothing of the delete; then it crashes, and skiff
        // up's supervisor brings it back as after any crash.
        process.kill(crashed, 'SIGSTOP');
        await a.kubectl(['--server', `https://127.0.0.1:${port}`, 'delete', 'svc', 'gone']);
        expect(await goneRules()).not.toEqual([]);
        process.kill(crashed, 'SIGKILL');
        killed = true;
      } finally {
        if (!killed) process.kill(crashed, 'SIGCONT');
        await api.stop(10_000);
      }
      const restarted = await eventually(async () => {
        const pid = await serverPid(a);
        return pid !== undefined && pid !== crashed && (await proxyStarts(a)) > starts ? pid : undefined;
      }, "the node agent's restart and its proxy's first sync", 120_000, { intervalMs: 250 });
      expect(restarted).not.toBe(crashed);
      // The first sync after the restart is a full one: gone's chains and rules went with it,
      // and the jumps from the built-in chains are there once each, not once per start.
      const lines = await iptablesLines();
      expect(lines.filter((l) => (l.includes(a.tag) && l.includes('"default/gone')) || goneChains.some((c) => l.includes(c)))).toEqual([]);
      const jumps = lines.filter((l) => /^-A (PREROUTING|INPUT|FORWARD|OUTPUT|POSTROUTING) /.test(l) && l.includes(`-j ${a.tag}-`));
      expect(jumps).toHaveLength(builtinJumps(a.tag).length);
      expect(new Set(jumps).size).toBe(jumps.length);
      expect(await echo.roundTrip('after')).toEqual({ echoed: true, ended: [] });
      const r = await httpGet(a.hostUrls()[0]);
      expect(r.body).toMatch(/Hello from web-/);
      // The restarted agent's DNS listens on a new port; its kube-dns slice and the proxy follow.
      const byName = await eventually(async () => {
        const r = await a.inClient('wget -qO- http://web/');
        return r.code === 0 ? r.out : undefined;
      }, 'http://web/ by name from the client pod after the restart', 60_000, { intervalMs: 500 });
      expect(byName).toMatch(/Hello from web-/);
    } finally {
      echo.close();
    }
  }, 180_000);

  it('scaled to 0, a Service refuses connections at once (REJECT), it does not drop them', async () => {
    // kubectl's own Deployment has a grace period of 2 s: busybox httpd as PID 1 ignores SIGTERM.
    await a.kubectl(['scale', 'deployment', 'web', '--replicas=0']);
    await eventually(async () => {
      const ep = JSON.parse(await a.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web', '-o', 'json'])) as { items: { endpoints?: unknown[] }[] };
      return ep.items.every((s) => !s.endpoints?.length);
    }, "web's slices to have no endpoints", 60_000, { intervalMs: 500 });
    // The proxy's sync follows the slice: until its REJECT is in, a connection may still be sent
    // to a pod that is gone (and hang, as on Kubernetes).
    await eventually(async () => (await exec('iptables-save', ['-t', 'filter'])).stdout.split('\n').some((l) => l.startsWith(`-A ${a.tag}-`) && l.includes('"default/web has no endpoints"') && l.includes('-j REJECT')), "the proxy's REJECT for web", 30_000, { intervalMs: 250 });
    const refused = await a.inClient('wget -qO- http://web/');
    expect(refused.out).toMatch(/can't connect to remote host \([\d.]+\): Connection refused/);
    expect(refused.code).not.toBe(0);
  }, 120_000);

  it("down of A under a steady request loop against B: no failure, B's connection and rules intact, nothing of A left", async () => {
    const before = await iptablesLines();
    expect(before.filter(a.mine)).not.toEqual([]);
    const bRules = before.filter(b.mine);
    expect(bRules.some((l) => l.includes(`-j ${b.tag}-SERVICES`))).toBe(true);
    const echo = await openEcho(b.echoIP, 9000);
    try {
      expect(await echo.roundTrip('before')).toEqual({ echoed: true, ended: [] });
      const urls = b.hostUrls();
      const failures: string[] = [];
      // Requests answered while A's down runs, and after it: [during, after].
      const answered = [0, 0];
      let phase = 0;
      const loop = (async () => {
        for (let i = 0; phase === 0 || answered[1] < 10; i++) {
          const url = urls[i % urls.length];
          const during = phase;
          const r = await httpGet(url).catch((e: Error) => ({ status: 0, body: e.message }));
          if (r.status !== 200 || !r.body.includes('Hello from web-')) failures.push(`${url}: ${r.status} ${r.body}`);
          else answered[during]++;
        }
      })();
      try {
        await downCluster(a, { purge: false });
      } finally {
        phase = 1;
        await loop;
      }
      expect(failures).toEqual([]);
      expect(answered[0]).toBeGreaterThan(0);
      expect(await echo.roundTrip('after')).toEqual({ echoed: true, ended: [] });
    } finally {
      echo.close();
    }
    const after = await iptablesLines();
    expect(after.filter(a.mine)).toEqual([]);
    expect(after.filter(b.mine)).toEqual(bRules);
    expect((await exec('ip', ['link', 'show'])).stdout).not.toContain(a.bridge);
    expect(await leftovers(a.stateDir)).toEqual([]);
  }, 180_000);

  it('down of B, given its state dir through a symlink, leaves nothing of B', async () => {
    // The chain tag and the bridge's owner were recorded under the spelling `up` was given.
    const link = `${b.stateDir}-link`;
    await symlink(b.stateDir, link);
    try {
      await downCluster(b, { purge: false, stateDir: link });
    } finally {
      await rm(link, { force: true });
    }
    const after = await iptablesLines();
    expect(after.filter(b.mine)).toEqual([]);
    expect(after.filter(a.mine)).toEqual([]);
    expect((await exec('ip', ['link', 'show'])).stdout).not.toContain(b.bridge);
    expect(await leftovers(b.stateDir)).toEqual([]);
  }, 120_000);
});
