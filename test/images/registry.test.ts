// Pulls through the distribution API against a real registry: shared base layers fetched
// once, Basic and token auth (right and wrong credentials), a registries.yaml mirror serving
// gcr.io, Range resume of broken transfers, and two pulls at once fetching each blob once.
import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import { writeImage, type WrittenImage } from '../../runtime/images/image-writer.js';
import { parseRegistriesConfig } from '../../runtime/images/registries-config.js';
import { createCA, issueCertificate } from '../../cluster/pki.js';
import { ensureRegistryCredentials, writeRegistryConfig } from '../../cluster/registry.js';
import { statePaths } from '../../cluster/state.js';
import { writeDefaultRegistries } from '../../cluster/up.js';
import { encodeBasic } from '../../runtime/images/auth.js';
import { pushImage as push } from '../../runtime/images/pusher.js';
import { parseReference } from '../../runtime/images/reference.js';
import { freePort, waitForPort } from '../fixtures/ports.js';
import { startProcess } from '../fixtures/process.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { startRegistry, type RegistryFixture } from '../fixtures/registry.js';

const exec = promisify(execFile);

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
  for (const kind of ['htpasswd', 'basic', 'token'] as const) {
    it(`pulls from a registry behind ${kind} auth with the right credentials, and fails clearly with wrong ones`, async () => {
      const reg = await registry({ auth: { kind, username: 'alice', password: 's3cret' } });
      await pushImage(reg.host, 'private:v1', store, base, { username: 'alice', password: 's3cret' });
      const good = new ImageService({ root: root() });
      expect(await good.pullImage({ image: `${reg.host}/private:v1` }, { auth: { username: 'alice', password: 's3cret' } })).toBe(base.configDigest);

      const bad = new ImageService({ root: root() });
      const wrong = await bad.pullImage({ image: `${reg.host}/private:v1` }, { auth: { username: 'alice', password: 'nope' } }).catch((e: unknown) => e);
      expect(isRuntimeError(wrong, 'Unauthenticated'), String(wrong)).toBe(true);
      expect((wrong as Error).message).toMatch(kind === 'token' ? /answered 401 Unauthorized: .*token server .* refused the credentials of alice/ : /answered 401 Unauthorized: .*\(the credentials of alice were refused\)/);
      expect((wrong as Error).message).not.toContain('nope');
      expect(await pushImage(reg.host, 'private:v2', store, base).catch((e: unknown) => e)).toSatisfy((e) => isRuntimeError(e, 'Unauthenticated'));
      const none = await bad.pullImage({ image: `${reg.host}/private:v1` }).catch((e: unknown) => e);
      expect(isRuntimeError(none, 'Unauthenticated'), String(none)).toBe(true);
      expect((none as Error).message).toMatch(kind === 'token' ? /answered 401 Unauthorized: .*refused an anonymous token/ : /answered 401 Unauthorized: .*\(no credentials for /);
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

// The local registry exactly as `skiff up` and labs configure it (cluster/registry.ts and
// writeDefaultRegistries), started from that config: nobody without the cluster's password
// pushes, pulls or deletes, not even a local user; the kubelet's registries.yaml and the
// CLI's docker-style config carry it, and they and the secrets behind them are 0600 in 0700.
describe("skiff up's local registry", () => {
  const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

  /** status codes of a push start, a manifest GET and a manifest DELETE, sent by `uid` (root: this process). */
  async function statuses(addr: string, authorization: string | undefined, uid?: 'nobody'): Promise<number[]> {
    const script = `
      const http = require('node:http');
      const headers = ${JSON.stringify(authorization ? { authorization } : {})};
      const ask = (method, p) => new Promise((ok, ko) => http.request({ host: '127.0.0.1', port: ${addr.split(':')[1]}, method, path: p, headers }, (r) => { r.resume(); ok(r.statusCode); }).on('error', ko).end());
      (async () => console.log(JSON.stringify([
        await ask('POST', '/v2/library/nginx/blobs/uploads/'),
        await ask('GET', '/v2/kuar-demo/kuard-amd64/manifests/blue'),
        await ask('DELETE', '/v2/kuar-demo/kuard-amd64/manifests/${app2.manifestDigest}'),
      ])))();`;
    const argv = uid ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script] : [process.execPath, '-e', script];
    const { stdout } = await exec(argv[0], argv.slice(1), { cwd: '/' });
    return JSON.parse(stdout) as number[];
  }

  it('takes no anonymous or wrong-password request; the cluster credentials push, pull (through the mirror) and delete', async () => {
    const dir = path.join(work, 'up-state');
    const paths = statePaths(dir);
    const creds = await ensureRegistryCredentials(paths.registryDir);
    expect(creds.password.length).toBeGreaterThanOrEqual(32);
    expect(await ensureRegistryCredentials(paths.registryDir)).toEqual(creds); // made once, kept across restarts
    const port = await freePort();
    const addr = `127.0.0.1:${port}`;
    const plan = await writeRegistryConfig(paths.registryDir, addr, creds.htpasswdFile);
    const proc = startProcess('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'docker-registry', 'serve', plan.configFile]);
    try {
      await waitForPort(port);
      await writeDefaultRegistries(paths, addr, creds, { mirrorPublic: true });
      for (const f of [creds.htpasswdFile, path.join(paths.registryDir, 'auth', 'password'), paths.registriesYaml, paths.dockerConfig]) expect(await modeOf(f), f).toBe(0o600);
      for (const d of [path.join(paths.registryDir, 'auth'), path.dirname(paths.dockerConfig)]) expect(await modeOf(d), d).toBe(0o700);
      const secrets = await readFile(creds.htpasswdFile, 'utf8');
      expect(secrets).toMatch(/^skiff:\$2y\$/);
      expect(secrets).not.toContain(creds.password);

      // The CLI's way: credentials from the docker-style config (skopeo reads the same file).
      const cli = new ImageService({ root: root(), dockerConfigs: [path.join(work, 'no-such-config.json'), paths.dockerConfig] });
      await cli.init();
      const image = { manifestBytes: app2.manifestBytes, mediaType: app2.mediaType, config: app2.manifest.config, layers: app2.manifest.layers };
      expect((await push(cli.registryClient, store, parseReference(`${addr}/kuar-demo/kuard-amd64:blue`), image)).digest).toBe(app2.manifestDigest);
      const inspected = await exec('skopeo', ['inspect', '--tls-verify=false', '--authfile', paths.dockerConfig, `docker://${addr}/kuar-demo/kuard-amd64:blue`]);
      expect(JSON.parse(inspected.stdout)).toMatchObject({ Digest: app2.manifestDigest });

      // The kubelet's way: registries.yaml, the gcr.io name served by the local registry.
      const kubelet = new ImageService({ root: root(), registryConfig: paths.registriesYaml });
      expect(await kubelet.pullImage({ image: 'gcr.io/kuar-demo/kuard-amd64:blue' })).toBe(app2.configDigest);

      // Refused: no credentials, a wrong password, as root or as a local user, push, pull and delete alike.
      const wrong = `Basic ${encodeBasic({ username: 'skiff', password: 'guess' })}`;
      expect(await statuses(addr, undefined)).toEqual([401, 401, 401]);
      expect(await statuses(addr, wrong)).toEqual([401, 401, 401]);
      expect(await statuses(addr, undefined, 'nobody')).toEqual([401, 401, 401]);
      const anonymous = await exec('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', 'skopeo', 'inspect', '--tls-verify=false', `docker://${addr}/kuar-demo/kuard-amd64:blue`], { cwd: '/', env: { PATH: process.env.PATH, HOME: '/nonexistent' } }).catch((e: unknown) => e as { stderr: string });
      expect('stderr' in anonymous ? anonymous.stderr : '').toMatch(/401|unauthorized|authentication required/i);
      const anonymousPull = await new ImageService({ root: root() }).pullImage({ image: `${addr}/kuar-demo/kuard-amd64:blue` }).catch((e: unknown) => e);
      expect(isRuntimeError(anonymousPull, 'Unauthenticated'), String(anonymousPull)).toBe(true);

      // And with the cluster's credentials a delete goes through.
      const right = `Basic ${encodeBasic(creds)}`;
      expect((await statuses(addr, right))[2]).toBe(202);
    } finally {
      await proc.stop(3000);
    }
  });
});
