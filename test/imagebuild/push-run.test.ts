// `skiff build` as a user runs it (the built CLI, a separate process): the image lands in the
// node's image store, where `skiff cri run` starts it at once; `--push` ships it to a private
// registry (htpasswd, as `skiff up` runs it, on TLS with a CA of its own that the CLI trusts
// through --registry-config) that takes no anonymous request, with the credentials
// `skiff login` checked and kept in a docker-style config ($DOCKER_CONFIG, as docker and skopeo
// read it; a second push uploads nothing the registry has, and without credentials the push is
// refused), and a fresh node pulls and runs it from there. The layer report's warnings (a file deleted in a later layer) come with the build.
import crypto from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageService } from '../../runtime/image-service.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { outputsOf, startSkiff } from '../fixtures/process.js';
import { randomHtpasswdAuth, startRegistry, type RegistryFixture } from '../fixtures/registry.js';
import { expectStateDirReleased, releaseSuiteStateDir } from '../fixtures/runtime-state.js';

let tmp: string;
let reg: RegistryFixture;
let ctx: string;
const nodes: { root: string; bridge: string; cgroupParent: string }[] = [];

let dockerConfigDir: string;
/** registries.yaml with the registry's CA only: the credentials come from the docker config. */
let registriesYaml: string;

/** The CLI with the registry's credentials in its docker config (or, with `anonymous`, none at all). */
async function skiff(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return skiffAs(dockerConfigDir, ...args);
}

async function skiffAs(dockerConfig: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  // SKIFF_STATE_DIR: no default cluster's credentials (the CLI reads those too) blur the test.
  // --registry-config goes after the verb group's name (build, or cri's global flags).
  const withCa = args[0] === 'cri' ? ['cri', '--registry-config', registriesYaml, ...args.slice(1)] : [...args, '--registry-config', registriesYaml];
  const p = startSkiff(withCa, { env: { ...process.env, SKIFF_LOG_LEVEL: 'error', DOCKER_CONFIG: dockerConfig, SKIFF_STATE_DIR: path.join(tmp, 'no-cluster') } });
  return outputsOf(p);
}

/** A node-local runtime root with its own bridge and cgroup parent, so suites never collide. */
function node(name: string): string {
  const root = path.join(tmp, name);
  const suffix = crypto.randomBytes(3).toString('hex');
  const n = { root, bridge: `skb${suffix}`, cgroupParent: `/skiff-test-${process.pid}-${suffix}` };
  nodes.push(n);
  new SkiffRuntimeService({ root, images: new ImageService({ root }), bridgeName: n.bridge, podCidr: `10.89.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`, cgroupParent: n.cgroupParent });
  return root;
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'skiff-build-push-'));
  reg = await startRegistry({ auth: randomHtpasswdAuth(), serveTls: true });
  registriesYaml = path.join(tmp, 'registries.yaml');
  await writeFile(registriesYaml, `configs:\n  "${reg.host}":\n    tls:\n      ca_file: ${reg.caFile}\n`);
  dockerConfigDir = path.join(tmp, 'docker');
  ctx = path.join(tmp, 'ctx');
  await mkdir(ctx);
  await writeFile(path.join(ctx, 'msg.txt'), 'hello\n');
  await writeFile(
    path.join(ctx, 'Dockerfile'),
    `FROM busybox:1
COPY msg.txt /msg.txt
RUN echo "built by skiff" >> /msg.txt && head -c 200000 /dev/zero > /scratch.bin
RUN rm /scratch.bin
CMD ["cat", "/msg.txt"]
`,
  );
});

afterAll(async () => {
  const kept: (string | undefined)[] = [];
  for (const n of nodes) {
    const rt = new SkiffRuntimeService({ root: n.root, images: new ImageService({ root: n.root }) });
    for (const c of await rt.listContainers()) await rt.removeContainer(c.id);
    for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
    kept.push(await releaseSuiteStateDir(rt.stateDir));
    await deleteBridge(n.bridge);
    await removeCgroupTree(n.cgroupParent);
    await new ImageService({ root: n.root }).destroy().catch(() => undefined);
  }
  await reg?.stop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
  expectStateDirReleased(...kept);
});

/** `skiff login` with the password on stdin. */
async function login(password: string): Promise<{ code: number | null; out: string; err: string }> {
  const p = startSkiff(['login', '-u', reg.auth?.username ?? '', '--password-stdin', '--registry-config', registriesYaml, reg.host], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, DOCKER_CONFIG: dockerConfigDir } });
  p.child.stdin?.end(`${password}\n`);
  return outputsOf(p);
}

describe('skiff build CLI, push and run', { timeout: 180_000 }, () => {
  let root: string;
  let ref: string;

  it('skiff login checks the credentials with the registry and keeps them 0600', async () => {
    const wrong = await login('not-the-password');
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(new RegExp(`login ${reg.host}: ${reg.host} answered 401 Unauthorized: .*\\(the credentials of ${reg.auth?.username} were refused\\)`));
    expect(wrong.out + wrong.err).not.toContain('not-the-password');
    expect(existsSync(path.join(dockerConfigDir, 'config.json'))).toBe(false);
    const ok = await login(reg.auth?.password ?? '');
    expect(ok.out).toMatch(/^Login Succeeded/);
    expect(ok.code).toBe(0);
    expect((await stat(path.join(dockerConfigDir, 'config.json'))).mode & 0o777).toBe(0o600);
  });

  it('builds into the node image store and pushes; a second push uploads nothing', async () => {
    root = node('builder');
    const store = await openStore(path.join(tmp, 'seed'));
    await importImage(root, 'busybox:1', await buildBusyboxImage(store), store);
    ref = `${reg.host}/built:1`;
    const first = await skiff('build', '--root', root, '-t', ref, '--push', ctx);
    expect(first.err).not.toMatch(/^error/m);
    expect(first.code).toBe(0);
    // busybox, COPY, two RUN layers and the config
    expect(first.out).toMatch(new RegExp(`pushed ${ref}: 5 blob\\(s\\) uploaded, 0 already there`));
    // The report helper's analysis: /scratch.bin is shipped in one layer and deleted in the next.
    expect(first.err).toMatch(/WARNING: .*wasted.*scratch\.bin/);

    const second = await skiff('build', '--root', root, '-t', ref, '--push', ctx);
    expect(second.code).toBe(0);
    expect(second.out.match(/Using cache/g)).toHaveLength(3);
    expect(second.out).toMatch(new RegExp(`pushed ${ref}: 0 blob\\(s\\) uploaded, 5 already there`));

    // Without the credentials the registry refuses the push (and says so).
    const anonymous = await skiffAs(path.join(tmp, 'empty-docker-config'), 'build', '--root', root, '-t', `${reg.host}/anonymous:1`, '--push', ctx);
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toMatch(new RegExp(`${reg.host} answered 401 Unauthorized: .*\\(no credentials for ${reg.host}\\)`));
  });

  it('skiff cri run starts the built image on the same root at once', async () => {
    const r = await skiff('cri', '--root', root, 'run', '--name', 'built-local', ref);
    expect(r.err).toBe('');
    expect(r.out).toBe('hello\nbuilt by skiff\n');
    expect(r.code).toBe(0);
  });

  it('a fresh node pulls the pushed image from the registry and runs it', async () => {
    const fresh = node('fresh');
    const anonymous = await skiffAs(path.join(tmp, 'empty-docker-config'), 'cri', '--root', fresh, 'pull', ref);
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toMatch(new RegExp(`pull ${ref}: ${reg.host} answered 401 Unauthorized: unauthorized: authentication required \\(no credentials for ${reg.host}\\)`));
    // A wrong password in the docker config: the same 401, naming the user and never the password.
    const wrongDir = path.join(tmp, 'wrong-docker-config');
    await mkdir(wrongDir, { recursive: true });
    const wrongPassword = `${reg.auth?.password ?? ''}-wrong`;
    await writeFile(path.join(wrongDir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from(`${reg.auth?.username}:${wrongPassword}`).toString('base64') } } }));
    const wrong = await skiffAs(wrongDir, 'cri', '--root', fresh, 'pull', ref);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(new RegExp(`pull ${ref}: ${reg.host} answered 401 Unauthorized: .*\\(the credentials of ${reg.auth?.username} were refused\\)`));
    expect(wrong.out + wrong.err).not.toContain(wrongPassword);
    const r = await skiff('cri', '--root', fresh, 'run', '--name', 'built-pulled', ref);
    expect(r.out, JSON.stringify(r)).toBe('hello\nbuilt by skiff\n');
    expect(r.code).toBe(0);
  });

  it('bad input gets a clear error: a missing COPY source, an unknown instruction', async () => {
    const bad = path.join(tmp, 'bad');
    await mkdir(bad, { recursive: true });
    await writeFile(path.join(bad, 'Dockerfile'), 'FROM busybox:1\nCOPY nothere.txt /x\n');
    const missing = await skiff('build', '--root', root, '-t', 'bad:1', bad);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/Dockerfile:2: COPY nothere.txt \/x: .*"nothere.txt" not found in the build context/);
    await writeFile(path.join(bad, 'Dockerfile'), 'FROM busybox:1\nFETCH x\n');
    const unknown = await skiff('build', '--root', root, '-t', 'bad:1', bad);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/Dockerfile:2: unknown instruction: FETCH/);
  });
});
