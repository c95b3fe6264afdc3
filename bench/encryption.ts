// `npm run bench -- encryption`: what encryption at rest costs the write path, and the API-cost
// half of `npm run bench -- config`, which calls encryptionCost() here. Two `skiff apiserver`
// processes on one etcd, both started as `skiff up` starts them (HTTPS only, etcd with mutual
// TLS, each under its own prefix), identical but for --encryption-provider-config: the one with
// it stores Secrets with secretbox (then identity), as `skiff up` does; the anchor stores them
// as they are. Per round, N creates of Secrets carrying 1 KiB of random data in `data`, from 50
// keep-alive HTTPS clients, against each (alternating which goes first, bench/rounds.ts):
// creates/s and the API server's CPU ms per create. Median ratio encrypted ÷ plain and its
// spread; target >= 0.9 (encryption costs under 10 %).
// Sizes: SKIFF_BENCH_CREATES (per round, default 5,000), SKIFF_BENCH_ROUNDS (3, at least 3).
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { startApiServer, type ApiServerFixture } from '../test/fixtures/apiserver.js';
import { startEtcd } from '../test/fixtures/etcd.js';
import { pool, request } from './api.js';
import { cpuMs, median } from './measure.js';
import { compare, spreadOf, summary } from './rounds.js';

const CREATES = Number(process.env.SKIFF_BENCH_CREATES ?? 5_000);
const ROUNDS = Number(process.env.SKIFF_BENCH_ROUNDS ?? 3);
const CONCURRENCY = 50;
const WARM_CREATES = 1_000;
const NS = 'bench';
const DATA_BYTES = 1024;

/** The encrypted resource, as the EncryptionConfiguration names it, its collection path, and one object of it. */
const OBJECT = {
  resource: 'secrets',
  path: `/api/v1/namespaces/${NS}/secrets`,
  body: (name: string) => JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: NS }, type: 'Opaque', data: { payload: randomBytes(DATA_BYTES).toString('base64') } }),
};

const round = (n: number, d = 3) => Math.round(n * 10 ** d) / 10 ** d;

interface Server {
  api: ApiServerFixture;
  agent: https.Agent;
  url: URL;
  /** API server CPU ms per create, one figure per measured phase. */
  cpu: number[];
}

async function serve(etcd: Awaited<ReturnType<typeof startEtcd>>, prefix: string, config?: string): Promise<Server> {
  const api = await startApiServer({ etcd, etcdPrefix: prefix, tls: 'only', encryptionProviderConfig: config, logLevel: process.env.SKIFF_BENCH_LOG_LEVEL ?? 'info' });
  const agent = new https.Agent({ keepAlive: true, maxSockets: CONCURRENCY + 10, ca: await readFile(api.caFile as string) });
  const s: Server = { api, agent, url: new URL(api.url), cpu: [] };
  const ns = await request(agent, s.url, 'POST', '/api/v1/namespaces', api.adminToken, JSON.stringify({ metadata: { name: NS } }));
  if (ns.status !== 201) throw new Error(`creating the namespace: ${ns.status} ${ns.text}`);
  return s;
}

/** `count` creates from 50 clients: creates/s, and the server's CPU ms per create. */
async function creates(s: Server, tag: string, count: number): Promise<{ perSec: number; cpu: number }> {
  const bodies = Array.from({ length: count }, (_, i) => OBJECT.body(`${tag}-${i}`));
  const cpu0 = cpuMs(s.api.proc?.pid);
  let failures = 0;
  const r = await pool(count, CONCURRENCY, async (i) => {
    const res = await request(s.agent, s.url, 'POST', OBJECT.path, s.api.adminToken, bodies[i]);
    if (res.status !== 201 && failures++ < 5) process.stderr.write(`create ${tag}-${i}: ${res.status} ${res.text.slice(0, 200)}\n`);
  });
  if (failures) throw new Error(`${failures} creates failed`);
  return { perSec: count / r.seconds, cpu: (cpuMs(s.api.proc?.pid) - cpu0) / count };
}

export function run(): Promise<Record<string, unknown>> {
  return encryptionCost();
}

/** Creates/s and API server CPU per create of 1 KiB Secrets, secretbox vs plain, in alternating rounds. */
export async function encryptionCost(): Promise<Record<string, unknown>> {
  if (!(CREATES > 0)) throw new Error('SKIFF_BENCH_CREATES must be positive');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-bench-encryption-'));
  const etcd = await startEtcd({ tls: true });
  const servers: Server[] = [];
  try {
    const config = path.join(dir, 'encryption-config.json');
    const secret = randomBytes(32).toString('base64');
    const providers = [{ secretbox: { keys: [{ name: 'key1', secret }] } }, { identity: {} }];
    await writeFile(config, JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources: [OBJECT.resource], providers }] }), { mode: 0o600 });
    const encrypted = await serve(etcd, '/bench-encrypted', config);
    servers.push(encrypted);
    const plain = await serve(etcd, '/bench-plain');
    servers.push(plain);
    // Warm both (JIT, connections, watch caches) before anything counts.
    await creates(encrypted, 'warm', WARM_CREATES);
    await creates(plain, 'warm', WARM_CREATES);
    process.stdout.write(`${CREATES} creates per round of ${OBJECT.resource} with ${DATA_BYTES} B of data, ${CONCURRENCY} clients over HTTPS\n`);
    const side = (label: string, s: Server) => ({
      label,
      measure: async (r: number) => {
        const f = await creates(s, `r${r}`, CREATES);
        s.cpu.push(f.cpu);
        process.stdout.write(`  ${label}: ${Math.round(f.perSec)}/s, apiserver CPU ${round(f.cpu)} ms per create\n`);
        return f.perSec;
      },
    });
    const result = await compare({
      name: 'creates encrypted vs plain',
      unit: '/s',
      rounds: ROUNDS,
      higherIsBetter: true,
      target: 0.9,
      skiff: side('secretbox', encrypted),
      anchor: side('plain', plain),
    });
    const cpuRatios = encrypted.cpu.map((c, i) => c / (plain.cpu[i] as number));
    const cpu = spreadOf(cpuRatios);
    process.stdout.write(
      `apiserver CPU per create: secretbox median ${round(median(encrypted.cpu))} ms, plain ${round(median(plain.cpu))} ms; ` +
        `ratio median ${round(cpu.median)} (spread ${round(cpu.min)}..${round(cpu.max)})\n`,
    );
    return {
      creates: CREATES,
      dataBytes: DATA_BYTES,
      resource: OBJECT.resource,
      creates_per_s: summary(result),
      apiserverCpuMsPerCreate: { secretbox: round(median(encrypted.cpu)), plain: round(median(plain.cpu)), ratio: { median: round(cpu.median), min: round(cpu.min), max: round(cpu.max) } },
      loadAverage: round(os.loadavg()[0] ?? 0, 2),
    };
  } finally {
    for (const s of servers) {
      s.agent.destroy();
      await s.api.stop();
    }
    await etcd.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
