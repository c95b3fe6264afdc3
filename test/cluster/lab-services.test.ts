// Issue 22's must-show on one 3-node lab with real containers and the real kubectl 1.33: a
// Deployment of 3 (each answers with its hostname; a readiness probe; a preStop sleep) behind the
// ClusterIP Service `web`, reached by short and full name from a pod on another node, 300
// requests reaching all 3; its NodePort on every node's address; scaled to 0 it refuses at once
// (REJECT), scaled back it serves within 2 s of the pod's Ready, and a pod failing readiness gets
// nothing; a rolling update under a request loop loses no request; a headless Service's A and SRV
// records; a frontend calling a backend Service by name across nodes; a pod verifying
// https://kubernetes.default.svc with the kube-root-ca.crt ConfigMap's CA; and `lab down` leaving
// nothing of the lab in the host's iptables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Pod } from '../../api/types/core.js';
import type { EndpointSlice, Service } from '../../api/types/service.js';
import { nodeExec } from '../../cluster/lab.js';
import { statePaths } from '../../cluster/state.js';
import { isPodReady } from '../../controllers/active-pods.js';
import { clusterTag } from '../../proxy/chain-names.js';
import { readDockerAuths } from '../../runtime/images/docker-config.js';
import { buildCurlImage } from '../fixtures/host-binary-image.js';
import { openStore, pushImage } from '../fixtures/images.js';
import { runKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { eventuallyInLab, startLab, type Lab } from './lab-fixture.js';

const exec = promisify(execFile);
/** The lab's nodes: the clients on node 1, the Service's replicas on nodes 2 and 3. */
const LAB_FLAGS = ['--nodes', '3', '--node-capacity', 'cpu=4,memory=8Gi'];
const WEB_NODES = 'skiff-test/web';

/** The server: busybox httpd answering with the pod's hostname; SIGTERM ends it (after the preStop sleep). */
const SERVER = 'mkdir -p /www && hostname > /www/index.html && trap "exit 0" TERM; httpd -f -p 8080 -h /www & wait';

describe('Services on a 3-node lab with kubectl 1.33', () => {
  const name = `ls${process.pid % 100000}`;
  let L: Lab;
  let k: KubectlOn;
  let curlImage = '';
  const node = (i: number) => `${name}-${i}`;
  const kubectl = async (args: string[], input?: string, timeoutMs = 120_000) => {
    const r = await runKubectl(k, args, input, timeoutMs);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
    return r.stdout.toString();
  };
  const apply = (obj: object) => kubectl(['apply', '-f', '-'], JSON.stringify(obj));
  /** `sh -c script` in the client pod (node 1): its exit code and both streams. */
  const inClient = async (script: string, timeoutMs = 60_000) => {
    const r = await runKubectl(k, ['exec', 'client', '--', 'sh', '-c', script], undefined, timeoutMs);
    return { code: r.code, out: `${r.stdout.toString()}${r.stderr}` };
  };
  const webPods = async (): Promise<Pod[]> => (await L.client.pods.list({ namespace: 'default', labelSelector: 'app=web' })).items;
  const readyWebPods = (n: number) =>
    eventuallyInLab(`${n} ready web pods`, async () => {
      const pods = await webPods();
      return pods.length === n && pods.every((p) => isPodReady(p) && !p.metadata.deletionTimestamp) ? pods : undefined;
    }, 120_000);
  const sliceEndpoints = async (service: string) =>
    (await L.client.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io').list({ namespace: 'default', labelSelector: `kubernetes.io/service-name=${service}` })).items.flatMap((s) => s.endpoints ?? []);
  /** The wall clock (s) of a /proc/uptime reading: the pods share the host's kernel and its uptime. */
  const uptimeToWall = (() => {
    const offset = () => Date.now() / 1000 - Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    return (uptime: number) => uptime + offset();
  })();

  const webDeployment = (round: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', tier: 'web' }, annotations: { round } },
        spec: {
          nodeSelector: { [WEB_NODES]: 'yes' },
          terminationGracePeriodSeconds: 15,
          containers: [{
            name: 'web',
            image: L.image,
            command: ['sh', '-c', SERVER],
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/index.html', port: 'http' }, periodSeconds: 1 },
            // Serving on while every node's proxy drops the terminating endpoint.
            lifecycle: { preStop: { sleep: { seconds: 4 } } },
            resources: { requests: { cpu: '50m', memory: '16Mi' } },
          }],
        },
      },
    },
  });
  const service = (svcName: string, spec: object) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: svcName }, spec });

  beforeAll(async () => {
    L = await startLab(name, LAB_FLAGS);
    k = { kubeconfig: path.join(L.dir, 'kubeconfig'), namespace: 'default', version: '1.33' };
    const host = `127.0.0.1:${L.state.ports.registry}`;
    const auth = (await readDockerAuths([statePaths(L.dir).dockerConfig]))[host];
    const storeDir = await mkdtemp(path.join(os.tmpdir(), 'skiff-lab-curl-'));
    try {
      const store = await openStore(storeDir);
      await pushImage(host, 'skiff/curl:1', store, await buildCurlImage(store), auth);
      curlImage = `${host}/skiff/curl:1`;
    } finally {
      await rm(storeDir, { recursive: true, force: true });
    }
    await kubectl(['label', 'node', node(2), node(3), `${WEB_NODES}=yes`]);
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client' },
      spec: { nodeName: node(1), terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: curlImage, command: ['sleep', '3600'] }] },
    });
  }, 300_000);

  afterAll(async () => {
    await L?.down();
  }, 300_000);

  const replicas: string[] = [];

  it('serves a Deployment of 3 on other nodes by its short and full name; 300 requests reach all 3', async () => {
    await apply(webDeployment('1'));
    await apply(service('web', { selector: { tier: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }));
    await kubectl(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s'], undefined, 130_000);
    const pods = await readyWebPods(3);
    replicas.push(...pods.map((p) => p.metadata.name ?? '').sort());
    expect(pods.map((p) => p.spec.nodeName).filter((n) => n === node(1))).toEqual([]);
    for (const url of ['http://web', 'http://web.default.svc.cluster.local']) {
      const r = await eventuallyInLab(`${url} from the client pod`, async () => {
        const r = await inClient(`wget -qO- ${url}`);
        return r.code === 0 ? r : undefined;
      }, 60_000);
      expect(replicas).toContain(r.out.trim());
    }
    const loop = await inClient('for i in $(seq 300); do wget -qO- http://web || echo FAILED; done', 180_000);
    const answers = loop.out.split('\n').filter(Boolean);
    expect(answers).toHaveLength(300);
    expect(answers.filter((a) => a === 'FAILED')).toEqual([]);
    expect([...new Set(answers)].sort()).toEqual(replicas);
  }, 300_000);

  it("answers the NodePort on every node's address, from a pod and from each node", async () => {
    await apply(service('web-np', { type: 'NodePort', selector: { tier: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] }));
    const np = (await L.client.resourceByName<Service>('services', '').get('web-np', { namespace: 'default' })).spec?.ports?.[0]?.nodePort ?? 0;
    expect(np).toBeGreaterThanOrEqual(30000);
    const nodes = (await L.client.nodes.list()).items;
    const addresses = nodes.map((n) => n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '').sort();
    expect(addresses).toEqual(['10.213.0.11', '10.213.0.12', '10.213.0.13']);
    for (const ip of addresses) {
      const r = await eventuallyInLab(`the NodePort on ${ip}:${np} from the client pod`, async () => {
        const r = await inClient(`wget -qO- http://${ip}:${np}`);
        return r.code === 0 ? r : undefined;
      }, 60_000);
      expect(replicas).toContain(r.out.trim());
    }
    // From each node's own network namespace: every node's address and the node's 127.0.0.1.
    for (let i = 1; i <= 3; i++) {
      for (const ip of [...addresses, '127.0.0.1']) {
        const [cmd, ...args] = [...nodeExec(`skiff-${name}-${i}`), 'curl', '-sS', '--max-time', '5', `http://${ip}:${np}/`];
        const out = await eventuallyInLab(`the NodePort on ${ip}:${np} from node ${i}`, async () => (await exec(cmd!, args).catch(() => undefined))?.stdout, 60_000);
        expect(replicas).toContain(out.trim());
      }
    }
  }, 300_000);

  it('refuses at once with no endpoints (REJECT), serves within 2 s of a pod being Ready, and never sends to a pod failing readiness', async () => {
    // A pod of the Service that never passes its readiness probe (not the Deployment's: no app label).
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unready', labels: { tier: 'web' } },
      spec: {
        nodeSelector: { [WEB_NODES]: 'yes' },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'web', image: L.image, command: ['sh', '-c', SERVER], ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 } }],
      },
    });
    await kubectl(['scale', 'deployment/web', '--replicas=0']);
    await eventuallyInLab('no ready endpoint of web', async () => (await sliceEndpoints('web')).every((e) => e.conditions?.ready === false));
    // The unready pod is in the slice, not ready, once it runs.
    await eventuallyInLab('the unready pod in the slice', async () => (await sliceEndpoints('web')).some((e) => e.targetRef?.name === 'unready' && e.conditions?.ready === false));
    // The client's node has the REJECT (the proxy follows the slice), then a connection is refused at once.
    const tag = clusterTag(L.dir);
    const [ns, ...save] = [...nodeExec(`skiff-${name}-1`), 'iptables-save', '-t', 'filter'];
    await eventuallyInLab("node 1's REJECT for web", async () => (await exec(ns!, save)).stdout.split('\n').some((l) => l.startsWith(`-A ${tag}-`) && l.includes('"default/web:http has no endpoints"') && l.includes('-j REJECT')), 30_000);
    // curl, not busybox wget: wget sleeps a second after a failed connect before it exits.
    const refused = await inClient("curl -sS -v -o /dev/null -w 'took %{time_total}\\n' http://web 2>&1; echo \"exit $?\"");
    expect(refused.out).toMatch(/connect to [\d.]+ port 80 failed: Connection refused/);
    expect(refused.out).toMatch(/exit 7/);
    expect(Number(/took ([\d.]+)/.exec(refused.out)?.[1])).toBeLessThan(0.5);

    // Scaled back to 1: the client polls until it is served; the first answer against the pod's Ready time.
    const polling = inClient("while ! out=$(curl -sf --max-time 2 http://web); do sleep 0.05; done; echo \"served $(cut -d' ' -f1 /proc/uptime) $out\"", 180_000);
    await kubectl(['scale', 'deployment/web', '--replicas=1']);
    const polled = await polling;
    const [, servedAt, by] = /served ([\d.]+) (\S+)/.exec(polled.out) ?? [];
    const pod = await L.client.pods.get(by ?? '', { namespace: 'default' });
    const readyAt = Date.parse(pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status === 'True')?.lastTransitionTime ?? '') / 1000;
    const delay = uptimeToWall(Number(servedAt)) - readyAt;
    console.log(`served ${delay.toFixed(2)} s after the Ready condition's time (whole seconds, truncated)`);
    // Condition times are whole seconds: "within 2 s of Ready" is under 3 s against the truncated stamp.
    expect(delay).toBeLessThan(3);
    const loop = await inClient('for i in $(seq 30); do wget -qO- http://web || echo FAILED; done');
    expect([...new Set(loop.out.split('\n').filter(Boolean))]).toEqual([by]);
  }, 300_000);

  it('loses no request of a steady loop through a rolling update (readiness probes, a preStop sleep)', async () => {
    await kubectl(['scale', 'deployment/web', '--replicas=3']);
    await readyWebPods(3);
    await kubectl(['delete', 'pod', 'unready', '--wait=false']);
    const old = new Set((await webPods()).map((p) => p.metadata.name));
    // One line per request in /tmp/loop (to watch it run), the totals at the end (/tmp/stop ends it).
    const loop = inClient('rm -f /tmp/stop /tmp/loop; ok=0; fail=0; while [ ! -f /tmp/stop ]; do if wget -qO- http://web >/dev/null; then ok=$((ok+1)); echo ok >> /tmp/loop; else fail=$((fail+1)); echo FAILED >> /tmp/loop; fi; done; echo "ok=$ok fail=$fail"', 240_000);
    const requests = async () => Number((await inClient('cat /tmp/loop 2>/dev/null | wc -l')).out.trim());
    await eventuallyInLab('the request loop to run', async () => (await requests()) >= 5);
    await apply(webDeployment('2'));
    await kubectl(['rollout', 'status', 'deployment/web', '--timeout=180s'], undefined, 190_000);
    // Until every old pod is gone (its preStop sleep and stop included), and a few requests after.
    await eventuallyInLab('the old pods gone', async () => (await webPods()).every((p) => !old.has(p.metadata.name)), 120_000);
    const after = await requests();
    await eventuallyInLab('requests after the rollout', async () => (await requests()) >= after + 5);
    await inClient('touch /tmp/stop');
    const totals = /ok=(\d+) fail=(\d+)/.exec((await loop).out);
    console.log(`rolling update under load: ${totals?.[0]}`);
    expect(Number(totals?.[2])).toBe(0);
    expect(Number(totals?.[1])).toBeGreaterThan(10);
  }, 300_000);

  it('gives each ready pod of a headless Service an A record, and SRV records for its named port', async () => {
    await apply(service('web-headless', { clusterIP: 'None', selector: { tier: 'web' }, ports: [{ name: 'http', port: 8080, targetPort: 'http' }] }));
    const pods = await readyWebPods(3);
    const ips = pods.map((p) => p.status?.podIP ?? '').sort();
    const fqdn = 'web-headless.default.svc.cluster.local';
    const addresses = await eventuallyInLab('the headless A records', async () => {
      const r = await inClient(`nslookup ${fqdn}`);
      const found = [...r.out.matchAll(/^Address: ([\d.]+)$/gm)].map((m) => m[1]).sort();
      return JSON.stringify(found) === JSON.stringify(ips) ? found : undefined;
    }, 60_000);
    expect(addresses).toEqual(ips);
    const srv = await inClient(`nslookup -type=SRV _http._tcp.${fqdn}`);
    // "service = priority weight port target", one per pod; the target is the dashed address under the Service.
    const records = [...srv.out.matchAll(/service = \d+ \d+ (\d+) (\S+)/g)].map((m) => `${m[1]} ${m[2]}`).sort();
    expect(records).toEqual(ips.map((ip) => `8080 ${ip.replaceAll('.', '-')}.${fqdn}`).sort());
  }, 120_000);

  it('chains a frontend to a backend Service by name across nodes', async () => {
    // A CGI page on node 1 that calls the `web` Service (nodes 2 and 3) by name and shows its answer.
    const cgi = '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\n"\necho "frontend $(hostname) got $(wget -qO- http://web)"\n';
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'frontend', labels: { app: 'frontend' } },
      spec: {
        nodeName: node(1),
        terminationGracePeriodSeconds: 1,
        containers: [{
          name: 'c',
          image: L.image,
          env: [{ name: 'CGI', value: cgi }],
          command: ['sh', '-c', 'mkdir -p /www/cgi-bin && printf "%s" "$CGI" > /www/cgi-bin/index.cgi && chmod +x /www/cgi-bin/index.cgi && exec httpd -f -p 8080 -h /www'],
          ports: [{ name: 'http', containerPort: 8080 }],
          readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 1 },
        }],
      },
    });
    await apply(service('frontend', { selector: { app: 'frontend' }, ports: [{ port: 80, targetPort: 'http' }] }));
    const backends = (await readyWebPods(3)).map((p) => p.metadata.name);
    const r = await eventuallyInLab('the frontend through its Service', async () => {
      const r = await inClient('wget -qO- http://frontend/cgi-bin/index.cgi');
      return r.code === 0 && /got \S/.test(r.out) ? r : undefined;
    }, 60_000);
    const [, backend] = /^frontend frontend got (\S+)$/m.exec(r.out) ?? [];
    expect(backends).toContain(backend);
  }, 120_000);

  it('reaches https://kubernetes.default.svc from a lab node, verified with the kube-root-ca.crt CA', async () => {
    // curl verifies; the node relay's own address is not a name of the certificate, so the same CA
    // refuses it there. (No token: pods get no service account token yet, so the answer is a 401.)
    const script = [
      'curl -sS --max-time 10 --cacert /ca/ca.crt -o /dev/null -w "svc %{http_code} verify %{ssl_verify_result}\\n" https://kubernetes.default.svc/version',
      'curl -sS --max-time 10 --cacert /ca/ca.crt -o /dev/null https://$NODE_IP:6443/version; echo "by node address: exit $?"',
    ].join('; ');
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'tls' },
      spec: {
        nodeName: node(3),
        restartPolicy: 'Never',
        containers: [{
          name: 'c',
          image: curlImage,
          command: ['sh', '-c', script],
          env: [{ name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } }],
          volumeMounts: [{ name: 'ca', mountPath: '/ca' }],
        }],
        volumes: [{ name: 'ca', configMap: { name: 'kube-root-ca.crt' } }],
      },
    });
    const phase = await eventuallyInLab('the tls pod to finish', async () => {
      const p = await L.client.pods.get('tls', { namespace: 'default' });
      return p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' ? p.status.phase : undefined;
    });
    const log = await kubectl(['logs', 'tls']);
    expect({ phase, log }).toEqual({ phase: 'Succeeded', log: expect.stringMatching(/^svc (200|401|403) verify 0$/m) });
    expect(log).toMatch(/^by node address: exit 60$/m);
  }, 120_000);

  it('leaves nothing of the lab in the host\'s iptables after lab down', async () => {
    const clusterIPs = await Promise.all(['web', 'web-np', 'frontend'].map(async (s) => (await L.client.resourceByName<Service>('services', '').get(s, { namespace: 'default' })).spec?.clusterIP ?? ''));
    expect(clusterIPs.every((ip) => ip.startsWith('10.96.'))).toBe(true);
    // The rules were there, in the nodes' own namespaces.
    const tag = clusterTag(L.dir);
    const [cmd, ...args] = [...nodeExec(`skiff-${name}-2`), 'iptables-save'];
    expect((await exec(cmd!, args)).stdout).toContain(`:${tag}-SERVICES`);
    await L.down();
    const rules = (await exec('iptables-save')).stdout.split('\n').filter((l) => l.includes(tag) || l.includes('10.213.0.') || l.includes('10.214.') || clusterIPs.some((ip) => l.includes(`${ip}/32`)));
    expect(rules).toEqual([]);
    expect((await exec('ip', ['netns', 'list'])).stdout).not.toContain(`skiff-${name}-`);
  }, 300_000);
});
