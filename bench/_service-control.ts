// `npm run bench -- service --only control [--services N] [--endpoints M] [--rounds R] [--changes C]`
// The node proxy's control path at 1,000 Services × 10 endpoints (by default): an API server
// and etcd (bench/_control-plane.ts), Services without selectors and EndpointSlices written by
// the benchmark (no pods), and the real proxy code (proxy/syncer.ts, in a process of its own,
// as the node agent runs it: default 1 s min sync period, the node's credentials) watching
// through the API server and writing its rules into a network namespace of the benchmark's own.
//
//  1. fullSync (rounds alternate): the proxy starts on an empty cluster, the benchmark writes
//     every Service, then every slice, the probe Service's slice last; skiff = from that last
//     write's request to the rules being in place. Anchor: iptables-restore of the same rule
//     set (the same function builds it) loaded directly into a fresh namespace (spawn to exit).
//     Goal: ratio ≤ 1.5. The proxy syncs while the writes go on, as a node's would, so what is
//     left after the last write is less than the whole: the time from the first write to the
//     rules in place is printed beside it.
//  2. endpointChange (≥ 20 rounds): at full size, one endpoint of the probe Service moves to a
//     new address; skiff = from the slice update's request to the rule being in place, p50 and
//     p99 (goal ≤ 100 ms). Anchor: iptables-restore into the same namespace of a payload of the
//     same shape (the probe's SVC chain and one SEP chain written again as they are, a chain
//     created and deleted), i.e. the kernel's own cost at that table size. Changes are at least
//     the proxy's min sync period apart: closer ones are coalesced by design.
//
// "In place" is observed from outside the proxy, never from its log:
//  - fullSync: a client in the node's namespace connects to the probe Service's ClusterIP
//    every few ms (each try gives up after 100 ms) until one of its endpoints answers (they
//    are addresses of the node's own); one restore carries the whole sync, so the last
//    Service answering means its sync is in the kernel. Then (not timed) iptables-save must
//    hold every Service's SVC chain and every endpoint's SEP chain.
//  - endpointChange: `xtables-monitor` in the node's namespace (the kernel's netlink
//    notifications of committed rule changes): the time is when the notification of the
//    transaction that added the DNAT to the new address arrives. At the end, (not timed)
//    connections to the probe's ClusterIP must all be answered by its current endpoints.
// Every namespace and process the benchmark makes is removed when it ends, also on Ctrl-C.
import path from 'node:path';
import type { EndpointSlice, Service } from '../api/types/service.js';
import { isApiError } from '../api/errors.js';
import { runCommand } from '../proxy/iptables.js';
import { buildRules, buildServiceRules, builtinJumps } from '../proxy/rules.js';
import { restorePayload } from '../proxy/restore-payload.js';
import { servicePorts } from '../proxy/service-ports.js';
import { startProcess, type Proc } from '../test/fixtures/process.js';
import { pool } from './api.js';
import { startControlPlane } from './_control-plane.js';
import { intArg, median, percentile, stopAll } from './measure.js';
import { compare, stopIfInterrupted, summary } from './rounds.js';

const TAG = 'SKPCTL';
const NODE = 'node-1';
const PORT = 8080;
// P's addresses (10.74.0.0/16): ClusterIPs from the lower half, fake endpoints above, the
// probe's real endpoints and the addresses it moves to as the node's own.
const SERVICE_RANGE = '10.74.0.0/17';
const CLUSTER_CIDR = '10.74.192.0/20';
const now = (): number => performance.timeOrigin + performance.now();
const ipAt = (base: number, i: number): string => `10.74.${base + (i >> 8)}.${i & 255}`;

interface Scale {
  services: number;
  endpoints: number;
}

/** Round r's objects: Service i gets ClusterIP r·S+i+2 (.1 is the kubernetes Service's; never reused, so no wait for a release). */
function objects(s: Scale, round: number, probeIPs: string[]): { services: Service[]; slices: EndpointSlice[] } {
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  for (let i = 0; i < s.services; i++) {
    const name = `ctl-${i}`;
    const probe = i === s.services - 1;
    services.push({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: ipAt(0, round * s.services + i + 2), ports: [{ name: 'http', port: 80, targetPort: PORT, protocol: 'TCP' }] } });
    const ips = probe ? probeIPs : Array.from({ length: s.endpoints }, (_, j) => ipAt(128, i * s.endpoints + j + 1));
    slices.push(sliceOf(name, ips));
  }
  return { services, slices };
}

function sliceOf(service: string, ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-1`, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: PORT, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } })),
  };
}

/** `f` over `items`, `width` at a time (bench/api.ts's pool). */
async function each<T>(items: T[], width: number, f: (t: T) => Promise<unknown>): Promise<void> {
  await pool(items.length, width, async (i) => void (await f(items[i]!)));
}

// Answers every connection with the address it was reached at (which endpoint took it).
const SERVER = `require('node:net').createServer((s) => s.end(s.localAddress + '\\n')).listen(${PORT}, '0.0.0.0', () => process.stdout.write('ready\\n'));`;
// Connects until answered; prints the time of the first answer (then exits), or with a count,
// connects that many times and prints every answer.
const PROBER = `
const [host, count] = process.argv.slice(1);
const net = require('node:net');
const once = () => new Promise((resolve) => {
  const s = net.connect({ host, port: 80 });
  let data = '';
  s.setTimeout(100, () => { s.destroy(); resolve(''); });
  s.on('data', (b) => { data += b; });
  s.on('end', () => resolve(data.trim()));
  s.on('error', () => resolve(''));
});
(async () => {
  if (count) { const out = []; for (let i = 0; i < Number(count); i++) out.push(await once()); process.stdout.write(JSON.stringify(out)); return; }
  for (;;) { const a = await once(); if (a) { process.stdout.write((performance.timeOrigin + performance.now()) + ' ' + a + '\\n'); return; } await new Promise((r) => setTimeout(r, 3)); }
})();`;
// The proxy as the node agent runs it, in the host namespace, its commands in the node's.
const PROXY = `
const [syncerUrl, restUrl, cfgJson] = process.argv.slice(1);
const cfg = JSON.parse(cfgJson);
const { ProxySyncer } = await import(syncerUrl);
const { RestClient } = await import(restUrl);
const client = new RestClient({ server: cfg.server, token: cfg.token, ca: cfg.ca, namespace: 'default' });
const say = (level) => (o, m) => process.stderr.write(level + ' ' + m + ' ' + JSON.stringify(o) + '\\n');
const logger = { debug() {}, info() {}, warn: say('warn'), error: say('error') };
const proxy = new ProxySyncer({ client, nodeName: cfg.node, rules: { tag: cfg.tag, clusterCIDR: cfg.clusterCIDR }, logger, commandPrefix: ['ip', 'netns', 'exec', cfg.ns] });
process.once('SIGTERM', () => proxy.stop().then(() => { client.close(); process.exit(0); }));
await proxy.start();
process.stdout.write('started\\n');`;

function waitOutput(p: Proc, re: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const m = re.exec(p.output());
      if (m) resolve(m);
    };
    p.child.stdout?.on('data', check);
    void p.exited.then(() => reject(new Error(`${what} exited: ${p.output().slice(-2000)}`)));
    check();
  });
}

/** Namespaces and processes of the run; `close` removes all of them. */
class Lab {
  readonly #procs: Proc[] = [];
  readonly #namespaces = new Set<string>();
  #n = 0;

  start(cmd: string, args: string[]): Proc {
    const p = startProcess(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#procs.push(p);
    return p;
  }

  async stop(p: Proc): Promise<void> {
    await p.stop(5000);
    this.#procs.splice(this.#procs.indexOf(p), 1);
  }

  /** A fresh namespace; with `addresses`, the node's own (a server answers on them). */
  async namespace(addresses: string[] = []): Promise<string> {
    const ns = `skpc${process.pid % 100000}n${this.#n++}`;
    await runCommand(['ip', 'netns', 'add', ns]);
    this.#namespaces.add(ns);
    const batch = ['link set lo up'];
    if (addresses.length) {
      // The endpoints' addresses are the node's own; a ClusterIP is routed out of a veth (as a
      // real node's uplink) until DNAT sends it to one of them.
      batch.push(...addresses.map((a) => `addr add ${a}/32 dev lo`), 'link add up0 type veth peer name up1', 'link set up0 up', 'link set up1 up', 'route add default dev up0');
    }
    await runCommand(['ip', '-n', ns, '-batch', '-'], `${batch.join('\n')}\n`);
    if (addresses.length) await waitOutput(this.start('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVER]), /ready/, 'endpoint server');
    return ns;
  }

  async remove(ns: string): Promise<void> {
    await runCommand(['ip', 'netns', 'del', ns]);
    this.#namespaces.delete(ns);
  }

  async close(): Promise<void> {
    for (const p of [...this.#procs].reverse()) await p.stop(5000).catch(() => undefined);
    for (const ns of this.#namespaces) await runCommand(['ip', 'netns', 'del', ns]).catch((e: Error) => process.stderr.write(`${e.message}\n`));
  }
}

/** xtables-monitor in `ns`: resolves the time a committed transaction's notification carried a matching rule. */
function monitor(lab: Lab, ns: string): { proc: Proc; next(match: string): Promise<number> } {
  const proc = lab.start('ip', ['netns', 'exec', ns, 'stdbuf', '-oL', 'xtables-monitor', '-e', '-4']);
  let waiter: { match: string; seen: boolean; resolve(t: number): void } | undefined;
  let buf = '';
  proc.child.stdout?.on('data', (b: Buffer) => {
    const t = now();
    buf += b.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (!waiter) continue;
      if (line.includes(waiter.match)) waiter.seen = true;
      else if (line.startsWith('NEWGEN') && waiter.seen) {
        waiter.resolve(t);
        waiter = undefined;
      }
    }
  });
  return { proc, next: (match) => new Promise((resolve) => (waiter = { match, seen: false, resolve })) };
}

export async function runSection(args: string[]): Promise<Record<string, unknown>> {
  const scale: Scale = { services: intArg(args, 'services', 1000), endpoints: intArg(args, 'endpoints', 10) };
  const rounds = intArg(args, 'rounds', 3);
  const changes = intArg(args, 'changes', 20);
  if (scale.services * scale.endpoints > 16_000 || (rounds + 1) * scale.services > 32_000) throw new Error('at most 16,000 endpoints and 32,000 ClusterIPs (rounds + 1 times the Services) in 10.74.0.0/16');
  const probeIPs = Array.from({ length: scale.endpoints }, (_, j) => `10.74.250.${j + 1}`);
  const movedTo = Array.from({ length: changes }, (_, j) => `10.74.${251 + (j >> 8)}.${(j & 255) + 1}`);
  const say = (l: string): void => void process.stdout.write(`${l}\n`);
  const stops: (() => Promise<void> | void)[] = [];
  const lab = new Lab();
  stops.push(() => lab.close());
  try {
    const cp = await startControlPlane(stops, { serviceClusterIPRange: SERVICE_RANGE });
    const svcApi = cp.admin.resourceByName<Service>('services', '');
    const sliceApi = cp.admin.resourceByName<EndpointSlice>('endpointslices', 'discovery.k8s.io');
    const dist = path.dirname(import.meta.dirname);
    const proxyCfg = (ns: string) => JSON.stringify({ server: cp.api.url, token: cp.api.nodeToken(NODE), ca: cp.ca.toString(), node: NODE, tag: TAG, clusterCIDR: CLUSTER_CIDR, ns });
    const startProxy = async (ns: string): Promise<Proc> => {
      const p = lab.start(process.execPath, ['--input-type=module', '-e', PROXY, `file://${dist}/proxy/syncer.js`, `file://${dist}/client/rest.js`, proxyCfg(ns)]);
      await waitOutput(p, /started/, 'proxy');
      return p;
    };
    const prober = (ns: string, ip: string): Proc => lab.start('ip', ['netns', 'exec', ns, process.execPath, '-e', PROBER, ip]);
    const clean = (items: { metadata: { name?: string } }[], kind: 'services' | 'slices') =>
      each(items, 32, (o) =>
        (kind === 'services' ? svcApi : sliceApi).delete(o.metadata.name!, { namespace: 'default' }).catch((e: unknown) => {
          // A round that failed half way wrote only some.
          if (!isApiError(e, 'NotFound')) throw e;
        }),
      );
    const fullPayload = (round: number): string => {
      const o = objects(scale, round, probeIPs);
      return restorePayload({ next: buildRules(servicePorts(o.services, o.slices, NODE), { tag: TAG, clusterCIDR: CLUSTER_CIDR }), present: { nat: [], filter: [] }, missingJumps: builtinJumps(TAG) }).text;
    };
    say(`control path: ${scale.services} Services × ${scale.endpoints} endpoints (${(fullPayload(0).match(/\n-A /g) ?? []).length} rules)`);

    // The proxy syncs while the writes go on: what is left after the last one is the figure
    // the goal is about; the whole, from the first write, is printed beside it.
    const whole: { writes: number; total: number }[] = [];
    const fullSync = await compare({
      name: 'fullSync',
      unit: 'ms',
      rounds,
      target: 1.5,
      say,
      anchor: {
        label: 'iptables-restore of the same rules',
        measure: async (round) => {
          const payload = fullPayload(round);
          const ns = await lab.namespace();
          const t0 = now();
          await runCommand(['ip', 'netns', 'exec', ns, 'iptables-restore', '--noflush'], payload);
          const dt = now() - t0;
          await lab.remove(ns);
          return dt;
        },
      },
      skiff: {
        label: 'API writes to rules in place',
        measure: async (round) => {
          const o = objects(scale, round, probeIPs);
          const ns = await lab.namespace(probeIPs);
          const proxy = await startProxy(ns);
          try {
            const first = now();
            await each(o.services, 32, (s) => svcApi.create(s));
            const probe = prober(ns, o.services.at(-1)!.spec.clusterIP!);
            await each(o.slices.slice(0, -1), 32, (s) => sliceApi.create(s));
            stopIfInterrupted('fullSync');
            const t0 = now();
            await sliceApi.create(o.slices.at(-1)!);
            const [, at] = await waitOutput(probe, /^([\d.]+) /m, 'prober');
            const dt = Number(at) - t0;
            whole.push({ writes: t0 - first, total: Number(at) - first });
            const save = await runCommand(['ip', 'netns', 'exec', ns, 'iptables-save', '-t', 'nat']);
            const count = (kind: string): number => save.split('\n').filter((l) => l.startsWith(`:${TAG}-${kind}-`)).length;
            if (count('SVC') !== scale.services || count('SEP') !== scale.services * scale.endpoints) throw new Error(`fullSync: ${count('SVC')} SVC and ${count('SEP')} SEP chains in place, not ${scale.services} and ${scale.services * scale.endpoints}`);
            return dt;
          } finally {
            await lab.stop(proxy);
            await lab.remove(ns);
            await clean(o.slices, 'slices');
            await clean(o.services, 'services');
          }
        },
      },
    });

    const wholeMs = { writes: Math.round(median(whole.map((w) => w.writes))), total: Math.round(median(whole.map((w) => w.total))) };
    say(`fullSync: from the first of ${2 * scale.services} API writes to rules in place, median ${wholeMs.total} ms (the writes themselves ${wholeMs.writes} ms)`);

    // Endpoint changes at full size: objects first, then the proxy's first (full) sync.
    stopIfInterrupted('endpointChange');
    const o = objects(scale, rounds, probeIPs);
    const ns = await lab.namespace([...probeIPs, ...movedTo]);
    await each(o.services, 32, (s) => svcApi.create(s));
    await each(o.slices, 32, (s) => sliceApi.create(s));
    const probeSvc = o.services.at(-1)!;
    const probeName = probeSvc.metadata.name!;
    await startProxy(ns);
    await waitOutput(prober(ns, probeSvc.spec.clusterIP!), /^([\d.]+) /m, 'prober');
    const mon = monitor(lab, ns);
    // xtables-monitor listens once it has printed nothing for a moment: wait for one event of its own.
    const ready = mon.next(`${TAG}-BENCH-READY`);
    const scratch = `*nat\n:${TAG}-BENCH-READY - [0:0]\n-A ${TAG}-BENCH-READY -j RETURN\n-F ${TAG}-BENCH-READY\n-X ${TAG}-BENCH-READY\nCOMMIT\n`;
    for (let i = 0; i < 50; i++) {
      await runCommand(['ip', 'netns', 'exec', ns, 'iptables-restore', '--noflush'], scratch);
      if (await Promise.race([ready.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 200))])) break;
    }
    let current = [...probeIPs];
    let slice = await sliceApi.get(`${probeName}-1`, { namespace: 'default' });
    // The first change too comes a min sync period after the proxy's last sync (its first).
    let lastChange = Date.now();
    const endpointChange = await compare({
      name: 'endpointChange',
      unit: 'ms',
      rounds: changes,
      say,
      anchor: {
        label: 'iptables-restore of one Service',
        measure: async () => {
          const rules = buildServiceRules(servicePorts([probeSvc], [sliceOf(probeName, current)], NODE), { tag: TAG, clusterCIDR: CLUSTER_CIDR });
          const [svc, sep] = [...rules.nat.keys()].filter((c) => c.startsWith(`${TAG}-SVC-`) || c.startsWith(`${TAG}-SEP-`));
          const x = `${TAG}-SEP-BENCHSCRATCH`;
          const payload = ['*nat', `:${svc} - [0:0]`, `:${sep} - [0:0]`, `:${x} - [0:0]`, ...rules.nat.get(svc!)!, ...rules.nat.get(sep!)!, `-X ${x}`, 'COMMIT', ''].join('\n');
          const t0 = now();
          await runCommand(['ip', 'netns', 'exec', ns, 'iptables-restore', '--noflush'], payload);
          return now() - t0;
        },
      },
      skiff: {
        label: 'API write to rule in place',
        measure: async (round) => {
          // Changes closer than the min sync period are coalesced into one sync by design.
          await new Promise((r) => setTimeout(r, Math.max(0, lastChange + 1100 - Date.now())));
          const to = movedTo[round]!;
          current = current.map((ip, j) => (j === round % scale.endpoints ? to : ip));
          const applied = mon.next(`--to-destination ${to}:${PORT}`);
          const t0 = now();
          lastChange = Date.now();
          slice = await sliceApi.update({ ...slice, endpoints: sliceOf(probeName, current).endpoints });
          return (await applied) - t0;
        },
      },
    });
    const answers = JSON.parse(await runCommand(['ip', 'netns', 'exec', ns, process.execPath, '-e', PROBER, probeSvc.spec.clusterIP!, '60'])) as string[];
    const stray = answers.filter((a) => !current.includes(a));
    if (stray.length) throw new Error(`endpointChange: connections answered by ${[...new Set(stray)].join(', ')}, not the probe's current endpoints`);
    const sorted = [...endpointChange.skiff.values].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    say(`endpointChange: API write to rule in place p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${sorted.length} changes; goal ≤ 100 ms: ${p99 <= 100 ? 'met' : p50 <= 100 ? 'met at p50, NOT at p99' : 'NOT met'}; 60 connections answered by the current endpoints (${new Set(answers).size} of ${scale.endpoints})`);
    return { ...scale, fullSync: { ...summary(fullSync), fromFirstWriteMs: wholeMs },  endpointChange: { ...summary(endpointChange), p50: Math.round(p50 * 10) / 10, p99: Math.round(p99 * 10) / 10, goalMs: 100 } };
  } finally {
    await stopAll(stops);
  }
}
