// Pulls through the distribution API against a real registry: shared base layers fetched
// once, Basic and token auth (right and wrong credentials), a registries.yaml mirror serving
// gcr.io, Range resume of broken transfers, and two pulls at once fetching each blob once.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { writeImage, type WrittenImage } from '../../runtime/images/image-writer.js';
import { parseRegistriesConfig } from '../../runtime/images/registries-config.js';
import { createCA, issueCertificate } from '../../cluster/pki.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';

let work: string;
let store: ContentStore;
let base: WrittenImage;
let app1: WrittenImage;
let app2: WrittenImage;
const registries: RegistryFixture[] = [];
let n = 0;
const root = () => path.join(work, `runtime-${n++}`);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skiff-registry-test-'));
  store = await openStore(path.join(work, 'build'));
  base = await buildBusyboxImage(store);
  app1 = await buildBusyboxImage(store, { extraLayers: [{ entries: [{ name: 'app/one', data: randomBytes(50_000) }] }, { entries: [{ name: 'app/one.conf', data: 'one' }] }] });
  app2 = await buildBusyboxImage(store, { extraLayers: [{ entries: [{ name: 'app/two', data: randomBytes(50_000) }] }] });
});

afterAll(async () => {
  await Promise.all(registries.map((r) => r.stop()));
  if (work) await rm(work, { recursive: true, force: true });
});

async function registry(opts: Parameters<typeof startRegistry>[0] = {}): Promise<RegistryFixture> {
  const r = await startRegistry(opts);
  registries.push(r);
  return r;
}

describe('shared layers', () => {
  it('the second image fetches only its own layers', async () => {
    const reg = await registry({ proxy: true });
    await pushImage(reg.host, 'app1:v1', store, app1);
    await pushImage(reg.host, 'app2:v1', store, app2);
    const svc = new ImageService({ root: root() });
    reg.requests.length = 0;
    await svc.pullImage({ image: `${reg.host}/app1:v1` });
    expect(reg.blobGets().sort()).toEqual([app1.configDigest, ...app1.manifest.layers.map((l) => l.digest)].sort());
    reg.requests.length = 0;
    await svc.pullImage({ image: `${reg.host}/app2:v1` });
    // busybox base layer shared: only app2's config and its own layer cross the wire.
    expect(app2.manifest.layers[0].digest).toBe(app1.manifest.layers[0].digest);
    expect(reg.blobGets().sort()).toEqual([app2.configDigest, app2.manifest.layers[1].digest].sort());
    // A warm pull fetches no blob at all, only the manifest.
    reg.requests.length = 0;
    await svc.pullImage({ image: `${reg.host}/app2:v1` });
    expect(reg.blobGets()).toEqual([]);
    expect(reg.requests.filter((r) => r.path.includes('/manifests/'))).toHaveLength(1);
  });

  it('two pulls of the same image at once fetch each blob once', async () => {
    const reg = await registry({ proxy: true });
    await pushImage(reg.host, 'app1:v1', store, app1);
    const svc = new ImageService({ root: root() });
    reg.requests.length = 0;
    const [a, b] = await Promise.all([svc.pullImage({ image: `${reg.host}/app1:v1` }), svc.pullImage({ image: `${reg.host}/app1:v1` })]);
    expect(a).toBe(app1.configDigest);
    expect(b).toBe(app1.configDigest);
    const gets = reg.blobGets();
    expect(gets.sort()).toEqual([...new Set(gets)].sort());
    expect(new Set(gets).size).toBe(app1.manifest.layers.length + 1);
  });

  it('resumes a broken transfer with a Range request', async () => {
    const reg = await registry({ breakBlobsAfter: 20_000 });
    await pushImage(reg.directHost, 'app1:v1', store, app1);
    const svc = new ImageService({ root: root() });
    expect(await svc.pullImage({ image: `${reg.host}/app1:v1` })).toBe(app1.configDigest);
    const big = app1.manifest.layers[1];
    const forBig = reg.requests.filter((r) => r.method === 'GET' && r.path.endsWith(big.digest));
    expect(forBig.length).toBe(2);
    expect(forBig[1].range).toBe('bytes=20000-');
    expect(forBig[1].status).toBe(206);
  });
});

describe('auth', () => {
  for (const kind of ['basic', 'token'] as const) {
    it(`pulls from a registry behind ${kind} auth with the right credentials, and fails clearly with wrong ones`, async () => {
      const reg = await registry({ auth: { kind, username: 'alice', password: 's3cret' } });
      await pushImage(reg.host, 'private:v1', store, base, { username: 'alice', password: 's3cret' });
      const good = new ImageService({ root: root() });
      expect(await good.pullImage({ image: `${reg.host}/private:v1` }, { auth: { username: 'alice', password: 's3cret' } })).toBe(base.configDigest);

      const bad = new ImageService({ root: root() });
      const wrong = await bad.pullImage({ image: `${reg.host}/private:v1` }, { auth: { username: 'alice', password: 'nope' } }).catch((e: unknown) => e);
      expect(isRuntimeError(wrong, 'Unauthenticated'), String(wrong)).toBe(true);
      expect((wrong as Error).message).toMatch(kind === 'token' ? /token server .* refused the credentials of alice/ : /credentials given were refused/);
      const none = await bad.pullImage({ image: `${reg.host}/private:v1` }).catch((e: unknown) => e);
      expect(isRuntimeError(none, 'Unauthenticated'), String(none)).toBe(true);
      expect((none as Error).message).toMatch(kind === 'token' ? /refused an anonymous token/ : /requires a username and password/);
      expect(await bad.listImages()).toEqual([]);

      // Credentials from registries.yaml (configs.<host>.auth) work as well.
      const cfg = await parseRegistriesConfig(`configs:\n  "${reg.host}":\n    auth:\n      auth: ${Buffer.from('alice:s3cret').toString('base64')}\n`);
      const fromConfig = new ImageService({ root: root(), registryConfig: cfg });
      expect(await fromConfig.pullImage({ image: `${reg.host}/private:v1` })).toBe(base.configDigest);
    });
  }
});

describe('mirrors', () => {
  it('serves gcr.io/kuar-demo/kuard-amd64:blue from a local mirror', async () => {
    const reg = await registry({ proxy: true });
    await pushImage(reg.host, 'kuar-demo/kuard-amd64:blue', store, app2);
    const file = path.join(work, 'registries.yaml');
    // A dead mirror first: the endpoints are tried in order.
    // disable_default_endpoint: tests never reach the real gcr.io.
    await writeFile(file, `disable_default_endpoint: true\nmirrors:\n  gcr.io:\n    endpoint:\n      - "http://127.0.0.1:9"\n      - "${reg.url}"\n`);
    const svc = new ImageService({ root: root(), registryConfig: file });
    expect(await svc.pullImage({ image: 'gcr.io/kuar-demo/kuard-amd64:blue' })).toBe(app2.configDigest);
    const [img] = await svc.listImages();
    expect(img.repoTags).toEqual(['gcr.io/kuar-demo/kuard-amd64:blue']);
    expect(reg.requests.some((r) => r.path === '/v2/kuar-demo/kuard-amd64/manifests/blue')).toBe(true);
    // A tag the mirror lacks: the error names every endpoint tried.
    const missing = await svc.pullImage({ image: 'gcr.io/kuar-demo/kuard-amd64:nope' }).catch((e: unknown) => e);
    expect(String(missing)).toMatch(/127\.0\.0\.1:9/);
    expect(String(missing)).toMatch(/not found/);
    expect(String(missing)).not.toMatch(/https:\/\/gcr\.io/);
  });

  it('rejects a malformed registries.yaml with a clear error', async () => {
    await expect(parseRegistriesConfig('mirrors:\n  gcr.io:\n    endpoint: 5\n')).rejects.toThrow(/mirrors.gcr.io.endpoint must be a list/);
    await expect(parseRegistriesConfig('mirrors: [')).rejects.toThrow(/not valid YAML/);
  });
});

describe('TLS', () => {
  it('pulls over HTTPS from a registry with its own CA, and refuses an unknown certificate', async () => {
    const ca = await createCA(`skiff-test-${process.pid}`);
    const cert = await issueCertificate(ca, { commonName: 'registry', hosts: ['127.0.0.1'], usage: 'server' });
    const reg = await registry({ tls: cert });
    expect(reg.url).toMatch(/^https:/);
    await pushImage(reg.directHost, 'secure:v1', store, app1);
    const caFile = path.join(work, 'registry-ca.pem');
    await writeFile(caFile, ca.certPem);
    // A made-up registry name served by an HTTPS mirror: loopback, so https only because the URL says so.
    const mirror = `disable_default_endpoint: true\nmirrors:\n  registry.skiff.test:\n    endpoint: ["${reg.url}"]\n`;
    const trusted = await parseRegistriesConfig(`${mirror}configs:\n  "${reg.host}":\n    tls:\n      ca_file: ${caFile}\n`);
    const svc = new ImageService({ root: root(), registryConfig: trusted });
    expect(await svc.pullImage({ image: 'registry.skiff.test/secure:v1' })).toBe(app1.configDigest);

    const untrusted = new ImageService({ root: root(), registryConfig: await parseRegistriesConfig(mirror) });
    await expect(untrusted.pullImage({ image: 'registry.skiff.test/secure:v1' })).rejects.toThrow(/self[- ]signed|unable to verify|certificate/i);
    const skip = await parseRegistriesConfig(`${mirror}configs:\n  "${reg.host}":\n    tls:\n      insecure_skip_verify: true\n`);
    expect(await new ImageService({ root: root(), registryConfig: skip }).pullImage({ image: 'registry.skiff.test/secure:v1' })).toBe(app1.configDigest);
  });
});

describe('indexes', () => {
  it('selects the linux/amd64 manifest from an OCI index', async () => {
    const reg = await registry();
    const arm = await writeImage(store, { layers: [{ entries: [{ name: 'arch', data: 'arm64' }] }], architecture: 'arm64' });
    const amd = await writeImage(store, { layers: [{ entries: [{ name: 'arch', data: 'amd64' }] }] });
    await pushImage(reg.host, 'multi:arm', store, arm);
    await pushImage(reg.host, 'multi:amd', store, amd);
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          { mediaType: arm.mediaType, digest: arm.manifestDigest, size: arm.manifestBytes.length, platform: { os: 'linux', architecture: 'arm64' } },
          { mediaType: amd.mediaType, digest: amd.manifestDigest, size: amd.manifestBytes.length, platform: { os: 'linux', architecture: 'amd64' } },
        ],
      }),
    );
    const res = await fetch(`${reg.url}/v2/multi/manifests/latest`, { method: 'PUT', headers: { 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: index });
    expect(res.status).toBe(201);
    const svc = new ImageService({ root: root() });
    expect(await svc.pullImage({ image: `${reg.host}/multi` })).toBe(amd.configDigest);
    expect(await svc.pullImage({ image: `${reg.host}/multi` }, { platform: 'linux/arm64' })).toBe(arm.configDigest);
    await expect(svc.pullImage({ image: `${reg.host}/multi` }, { platform: 'linux/s390x' })).rejects.toThrow(/no manifest for platform linux\/s390x/);
  });
});
