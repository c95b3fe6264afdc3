// `npm run bench -- api`: the API server's write path and watch fan-out against raw etcd,
// all measured in this run. Started as `skiff up` starts them: etcd with mutual TLS and a CA
// of its own (the managed member's command line, cluster/etcd.ts), and a `skiff apiserver`
// process serving HTTPS only (a certificate from a CA made by cluster/pki.ts) with bearer
// tokens, talking to etcd with its client certificate. This process is the clients; the
// anchors reach etcd over the same TLS with the same client certificate.
//  1. Calibration: creates from 50 clients, counting etcd's Txn calls (its /metrics) to learn
//     how many creates the API server's group commit puts in one Txn (the batch size).
//  2. Creates vs transactions, in alternating rounds (bench/rounds.ts): per round N pod creates
//     from 50 concurrent keep-alive HTTPS clients (creates/s, p50/p99), and N raw etcd writes
//     of the stored object's bytes as Txns of the batch size just measured, each write with
//     the create's compare (create_revision == 0), about 50 writes in flight. Median ratio creates/s
//     ÷ writes/s and its spread; target >= 0.5.
//  3. Creates vs single puts, the same way: N plain puts, 50 in flight (the anchor that
//     ignores both the compare and the batching; it flatters etcd less than it flatters us).
//  4. Watch fan-out, once per round: 200 watchers on one namespace while 500 pods are created
//     there (5 in flight): p99 delay from each create being sent to each watcher receiving its
//     event, and from the create's 201 (the fan-out alone); median over the rounds, target
//     < 100 ms. No anchor is measured for it: the target is the issue's, not a measurement.
// Every phase also reports CPU ms per operation of the API server, etcd and this client (the
// median over rounds): on a shared 2-core machine the wall figures mostly measure the
// neighbours, the CPU cost per operation does not. Nothing here is literature; every figure
// is measured in this run.
// Sizes: SKIFF_BENCH_CREATES (per round, default 10,000), SKIFF_BENCH_WATCHERS (200),
// SKIFF_BENCH_ROUNDS (3, at least 3).
import { Etcd3 } from 'etcd3';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import { etcdClientCredentials, type EtcdClientTls } from '../cluster/etcd-credentials.js';
import { startApiServer } from '../test/fixtures/apiserver.js';
import { startEtcd } from '../test/fixtures/etcd.js';
import { cpuMs, median, percentile, selfCpuMs } from './measure.js';
import { compare, spreadOf, summary, type Spread } from './rounds.js';

const CREATES = Number(process.env.SKIFF_BENCH_CREATES ?? 10_000);
const CONCURRENCY = 50;
const WATCHERS = Number(process.env.SKIFF_BENCH_WATCHERS ?? 200);
const ROUNDS = Number(process.env.SKIFF_BENCH_ROUNDS ?? 3);
const CALIBRATION_CREATES = Math.min(2000, CREATES);
const WATCHED_WRITES = 500;
const WATCHED_WRITE_CONCURRENCY = 5;
const NS = 'bench';

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

interface CpuPerOp {
  api: number;
  etcd: number;
  client: number;
}

/** CPU ms per operation of the API server, etcd and this process over a phase. */
function cpuMeter(pids: { api?: number; etcd: number }): (ops: number) => CpuPerOp {
  const a0 = cpuMs(pids.api);
  const e0 = cpuMs(pids.etcd);
  const c0 = selfCpuMs();
  return (ops) => ({
    api: round((cpuMs(pids.api) - a0) / ops, 3),
    etcd: round((cpuMs(pids.etcd) - e0) / ops, 3),
    client: round((selfCpuMs() - c0) / ops, 3),
  });
}

/** The median of each field over the rounds. */
function medianCpu(xs: CpuPerOp[]): CpuPerOp {
  return { api: round(median(xs.map((c) => c.api)), 3), etcd: round(median(xs.map((c) => c.etcd)), 3), client: round(median(xs.map((c) => c.client)), 3) };
}

const showCpu = (c: CpuPerOp, withApi = true) => `CPU ms/op: ${withApi ? `apiserver ${c.api}, ` : ''}etcd ${c.etcd}, client ${c.client}`;

function podBody(name: string, ns: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'bench', tier: 'load' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'busybox:1.36',
          command: ['sleep', '3600'],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
        },
      ],
    },
  });
}

/** One request to the API server over the agent's HTTPS connections, with the bearer token. */
export function request(agent: https.Agent, url: URL, method: string, path: string, token: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(body ? { 'content-length': Buffer.byteLength(body) } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs `total` tasks with `concurrency` in flight; answers each task's latency in ms. */
export async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
  const latencies: number[] = new Array<number>(total);
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t0 = process.hrtime.bigint();
        await task(i);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { latencies: latencies.sort((a, b) => a - b), seconds };
}

/** etcd's count of Txn calls so far, from its /metrics (over its client TLS). */
async function etcdTxnCalls(endpoint: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<number> {
  const text = await new Promise<string>((resolve, reject) => {
    https
      .get(`${endpoint}/metrics`, { ...tls, servername: 'localhost' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
  const m = /^grpc_server_started_total\{grpc_method="Txn",grpc_service="etcdserverpb.KV",grpc_type="unary"\} (\d+)/m.exec(text);
  if (!m) throw new Error("etcd's /metrics has no Txn counter");
  return Number(m[1]);
}

async function readTls(files: EtcdClientTls): Promise<{ ca: Buffer; cert: Buffer; key: Buffer }> {
  const [ca, cert, key] = await Promise.all([readFile(files.caFile), readFile(files.certFile), readFile(files.keyFile)]);
  return { ca, cert, key };
}

interface PhaseFigures {
  perSec: number;
  p50: number;
  p99: number;
  cpu: CpuPerOp;
}

/** Txns of `size` writes in flight at once: as many writes in flight as the API server's clients send. */
const txnsInFlight = (size: number) => Math.max(1, Math.round(CONCURRENCY / size));

const showPhase = (what: string, f: PhaseFigures, extra = '', withApi = false) =>
  `  ${what}: ${round(f.perSec, 0)}/s, p50 ${round(f.p50)} ms, p99 ${round(f.p99)} ms${extra}; ${showCpu(f.cpu, withApi)}\n`;

export async function run(): Promise<Record<string, unknown>> {
  if (!(CREATES > 0) || !(WATCHERS > 0)) throw new Error('SKIFF_BENCH_CREATES and SKIFF_BENCH_WATCHERS must be positive');
  const etcd = await startEtcd({ tls: true });
  const etcdTls = etcd.tls as EtcdClientTls;
  let api: Awaited<ReturnType<typeof startApiServer>> | undefined;
  let raw: Etcd3 | undefined;
  let agent: https.Agent | undefined;
  try {
    api = await startApiServer({ etcd, tls: 'only', logLevel: process.env.SKIFF_BENCH_LOG_LEVEL ?? 'info' });
    const token = api.adminToken;
    const url = new URL(api.url);
    const ca = await readFile(api.caFile as string);
    const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 10, ca });
    agent = httpsAgent;
    const etcdClient = new Etcd3({ hosts: etcd.endpoint, credentials: await etcdClientCredentials(etcdTls) });
    raw = etcdClient;
    const metricsTls = await readTls(etcdTls);
    const pids = { api: api.proc?.pid, etcd: etcd.proc.pid };
    const post = (path: string, body: string) => request(httpsAgent, url, 'POST', path, token, body);

    const mk = await post('/api/v1/namespaces', JSON.stringify({ metadata: { name: NS } }));
    if (mk.status !== 201) throw new Error(`creating the namespace: ${mk.status} ${mk.text}`);

    /** N creates from 50 clients; also how many creates went in each etcd Txn. */
    const creates = async (tag: string, count: number): Promise<PhaseFigures & { batch: number; storedBytes: number }> => {
      let storedBytes = 0;
      let failures = 0;
      const txns0 = await etcdTxnCalls(etcd.endpoint, metricsTls);
      const meter = cpuMeter(pids);
      const r = await pool(count, CONCURRENCY, async (i) => {
        const res = await post(`/api/v1/namespaces/${NS}/pods`, podBody(`${tag}-${i}`, NS));
        if (res.status !== 201) {
          failures++;
          if (failures < 5) process.stderr.write(`create ${tag}-${i}: ${res.status} ${res.text.slice(0, 200)}\n`);
        } else if (i === 0) storedBytes = Buffer.byteLength(res.text);
      });
      const cpu = meter(count);
      if (failures) throw new Error(`${failures} creates failed`);
      const batch = count / Math.max(1, (await etcdTxnCalls(etcd.endpoint, metricsTls)) - txns0);
      return { perSec: count / r.seconds, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), cpu, batch, storedBytes };
    };

    // Calibration, which also warms both paths (JIT, connections) before anything counts.
    const calibration = await creates('warm', CALIBRATION_CREATES);
    const value = 'x'.repeat(calibration.storedBytes);
    for (let i = 0; i < 200; i++) await etcdClient.put(`/bench-raw/warm-${i}`).value(value);
    let batch = Math.max(1, Math.round(calibration.batch));
    process.stdout.write(
      `calibration: ${CALIBRATION_CREATES} creates of ${calibration.storedBytes} B from ${CONCURRENCY} clients over HTTPS, ` +
        `${round(calibration.batch, 1)} creates per etcd Txn (the API server's group commit)\n`,
    );

    /** N raw etcd writes of the stored bytes: Txns of `size` compare-and-puts, or plain puts (size 0). */
    const writes = async (tag: string, count: number, size: number): Promise<PhaseFigures> => {
      const key = (i: number) => `/bench-raw/pods/${NS}/${tag}-${i}`;
      const meter = cpuMeter(pids);
      let r: { latencies: number[]; seconds: number };
      if (size === 0) {
        r = await pool(count, CONCURRENCY, async (i) => void (await etcdClient.put(key(i)).value(value)));
      } else {
        const txns = Math.ceil(count / size);
        r = await pool(txns, txnsInFlight(size), async (t) => {
          const keys = Array.from({ length: Math.min(size, count - t * size) }, (_, j) => key(t * size + j));
          let cmp = etcdClient.if(keys[0] as string, 'Create', '==', 0);
          for (const k of keys.slice(1)) cmp = cmp.and(k, 'Create', '==', 0);
          const res = await cmp.then(...keys.map((k) => etcdClient.put(k).value(value))).commit();
          if (!res.succeeded) throw new Error(`anchor Txn ${tag}-${t}: a compare failed`);
        });
      }
      return { perSec: count / r.seconds, p50: percentile(r.latencies, 50), p99: percentile(r.latencies, 99), cpu: meter(count) };
    };

    const seen = { creates: [] as (PhaseFigures & { batch: number })[], txns: [] as PhaseFigures[], puts: [] as PhaseFigures[] };
    /** Creates against one anchor (Txns of the batch size just measured, or single puts), in alternating rounds. */
    const versus = (anchor: 'txns' | 'puts') =>
      compare({
        name: `creates vs etcd ${anchor}`,
        unit: '/s',
        rounds: ROUNDS,
        higherIsBetter: true,
        target: 0.5,
        skiff: {
          label: 'api creates',
          measure: async (r) => {
            const f = await creates(`${anchor}-${r}`, CREATES);
            seen.creates.push(f);
            batch = Math.max(1, Math.round(f.batch));
            process.stdout.write(showPhase('api creates', f, `, ${round(f.batch, 1)} per etcd Txn`, true));
            return f.perSec;
          },
        },
        anchor: {
          label: `etcd ${anchor}`,
          measure: async (r) => {
            const size = anchor === 'txns' ? batch : 0;
            const f = await writes(`${anchor}-${r}`, CREATES, size);
            seen[anchor].push(f);
            process.stdout.write(showPhase(size ? `etcd txns of ${size}` : 'etcd puts', f, size ? ` (latency per Txn), ${txnsInFlight(size)} in flight` : ''));
            return f.perSec;
          },
        },
      });
    const vsTxns = await versus('txns');
    const vsPuts = await versus('puts');

    // The same comparison in CPU: what one create costs the whole machine against one write.
    const createCpu = medianCpu(seen.creates.map((f) => f.cpu));
    const txnCpu = medianCpu(seen.txns.map((f) => f.cpu));
    const putCpu = medianCpu(seen.puts.map((f) => f.cpu));
    const total = (c: CpuPerOp, withApi: boolean) => round((withApi ? c.api : 0) + c.etcd + c.client, 3);
    process.stdout.write(
      `cpu per op (median over rounds): create ${total(createCpu, true)} ms (${showCpu(createCpu)}), ` +
        `txn write ${total(txnCpu, false)} ms, put ${total(putCpu, false)} ms\n`,
    );

    const watches: WatchFigures[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const w = await watchFanOut({ agent: httpsAgent, ca, url, token, ns: `bench-watch-${r}`, pids });
      watches.push(w);
      process.stdout.write(
        `watch round ${r + 1}/${ROUNDS}: ${WATCHERS} watchers x ${WATCHED_WRITES} creates: ${w.delivered}/${w.expected} events delivered, ` +
          `delay from send p50 ${round(w.p50)} ms, p99 ${round(w.p99)} ms; from the create's 201 p99 ${round(w.p99FromAck)} ms; ` +
          `apiserver CPU ${w.apiCpuPerCreate} ms per create fanned out to ${WATCHERS}\n`,
      );
    }
    const watchP99 = spreadOf(watches.map((w) => w.p99));
    const watchP99FromAck = spreadOf(watches.map((w) => w.p99FromAck));
    const spread = (s: Spread) => `${round(s.median)} ms (${round(s.min)}..${round(s.max)})`;
    process.stdout.write(`watch: p99 from send median ${spread(watchP99)}, from the 201 median ${spread(watchP99FromAck)} over ${ROUNDS} rounds; target < 100 ms\n`);
    if (watches.some((w) => w.delivered < w.expected)) process.stdout.write('watch: NOT every event was delivered within 60 s\n');

    const med = (xs: number[]) => round(median(xs));
    return {
      creates: CREATES,
      concurrency: CONCURRENCY,
      rounds: ROUNDS,
      objectBytes: calibration.storedBytes,
      createsPerEtcdTxn: round(median(seen.creates.map((f) => f.batch)), 1),
      vsTxns: summary(vsTxns),
      vsPuts: summary(vsPuts),
      createP50Ms: med(seen.creates.map((f) => f.p50)),
      createP99Ms: med(seen.creates.map((f) => f.p99)),
      etcdTxnP99Ms: med(seen.txns.map((f) => f.p99)),
      etcdPutP99Ms: med(seen.puts.map((f) => f.p99)),
      cpuMsPerOp: { create: createCpu, txnWrite: txnCpu, put: putCpu },
      watchers: WATCHERS,
      watchEventsDelivered: watches.map((w) => w.delivered),
      watchEventsExpected: watches[0]?.expected,
      watchP99Ms: { median: round(watchP99.median), min: round(watchP99.min), max: round(watchP99.max) },
      watchP99FromAckMs: { median: round(watchP99FromAck.median), min: round(watchP99FromAck.min), max: round(watchP99FromAck.max) },
      watchApiCpuMsPerCreate: round(median(watches.map((w) => w.apiCpuPerCreate)), 3),
      loadAverage: round(os.loadavg()[0] ?? 0),
    };
  } finally {
    agent?.destroy();
    raw?.close();
    await api?.stop();
    await etcd.stop();
  }
}

interface WatchFigures {
  delivered: number;
  expected: number;
  p50: number;
  p99: number;
  p99FromAck: number;
  apiCpuPerCreate: number;
}

/** WATCHERS watches on a fresh namespace, then paced creates there: each event's delay. */
async function watchFanOut(o: { agent: https.Agent; ca: Buffer; url: URL; token: string; ns: string; pids: { api?: number; etcd: number } }): Promise<WatchFigures> {
  const { url, token, ns } = o;
  await request(o.agent, url, 'POST', '/api/v1/namespaces', token, JSON.stringify({ metadata: { name: ns } }));
  const list = JSON.parse((await request(o.agent, url, 'GET', `/api/v1/namespaces/${ns}/pods?limit=1`, token)).text) as { metadata: { resourceVersion: string } };
  const sentAt = new Map<string, bigint>();
  const ackedAt = new Map<string, bigint>();
  const delays: number[] = [];
  const deliveredAt: [string, bigint][] = [];
  let delivered = 0;
  const expected = WATCHERS * WATCHED_WRITES;
  let allDelivered: () => void = () => {};
  const done = new Promise<void>((r) => (allDelivered = r));
  const watchAgent = new https.Agent({ keepAlive: true, maxSockets: WATCHERS + 10, ca: o.ca });
  const watchReqs: ReturnType<typeof https.request>[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: WATCHERS },
        () =>
          new Promise<void>((resolve, reject) => {
            const req = https.request(
              {
                agent: watchAgent,
                host: url.hostname,
                port: url.port,
                path: `/api/v1/namespaces/${ns}/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
                headers: { authorization: `Bearer ${token}` },
              },
              (res) => {
                resolve();
                let pending = '';
                res.setEncoding('utf8');
                res.on('data', (chunk: string) => {
                  const now = process.hrtime.bigint();
                  pending += chunk;
                  let nl = pending.indexOf('\n');
                  while (nl >= 0) {
                    const line = pending.slice(0, nl);
                    pending = pending.slice(nl + 1);
                    // The name is all we need; parsing 100,000 events fully would measure this process.
                    const m = /"name":"(w-\d+)"/.exec(line);
                    const t0 = m ? sentAt.get(m[1] as string) : undefined;
                    if (t0 !== undefined && m) {
                      delays.push(Number(now - t0) / 1e6);
                      deliveredAt.push([m[1] as string, now]);
                      if (++delivered === expected) allDelivered();
                    }
                    nl = pending.indexOf('\n');
                  }
                });
              },
            );
            req.on('error', reject);
            req.end();
            watchReqs.push(req);
          }),
      ),
    );
    const meter = cpuMeter(o.pids);
    await pool(WATCHED_WRITES, WATCHED_WRITE_CONCURRENCY, async (i) => {
      const name = `w-${i}`;
      sentAt.set(name, process.hrtime.bigint());
      const r = await request(o.agent, url, 'POST', `/api/v1/namespaces/${ns}/pods`, token, podBody(name, ns));
      ackedAt.set(name, process.hrtime.bigint());
      if (r.status !== 201) throw new Error(`watched create ${i}: ${r.status} ${r.text.slice(0, 200)}`);
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, 60_000)))]);
    clearTimeout(timer);
    const cpu = meter(WATCHED_WRITES);
    delays.sort((a, b) => a - b);
    // The same deliveries measured from the create's 201 instead (0 when the event came first):
    // the fan-out alone, without the create's own round trip.
    const fromAck = deliveredAt.map(([n, t]) => Math.max(0, Number(t - (ackedAt.get(n) ?? t)) / 1e6)).sort((a, b) => a - b);
    return { delivered, expected, p50: percentile(delays, 50), p99: percentile(delays, 99), p99FromAck: percentile(fromAck, 99), apiCpuPerCreate: cpu.api };
  } finally {
    for (const r of watchReqs) r.destroy();
    watchAgent.destroy();
  }
}
