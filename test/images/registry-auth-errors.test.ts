// A real docker-registry behind htpasswd (bcrypt) auth on TLS with a CA this suite makes, as a
// private registry runs: pulls work with the CA in registries.yaml and the right credentials,
// and every refusal says which registry refused and why, with no credential in the message:
// 401 without credentials and with a wrong password, 403 from a registry that denies a
// repository, and TLS failures (unknown authority, a certificate for another name).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import type { ContentStore } from '../../runtime/images/content-store.js';
import type { WrittenImage } from '../../runtime/images/image-writer.js';
import { parseRegistriesConfig, type RegistriesConfig } from '../../runtime/images/registries-config.js';
import { buildBusyboxImage, openStore, pushImage } from '../fixtures/images.js';
import { randomHtpasswdAuth, startRegistry, type RegistryFixture } from '../fixtures/registry.js';

let work: string;
let store: ContentStore;
let image: WrittenImage;
let reg: RegistryFixture;
let creds: { username: string; password: string };
let trusted: RegistriesConfig;
let n = 0;
const root = () => path.join(work, `runtime-${n++}`);
const others: RegistryFixture[] = [];

async function failure(p: Promise<unknown>): Promise<Error> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(e instanceof Error)) throw new Error('expected the pull to fail');
  return e;
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'skiff-registry-auth-'));
  store = await openStore(path.join(work, 'build'));
  image = await buildBusyboxImage(store);
  const auth = randomHtpasswdAuth();
  creds = { username: auth.username, password: auth.password };
  reg = await startRegistry({ auth, serveTls: true });
  trusted = await parseRegistriesConfig(`configs:\n  "${reg.host}":\n    tls:\n      ca_file: ${reg.caFile}\n`);
  await pushImage(reg.host, 'app:1', store, image, creds, trusted);
});

afterAll(async () => {
  await reg?.stop();
  await Promise.all(others.map((r) => r.stop()));
  if (work) await rm(work, { recursive: true, force: true });
});

describe('a private registry on TLS with htpasswd auth', () => {
  it('serves HTTPS with its own CA, and pulls with the CA and the credentials from registries.yaml', async () => {
    expect(reg.url).toBe(`https://${reg.host}`);
    const cfg = await parseRegistriesConfig(`configs:\n  "${reg.host}":\n    tls:\n      ca_file: ${reg.caFile}\n    auth:\n      username: ${creds.username}\n      password: "${creds.password}"\n`);
    expect(await new ImageService({ root: root(), registryConfig: cfg }).pullImage({ image: `${reg.host}/app:1` })).toBe(image.configDigest);
  });

  it('without credentials: 401 naming the registry', async () => {
    const e = await failure(new ImageService({ root: root(), registryConfig: trusted }).pullImage({ image: `${reg.host}/app:1` }));
    expect(isRuntimeError(e, 'Unauthenticated'), String(e)).toBe(true);
    expect(e.message).toBe(`pull ${reg.host}/app:1: ${reg.host} answered 401 Unauthorized: unauthorized: authentication required (no credentials for ${reg.host})`);
  });

  it('with a wrong password: 401 naming the user, never the password', async () => {
    const wrong = `${creds.password}-wrong`;
    const e = await failure(new ImageService({ root: root(), registryConfig: trusted }).pullImage({ image: `${reg.host}/app:1` }, { auth: { username: creds.username, password: wrong } }));
    expect(isRuntimeError(e, 'Unauthenticated'), String(e)).toBe(true);
    expect(e.message).toBe(`pull ${reg.host}/app:1: ${reg.host} answered 401 Unauthorized: unauthorized: authentication required (the credentials of ${creds.username} were refused)`);
    expect(e.message).not.toContain(wrong);
    expect(e.message).not.toContain(Buffer.from(`${creds.username}:${wrong}`).toString('base64'));
  });

  it('what one pull opened with its credentials is not reused by a pull without them', async () => {
    const svc = new ImageService({ root: root(), registryConfig: trusted });
    expect(await svc.pullImage({ image: `${reg.host}/app:1` }, { auth: creds })).toBe(image.configDigest);
    const e = await failure(svc.pullImage({ image: `${reg.host}/app:1` }));
    expect(e.message).toMatch(/answered 401 Unauthorized/);
  });

  it('an unknown CA is a TLS error that says what to configure', async () => {
    const e = await failure(new ImageService({ root: root(), registryConfig: await parseRegistriesConfig(`configs:\n  "${reg.host}":\n    tls: {}\n`) }).pullImage({ image: `${reg.host}/app:1` }, { auth: creds }));
    expect(isRuntimeError(e, 'FailedPrecondition'), String(e)).toBe(true);
    expect(e.message).toMatch(new RegExp(`^pull ${reg.host}/app:1: ${reg.host}: TLS: certificate signed by unknown authority \\(.+\\); trust its CA with registries.yaml configs."${reg.host}".tls.ca_file$`));
  });

  it('a certificate for another name is a TLS error naming the host', async () => {
    const other = await startRegistry({ serveTls: { hosts: ['registry.skiff.test'] } });
    others.push(other);
    const cfg = await parseRegistriesConfig(`configs:\n  "${other.host}":\n    tls:\n      ca_file: ${other.caFile}\n`);
    const e = await failure(new ImageService({ root: root(), registryConfig: cfg }).pullImage({ image: `${other.host}/app:1` }));
    expect(isRuntimeError(e, 'FailedPrecondition'), String(e)).toBe(true);
    expect(e.message).toMatch(new RegExp(`${other.host}: TLS: certificate is not valid for ${other.host} \\(.*127\\.0\\.0\\.1.*\\)`));
  });

  it('a plain HTTP client to the TLS registry is told the registry speaks HTTPS', async () => {
    const file = path.join(work, 'plain.yaml');
    await writeFile(file, `configs:\n  "${reg.host}":\n    insecure: true\n`);
    const e = await failure(new ImageService({ root: root(), registryConfig: file }).pullImage({ image: `${reg.host}/app:1` }, { auth: creds }));
    expect(e.message).toMatch(new RegExp(`^pull ${reg.host}/app:1: `));
    expect(e.message).toMatch(/HTTP request to an HTTPS server/);
  });
});

describe('a registry that denies a repository', () => {
  it('403 naming the registry and its reason, as PermissionDenied', async () => {
    const denying = await startRegistry({ proxy: true, deny: ['secret'] });
    others.push(denying);
    await pushImage(denying.directHost, 'secret:1', store, image);
    const e = await failure(new ImageService({ root: root() }).pullImage({ image: `${denying.host}/secret:1` }));
    expect(isRuntimeError(e, 'PermissionDenied'), String(e)).toBe(true);
    expect(e.message).toBe(`pull ${denying.host}/secret:1: ${denying.host} answered 403 Forbidden: denied: requested access to the resource is denied`);
  });
});
