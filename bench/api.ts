// `npm run bench -- api`: the API server's write path and watch fan-out, against its anchor
// measured in the same run. A real etcd and a `skiff apiserver` process; this process is
// the clients.
//  1. 20,000 pod creates from 50 concurrent keep-alive clients: creates/s, p50/p99 latency.
//  2. Raw etcd puts of the same bytes, same count and concurrency, through the etcd3 client:
//     the anchor (ratio = creates/s ÷ puts/s; target ≥ 0.5).
//  3. 200 watchers on one namespace while pods are created there: p99 delay from the
//     create being sent to each watcher receiving its event (target < 100 ms); also from
//     the create's acknowledgement, which leaves out the create's own round trip.
// Sizes can be turned down for a quick look: SKIFF_BENCH_CREATES, SKIFF_BENCH_WATCHERS.
// Each phase also reports the CPU milliseconds per operation of every process involved (API
// server, etcd, this client): on a shared 2-core machine the wall figures mostly measure the
// neighbours, the CPU cost per operation does not.
import { Etcd3 } from 'etcd3';
import http from 'node:http';
import os from 'node:os';
import { startApiServer } from '../test/fixtures/apiserver.js';
import { startEtcd } from '../test/fixtures/etcd.js';
import { cpuMs, percentile, selfCpuMs } from './measure.js';

const CREATES = Number(process.env.SKIFF_BENCH_CREATES ?? 20_000);
const CONCURRENCY = 50;
const WATCHERS = Number(process.env.SKIFF_BENCH_WATCHERS ?? 200);
const WATCHED_WRITES = 500;
const WATCHED_WRITE_CONCURRENCY = 5;

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/** CPU ms per operation of the API server, etcd and this process over a phase. */
function cpuMeter(pids: { api?: number; etcd: number }): (ops: number) => { api: number; etcd: number; client: number } {
  const a0 = cpuMs(pids.api);
  const e0 = cpuMs(pids.etcd);
  const c0 = selfCpuMs();
  return (ops) => ({
    api: round((cpuMs(pids.api) - a0) / ops, 3),
    etcd: round((cpuMs(pids.etcd) - e0) / ops, 3),
    client: round((selfCpuMs() - c0) / ops, 3),
  });
}

const showCpu = (c: { api: number; etcd: number; client: number }, withApi = true) =>
  `CPU ms/op: ${withApi ? `apiserver ${c.api}, ` : ''}etcd ${c.etcd}, client ${c.client}`;

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

function request(agent: http.Agent, url: URL, method: string, path: string, token: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
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
async function pool(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ latencies: number[]; seconds: number }> {
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

export async function run(): Promise<Record<string, unknown>> {
  const etcd = await startEtcd();
  const api = await startApiServer({ etcd, logLevel: process.env.SKIFF_BENCH_LOG_LEVEL ?? 'info' });
  const url = new URL(api.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 10 });
  const raw = new Etcd3({ hosts: etcd.endpoint });
  try {
    const ns = 'bench';
    const mk = await request(agent, url, 'POST', '/api/v1/namespaces', api.adminToken, JSON.stringify({ metadata: { name: ns } }));
    if (mk.status !== 201) throw new Error(`creating the namespace: ${mk.status} ${mk.text}`);

    // Warm up both paths a little so neither pays for JIT and connection setup in its figure.
    for (let i = 0; i < 200; i++) await request(agent, url, 'POST', `/api/v1/namespaces/${ns}/pods`, api.adminToken, podBody(`warm-${i}`, ns));

    const pids = { api: api.proc?.pid, etcd: etcd.proc.pid };
    let storedBytes = 0;
    let failures = 0;
    const createMeter = cpuMeter(pids);
    const creates = await pool(CREATES, CONCURRENCY, async (i) => {
      const r = await request(agent, url, 'POST', `/api/v1/namespaces/${ns}/pods`, api.adminToken, podBody(`pod-${i}`, ns));
      if (r.status !== 201) {
        failures++;
        if (failures < 5) process.stderr.write(`create ${i}: ${r.status} ${r.text.slice(0, 200)}\n`);
      } else if (i === 0) storedBytes = Buffer.byteLength(r.text);
    });
    if (failures) throw new Error(`${failures} creates failed`);
    const createsPerSec = CREATES / creates.seconds;
    const createCpu = createMeter(CREATES);
    process.stdout.write(
      `api creates: ${CREATES} from ${CONCURRENCY} clients in ${round(creates.seconds)} s = ${round(createsPerSec, 0)}/s, ` +
        `p50 ${round(percentile(creates.latencies, 50))} ms, p99 ${round(percentile(creates.latencies, 99))} ms; ${showCpu(createCpu)}\n`,
    );

    // The anchor: the same number of puts of an object of the stored size, same concurrency.
    const value = 'x'.repeat(storedBytes);
    for (let i = 0; i < 200; i++) await raw.put(`/bench-raw/warm-${i}`).value(value);
    const putMeter = cpuMeter(pids);
    const puts = await pool(CREATES, CONCURRENCY, async (i) => {
      await raw.put(`/bench-raw/pods/${ns}/pod-${i}`).value(value);
    });
    const etcdPutsPerSec = CREATES / puts.seconds;
    const putCpu = putMeter(CREATES);
    process.stdout.write(
      `etcd puts:   ${CREATES} of ${storedBytes} B from ${CONCURRENCY} clients in ${round(puts.seconds)} s = ${round(etcdPutsPerSec, 0)}/s, ` +
        `p50 ${round(percentile(puts.latencies, 50))} ms, p99 ${round(percentile(puts.latencies, 99))} ms; ${showCpu(putCpu, false)}\n`,
    );
    // The same comparison in CPU: what one create costs the whole machine against one put.
    const cpuRatio = (putCpu.etcd + putCpu.client) / (createCpu.api + createCpu.etcd + createCpu.client);
    process.stdout.write(`cpu per op:  create ${round(createCpu.api + createCpu.etcd + createCpu.client, 3)} ms, put ${round(putCpu.etcd + putCpu.client, 3)} ms (ratio ${round(cpuRatio, 3)})\n`);

    // Watch fan-out: WATCHERS watches on a fresh namespace, then paced creates there.
    const wns = 'bench-watch';
    await request(agent, url, 'POST', '/api/v1/namespaces', api.adminToken, JSON.stringify({ metadata: { name: wns } }));
    const list = JSON.parse((await request(agent, url, 'GET', `/api/v1/namespaces/${wns}/pods?limit=1`, api.adminToken)).text) as { metadata: { resourceVersion: string } };
    const sentAt = new Map<string, bigint>();
    const ackedAt = new Map<string, bigint>();
    const delays: number[] = [];
    const deliveredAt: [string, bigint][] = [];
    let delivered = 0;
    const expected = WATCHERS * WATCHED_WRITES;
    let allDelivered: () => void = () => {};
    const done = new Promise<void>((r) => (allDelivered = r));
    const watchAgent = new http.Agent({ keepAlive: true, maxSockets: WATCHERS + 10 });
    const watchReqs: http.ClientRequest[] = [];
    await Promise.all(
      Array.from(
        { length: WATCHERS },
        () =>
          new Promise<void>((resolve, reject) => {
            const req = http.request(
              {
                agent: watchAgent,
                host: url.hostname,
                port: url.port,
                path: `/api/v1/namespaces/${wns}/pods?watch=1&resourceVersion=${list.metadata.resourceVersion}`,
                headers: { authorization: `Bearer ${api.adminToken}` },
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
                    const t0 = m ? sentAt.get(m[1]) : undefined;
                    if (t0 !== undefined && m) {
                      delays.push(Number(now - t0) / 1e6);
                      deliveredAt.push([m[1], now]);
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
    const watchMeter = cpuMeter(pids);
    await pool(WATCHED_WRITES, WATCHED_WRITE_CONCURRENCY, async (i) => {
      const name = `w-${i}`;
      sentAt.set(name, process.hrtime.bigint());
      const r = await request(agent, url, 'POST', `/api/v1/namespaces/${wns}/pods`, api.adminToken, podBody(name, wns));
      ackedAt.set(name, process.hrtime.bigint());
      if (r.status !== 201) throw new Error(`watched create ${i}: ${r.status} ${r.text.slice(0, 200)}`);
    });
    const timeout = new Promise<void>((r) => setTimeout(r, 60_000).unref());
    await Promise.race([done, timeout]);
    const watchCpu = watchMeter(WATCHED_WRITES);
    for (const r of watchReqs) r.destroy();
    watchAgent.destroy();
    delays.sort((a, b) => a - b);
    const watchP99Ms = percentile(delays, 99);
    // The same deliveries measured from the create's 201 instead (0 when the event came first):
    // the fan-out alone, without the create's own round trip.
    const fromAck = deliveredAt.map(([n, t]) => Math.max(0, Number(t - (ackedAt.get(n) ?? t)) / 1e6)).sort((a, b) => a - b);
    process.stdout.write(
      `watch:       ${WATCHERS} watchers x ${WATCHED_WRITES} creates: ${delivered}/${expected} events delivered, ` +
        `delay from send p50 ${round(percentile(delays, 50))} ms, p99 ${round(watchP99Ms)} ms; ` +
        `from the create's 201 p50 ${round(percentile(fromAck, 50))} ms, p99 ${round(percentile(fromAck, 99))} ms; ` +
        `apiserver CPU ${watchCpu.api} ms per create fanned out to ${WATCHERS}\n`,
    );
    const ratio = createsPerSec / etcdPutsPerSec;
    process.stdout.write(`ratio (api creates / etcd puts): ${round(ratio, 3)} (target >= 0.5); watch p99 target < 100 ms\n`);
    return {
      bench: 'api',
      createsPerSec: round(createsPerSec, 1),
      createP50Ms: round(percentile(creates.latencies, 50)),
      createP99Ms: round(percentile(creates.latencies, 99)),
      etcdPutsPerSec: round(etcdPutsPerSec, 1),
      etcdPutP50Ms: round(percentile(puts.latencies, 50)),
      etcdPutP99Ms: round(percentile(puts.latencies, 99)),
      ratio: round(ratio, 3),
      watchers: WATCHERS,
      watchEventsDelivered: delivered,
      watchEventsExpected: expected,
      watchP50Ms: round(percentile(delays, 50)),
      watchP99Ms: round(watchP99Ms),
      watchP99FromAckMs: round(percentile(fromAck, 99)),
      createCpuMs: createCpu,
      etcdPutCpuMs: putCpu,
      cpuRatio: round(cpuRatio, 3),
      watchApiCpuMsPerCreate: watchCpu.api,
      loadAverage: round(os.loadavg()[0]),
      objectBytes: storedBytes,
      creates: CREATES,
      concurrency: CONCURRENCY,
    };
  } finally {
    agent.destroy();
    raw.close();
    await api.stop();
    await etcd.stop();
  }
}
