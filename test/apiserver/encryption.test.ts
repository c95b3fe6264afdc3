// Encryption at rest (kube's --encryption-provider-config) on a real etcd: the stored values of
// the listed resources carry the provider's prefix and open with Node's crypto or tweetnacl
// directly (aesgcm authenticating the etcd key); everything the API answers (get, list,
// watch) is plaintext. A Secret is not readable in etcd, and its write-only `stringData` never
// reaches etcd in any form; the same config encrypts leases and events, as it would any
// resource. Key rotation of Secrets as Kubernetes documents it, with the real kubectl: add key2
// first, `kubectl get secrets -A -o json | kubectl replace -f -` rewrites every secret even
// unchanged, then key1 can go. A key that is gone makes reads 500 naming it, never plaintext,
// and the server keeps serving.
import { execFile } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import nacl from 'tweetnacl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { haveKubectl } from '../compat/kubectl-harness.js';
import { startApiServer, type ApiServerFixture } from '../fixtures/apiserver.js';
import { startEtcd, type EtcdFixture } from '../fixtures/etcd.js';
import { kubectlBinary } from '../fixtures/kubectl-stream-checks.js';
import { client, openWatch } from './http.js';

// The real kubectl: /usr/bin/kubectl here is gcloud's dispatcher.
const KUBECTL = kubectlBinary('1.33');

let etcd: EtcdFixture;
let raw: Etcd3;
let dir: string;

beforeAll(async () => {
  etcd = await startEtcd();
  raw = new Etcd3({ hosts: etcd.endpoint });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-encryption-'));
});

afterAll(async () => {
  raw?.close();
  await etcd?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Key {
  name: string;
  secret: Buffer;
}
const newKey = (name: string, size = 32): Key => ({ name, secret: randomBytes(size) });

type Provider = { kind: 'secretbox' | 'aesgcm' | 'aescbc'; keys: Key[] } | { kind: 'identity' };

/** Writes an EncryptionConfiguration: `rules` maps a list of resources to its providers. */
async function writeConfig(file: string, rules: [string[], Provider[]][]): Promise<string> {
  const resources = rules.map(([names, providers]) => ({
    resources: names,
    providers: providers.map((p) => (p.kind === 'identity' ? { identity: {} } : { [p.kind]: { keys: p.keys.map((k) => ({ name: k.name, secret: k.secret.toString('base64') })) } })),
  }));
  const f = path.join(dir, file);
  await writeFile(f, JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources }), { mode: 0o600 });
  return f;
}

async function rawValue(key: string): Promise<Buffer> {
  const v = await raw.get(key).buffer();
  if (!v) throw new Error(`no ${key} in etcd`);
  return v;
}

function lease(name: string, namespace: string, holder: string) {
  return { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace }, spec: { holderIdentity: holder, leaseDurationSeconds: 10 } };
}

const leasesPath = (ns: string) => `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`;

function secret(name: string, namespace: string, value: string) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, type: 'Opaque', data: { password: Buffer.from(value).toString('base64') } };
}

const secretsPath = (ns: string) => `/api/v1/namespaces/${ns}/secrets`;
const password = (s: unknown) => Buffer.from((s as { data?: Record<string, string> }).data?.password ?? '', 'base64').toString();

/** aescbc as Kubernetes lays it out: the prefix, a 16-byte IV, AES-CBC with PKCS#7 padding. */
function openAescbc(value: Buffer, key: Key): string {
  const prefix = `k8s:enc:aescbc:v1:${key.name}:`;
  expect(value.subarray(0, prefix.length).toString()).toBe(prefix);
  const body = value.subarray(prefix.length);
  const d = createDecipheriv(`aes-${key.secret.length * 8}-cbc`, key.secret, body.subarray(0, 16));
  return Buffer.concat([d.update(body.subarray(16)), d.final()]).toString();
}

function openSecretbox(value: Buffer, key: Key): string {
  const prefix = `k8s:enc:secretbox:v1:${key.name}:`;
  expect(value.subarray(0, prefix.length).toString()).toBe(prefix);
  const body = value.subarray(prefix.length);
  const out = nacl.secretbox.open(body.subarray(24), body.subarray(0, 24), key.secret);
  if (!out) throw new Error(`secretbox ${key.name} does not open the value`);
  return Buffer.from(out).toString();
}

describe('values at rest', () => {
  const PREFIX = '/enc-at-rest';
  const box = newKey('key1');
  const gcm = newKey('g1', 16);
  const cbc = newKey('c1');
  let api: ApiServerFixture;
  let admin: ReturnType<typeof client>;

  beforeAll(async () => {
    const config = await writeConfig('at-rest.json', [
      [['leases.coordination.k8s.io'], [{ kind: 'secretbox', keys: [box] }, { kind: 'identity' }]],
      [['events'], [{ kind: 'aesgcm', keys: [gcm] }]],
      [['secrets'], [{ kind: 'aescbc', keys: [cbc] }]],
    ]);
    api = await startApiServer({ etcd, etcdPrefix: PREFIX, inProcess: true, encryptionProviderConfig: config });
    admin = client(api.url, api.adminToken);
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('a secret is not readable in etcd: its value carries the provider prefix and opens with Node crypto', async () => {
    expect((await admin.post(secretsPath('default'), secret('s1', 'default', 'hunter2-at-rest'))).status).toBe(201);
    const value = await rawValue(`${PREFIX}/secrets/default/s1`);
    const b64 = Buffer.from('hunter2-at-rest').toString('base64');
    expect(value.includes('hunter2-at-rest') || value.includes(b64)).toBe(false);
    const stored = JSON.parse(openAescbc(value, cbc));
    expect(stored.kind).toBe('Secret');
    expect(password(stored)).toBe('hunter2-at-rest');
    expect(password((await admin.get(`${secretsPath('default')}/s1`)).body)).toBe('hunter2-at-rest');
  });

  it('stringData written through the API never reaches etcd: the stored object has only data', async () => {
    const write = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's2', namespace: 'default' }, stringData: { token: 'string-data-1' } };
    expect((await admin.post(secretsPath('default'), write)).status).toBe(201);
    const patched = await admin.patch(`${secretsPath('default')}/s2`, { stringData: { extra: 'string-data-2' } });
    expect(patched.status).toBe(200);
    expect(patched.body.stringData).toBeUndefined();
    const value = await rawValue(`${PREFIX}/secrets/default/s2`);
    for (const v of ['string-data-1', 'string-data-2', 'stringData']) expect(value.includes(v)).toBe(false);
    const stored = JSON.parse(openAescbc(value, cbc)) as { stringData?: unknown; data: Record<string, string> };
    expect(stored.stringData).toBeUndefined();
    expect(Object.fromEntries(Object.entries(stored.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]))).toEqual({ token: 'string-data-1', extra: 'string-data-2' });
    expect(JSON.stringify(stored)).not.toContain('string-data-');
  });

  it('a lease is stored as a secretbox and read back as plaintext by get, list and watch', async () => {
    const watch = await openWatch(api.url, `${leasesPath('default')}?watch=1`, api.adminToken);
    try {
      expect((await admin.post(leasesPath('default'), lease('l1', 'default', 'holder-at-rest'))).status).toBe(201);
      const value = await rawValue(`${PREFIX}/leases/default/l1`);
      expect(value.includes('holder-at-rest')).toBe(false);
      const stored = JSON.parse(openSecretbox(value, box));
      expect(stored.spec.holderIdentity).toBe('holder-at-rest');

      expect((await admin.get(`${leasesPath('default')}/l1`)).body.spec).toMatchObject({ holderIdentity: 'holder-at-rest' });
      const list = await admin.get<{ items: { spec: { holderIdentity: string } }[] }>(leasesPath('default'));
      expect(list.body.items.map((i) => i.spec.holderIdentity)).toEqual(['holder-at-rest']);
      const updated = await admin.patch(`${leasesPath('default')}/l1`, { spec: { holderIdentity: 'second' } });
      expect(updated.status).toBe(200);
      const events = await watch.until(2);
      expect(events.map((e) => [e.type, (e.object.spec as { holderIdentity: string }).holderIdentity])).toEqual([
        ['ADDED', 'holder-at-rest'],
        ['MODIFIED', 'second'],
      ]);
      expect(JSON.parse(openSecretbox(await rawValue(`${PREFIX}/leases/default/l1`), box)).spec.holderIdentity).toBe('second');
    } finally {
      watch.close();
    }
  });

  it('reads a value another server wrote (sealed here with tweetnacl), arriving through the watch', async () => {
    const watch = await openWatch(api.url, `${leasesPath('kube-public')}?watch=1`, api.adminToken);
    try {
      const obj = { ...lease('from-elsewhere', 'kube-public', 'other-server'), metadata: { name: 'from-elsewhere', namespace: 'kube-public', uid: 'u-1', creationTimestamp: new Date().toISOString() } };
      const nonce = randomBytes(24);
      const sealed = Buffer.concat([Buffer.from(`k8s:enc:secretbox:v1:${box.name}:`), nonce, nacl.secretbox(Buffer.from(JSON.stringify(obj)), nonce, box.secret)]);
      await raw.put(`${PREFIX}/leases/kube-public/from-elsewhere`).value(sealed);
      const [ev] = await watch.until(1);
      expect(ev?.type).toBe('ADDED');
      expect((ev?.object.spec as { holderIdentity: string }).holderIdentity).toBe('other-server');
      expect((await admin.get(`${leasesPath('kube-public')}/from-elsewhere`)).body.spec).toMatchObject({ holderIdentity: 'other-server' });
    } finally {
      watch.close();
    }
  });

  it('an event is stored with aesgcm, its etcd key authenticated; a namespace (not listed) stays plaintext', async () => {
    const now = new Date().toISOString();
    const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e1', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p' }, reason: 'R', message: 'gcm-message', firstTimestamp: now, lastTimestamp: now };
    expect((await admin.post('/api/v1/namespaces/default/events', ev)).status).toBe(201);
    const key = `${PREFIX}/events/default/e1`;
    const value = await rawValue(key);
    const prefix = 'k8s:enc:aesgcm:v1:g1:';
    expect(value.subarray(0, prefix.length).toString()).toBe(prefix);
    const body = value.subarray(prefix.length);
    const d = createDecipheriv('aes-128-gcm', gcm.secret, body.subarray(0, 12));
    d.setAAD(Buffer.from(key));
    d.setAuthTag(body.subarray(body.length - 16));
    const plain = Buffer.concat([d.update(body.subarray(12, body.length - 16)), d.final()]).toString();
    expect(JSON.parse(plain).message).toBe('gcm-message');
    expect((await rawValue(`${PREFIX}/namespaces/default`)).toString()).toMatch(/^\{"apiVersion":"v1","kind":"Namespace"/);
  });

  it('an update that changes nothing writes nothing when the value is fresh', async () => {
    const cur = (await admin.get(`${leasesPath('default')}/l1`)).body;
    const again = await admin.put(`${leasesPath('default')}/l1`, cur);
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(cur.metadata.resourceVersion);
  });
});

describe('a bad EncryptionConfiguration', () => {
  it('stops `skiff apiserver` at start, naming the file and each bad field, never the secret', async () => {
    const secret = randomBytes(20);
    const config = await writeConfig('bad.json', [[['secrets'], [{ kind: 'secretbox', keys: [{ name: 'key1', secret }] }]]]);
    const started = startApiServer({ etcd, etcdPrefix: '/enc-bad', encryptionProviderConfig: config });
    await expect(started).rejects.toThrow(/skiff apiserver exited \(1\) before serving/);
    const err = (await started.catch((e: unknown) => e)) as Error;
    expect(err.message).toContain(`invalid encryption provider config ${config}`);
    expect(err.message).toContain('resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 20, expected one of [32]');
    expect(err.message).not.toContain(secret.toString('base64'));
  });
});

/** An API server on the shared etcd with `config`, and the real kubectl pointed at it. */
async function serverWith(prefix: string, config: string | undefined) {
  const api = await startApiServer({ etcd, etcdPrefix: prefix, inProcess: true, tls: true, encryptionProviderConfig: config });
  const kubeconfig = path.join(dir, `kubeconfig-${randomBytes(4).toString('hex')}`);
  await writeKubeconfig(kubeconfig, buildKubeconfig({ server: api.httpsUrl as string, ca: await readFile(api.caFile as string), token: api.adminToken, name: 'enc' }));
  const env = { PATH: process.env.PATH, HOME: dir, KUBECONFIG: kubeconfig, KUBECACHEDIR: path.join(dir, 'cache') };
  const kubectl = (args: string[], stdin?: string) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(KUBECTL, args, { env, encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
      child.stdin?.end(stdin ?? '');
    });
  return { api, admin: client(api.url, api.adminToken), kubectl };
}

describe.skipIf(!haveKubectl)('key rotation with kubectl', () => {
  const PREFIX = '/enc-rotation';
  const key1 = newKey('key1');
  const key2 = newKey('key2');
  const names: [string, string][] = [
    ['default', 'plain-before'],
    ['default', 'a'],
    ['default', 'b'],
    ['kube-node-lease', 'c'],
  ];
  const secretKey = ([ns, name]: [string, string]) => `${PREFIX}/secrets/${ns}/${name}`;

  it('moves every secret from plaintext and key1 to key2, after which key1 can go', async () => {
    // Before encryption: one secret in plaintext.
    let s = await serverWith(PREFIX, undefined);
    try {
      expect((await s.admin.post(secretsPath('default'), secret('plain-before', 'default', 'h0'))).status).toBe(201);
    } finally {
      await s.api.stop();
    }
    expect((await rawValue(secretKey(names[0]))).toString()).toMatch(/^\{/);

    // key1, identity: new secrets encrypted with key1; the old one still reads.
    s = await serverWith(PREFIX, await writeConfig('key1.json', [[['secrets'], [{ kind: 'secretbox', keys: [key1] }, { kind: 'identity' }]]]));
    try {
      for (const [ns, name] of names.slice(1)) expect((await s.admin.post(secretsPath(ns), secret(name, ns, `h-${name}`))).status).toBe(201);
      expect(password(JSON.parse(openSecretbox(await rawValue(secretKey(names[1])), key1)))).toBe('h-a');
      const listed = await s.kubectl(['get', 'secrets', '-A', '-o', 'name']);
      expect(listed.stderr).toBe('');
      expect(listed.stdout.trim().split('\n').sort()).toEqual(['secret/a', 'secret/b', 'secret/c', 'secret/plain-before']);
    } finally {
      await s.api.stop();
    }

    // key2 first, key1 and identity still read: replace rewrites every secret though none changed.
    s = await serverWith(PREFIX, await writeConfig('key2-key1.json', [[['secrets'], [{ kind: 'secretbox', keys: [key2, key1] }, { kind: 'identity' }]]]));
    try {
      // An update that changes nothing is still written while the value is stale (read with
      // key1), and only then: the second one is a no-op again.
      const b = (await s.admin.get(`${secretsPath('default')}/b`)).body;
      const rewritten = await s.admin.put(`${secretsPath('default')}/b`, b);
      expect(rewritten.status).toBe(200);
      expect(rewritten.body.metadata.resourceVersion).not.toBe(b.metadata.resourceVersion);
      expect(password(JSON.parse(openSecretbox(await rawValue(secretKey(names[2])), key2)))).toBe('h-b');
      const again = await s.admin.put(`${secretsPath('default')}/b`, rewritten.body);
      expect(again.body.metadata.resourceVersion).toBe(rewritten.body.metadata.resourceVersion);

      const all = await s.kubectl(['get', 'secrets', '-A', '-o', 'json']);
      expect(all.code).toBe(0);
      const replaced = await s.kubectl(['replace', '-f', '-'], all.stdout);
      expect(replaced.stderr).toBe('');
      expect(replaced.code).toBe(0);
      // after rotation every secret carries the new key's name
      for (const n of names) expect(JSON.parse(openSecretbox(await rawValue(secretKey(n)), key2)).metadata.name).toBe(n[1]);
    } finally {
      await s.api.stop();
    }

    // key2 alone: everything reads, through kubectl.
    s = await serverWith(PREFIX, await writeConfig('key2.json', [[['secrets'], [{ kind: 'secretbox', keys: [key2] }]]]));
    try {
      const got = await s.kubectl(['get', 'secrets', '-A', '-o', 'json']);
      expect(got.code).toBe(0);
      const items = (JSON.parse(got.stdout) as { items: { metadata: { name: string }; data?: Record<string, string> }[] }).items;
      expect(items.map((i) => [i.metadata.name, password(i)]).sort()).toEqual([
        ['a', 'h-a'],
        ['b', 'h-b'],
        ['c', 'h-c'],
        ['plain-before', 'h0'],
      ]);
    } finally {
      await s.api.stop();
    }
  });

  it('with a key that is gone, reads fail with a 500 naming the key, never plaintext, and the server keeps serving', async () => {
    // A key3 of another name, and a "key2" whose secret is not key2's.
    for (const wrong of [newKey('key3'), newKey('key2')]) {
      const s = await serverWith(PREFIX, await writeConfig(`wrong-${wrong.name}.json`, [[['secrets'], [{ kind: 'secretbox', keys: [wrong] }, { kind: 'identity' }]]]));
      try {
        const one = await s.admin.get(`${secretsPath('default')}/a`);
        expect(one.status).toBe(500);
        expect(one.body.reason).toBe('InternalError');
        expect(one.body.message).toContain(`unable to transform key "${PREFIX}/secrets/default/a"`);
        expect(one.body.message).toMatch(/secretbox key "key2"/);
        expect(one.text).not.toContain(Buffer.from('h-a').toString('base64'));
        const list = await s.admin.get(secretsPath('default'));
        expect(list.status).toBe(500);
        expect(list.text).not.toContain(Buffer.from('h-a').toString('base64'));
        const w = await openWatch(s.api.url, `${secretsPath('default')}?watch=1`, s.api.adminToken);
        try {
          const [ev] = await w.until(1);
          expect(ev?.type).toBe('ERROR');
          expect((ev?.object as { message?: string }).message).toMatch(/secretbox key "key2"/);
        } finally {
          w.close();
        }
        const kc = await s.kubectl(['get', 'secret', 'a', '-n', 'default']);
        expect(kc.code).not.toBe(0);
        expect(kc.stderr).toMatch(/secretbox key .key2./);
        expect((await s.admin.get('/healthz')).status).toBe(200);
        expect((await s.admin.get('/api/v1/namespaces')).status).toBe(200);
      } finally {
        await s.api.stop();
      }
    }
  });
});
