// The node verbs of the CLI against a real node: a kubelet on skiff's runtime with its HTTPS
// server, reached only through the API server's node proxy. pull (plain per-layer lines when
// stdout is no terminal), images (and the NODE column with two nodes), rmi (refused while a
// container uses the image), prune, top nodes|pods from the Summary API, and run --wait
// showing the kubelet's pull and start as it happens (per layer, followed on the node while
// the kubelet pulls through a slow link); pull from a private registry (htpasswd on TLS) with
// the user's credentials from their docker config, as `skiff login` keeps them.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Node } from '../../api/types/core.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { encodeBasic } from '../../runtime/images/auth.js';
import { freePort } from '../fixtures/ports.js';
import { repoRoot, skiffEntry, startProcess, startSkiff, type Proc } from '../fixtures/process.js';
import { startNodeCluster, type NodeCluster } from '../kubelet/harness.js';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 180_000 });

let c: NodeCluster;
let dir: string;
let env: NodeJS.ProcessEnv;

async function skiff(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = startSkiff(args, { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  proc.child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const timer = setTimeout(() => void proc.stop(1000), 90_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** `skiff pull` with a terminal for stdout: script(1) gives it a pty. */
async function ttyPull(image: string): Promise<{ code: number | null; output: string }> {
  const command = [process.execPath, skiffEntry, 'pull', image].map((a) => `'${a}'`).join(' ');
  const proc = startProcess('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env, SKIFF_LOG_JSON: '1', COLUMNS: '120' }, cwd: repoRoot });
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

beforeAll(async () => {
  c = await startNodeCluster({ kubeletServer: true, privateRegistry: true });
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-cli-node-'));
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, buildKubeconfig({ server: c.apiUrl, token: c.adminToken, name: 'test' }));
  env = { KUBECONFIG: kubeconfig, HOME: dir };
});

afterAll(async () => {
  await c?.teardown();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

/** "127.0.0.1:PORT/busybox" and "1" of the test image. */
const repo = () => c.image.replace(/:[^:/]+$/, '');
const tag = () => c.image.slice(c.image.lastIndexOf(':') + 1);


/**
 * No scheduler runs here: binds the pod `run --wait` created, as the scheduler would, and
 * waits for the command to end; it must succeed. Its output.
 */
async function bindAndFinish(run: Proc, name: string): Promise<string> {
  const pod = await vi.waitFor(async () => c.getPod(name), { timeout: 30_000, interval: 100 });
  await c.admin.bindPod(c.ns, name, c.node, pod.metadata.uid);
  const { code } = await run.exited;
  const out = run.output();
  expect(code, out).toBe(0);
  return out;
}
describe('node images through the node proxy', () => {
  it('pull shows a line per layer and step when stdout is not a terminal, then the image ID', async () => {
    const r = await skiff(['pull', c.image]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{12}: Pulling fs layer$/m);
    expect(r.stdout).toMatch(/^[0-9a-f]{12}: Download complete \(\d/m);
    expect(r.stdout).toMatch(/^[0-9a-f]{12}: Pull complete$/m);
    expect(r.stdout).toContain(`Status: Downloaded newer image for ${c.image} on node ${c.node}\n`);
    const id = /^ID: (sha256:[0-9a-f]{64})$/m.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    const again = await skiff(['pull', '--node', c.node, c.image]);
    expect(again).toMatchObject({ code: 0, stderr: '' });
    expect(again.stdout).toContain(`Status: Image is up to date for ${c.image} on node ${c.node}\n`);
    expect(again.stdout).toContain(`ID: ${id}\n`);
  });

  it('images lists REPOSITORY TAG IMAGE ID CREATED SIZE, and -q the IDs', async () => {
    const r = await skiff(['images']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    const row = lines.find((l) => l.startsWith(`${repo()} `));
    expect(row).toMatch(new RegExp(`^${repo().replace(/[.]/g, '\\.')}\\s+${tag()}\\s+[0-9a-f]{12}\\s+\\S.*ago\\s+\\d+(\\.\\d+)?[kMG]?B$`));
    const q = await skiff(['images', '--node', c.node, '-q']);
    expect(q.stdout.trim().split('\n')).toContain(row?.split(/\s+/)[2]);
  });

  it('with two nodes, images leads with a NODE column', async () => {
    const real = await c.admin.nodes.get(c.node);
    const twin = `twin-${crypto.randomBytes(3).toString('hex')}`;
    // A second Node whose kubelet address is the same kubelet: the proxy is asked twice.
    await c.admin.nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: twin } } as Node);
    try {
      await c.admin.nodes.patchStatus(twin, { status: { addresses: real.status?.addresses, daemonEndpoints: real.status?.daemonEndpoints } });
      const r = await skiff(['images']);
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const lines = r.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^NODE\s+REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
      expect(lines.some((l) => l.startsWith(`${c.node} `) && l.includes(repo()))).toBe(true);
      expect(lines.some((l) => l.startsWith(`${twin} `) && l.includes(repo()))).toBe(true);
      const pull = await skiff(['pull', c.image]);
      expect(pull).toMatchObject({ code: 1, stderr: 'error: the cluster has 2 nodes: say which one pulls with --node NAME\n' });
    } finally {
      await c.admin.nodes.delete(twin);
    }
  });

  it('a node whose kubelet does not answer is reported, and the others are still shown', async () => {
    const real = await c.admin.nodes.get(c.node);
    const dead = `dead-${crypto.randomBytes(3).toString('hex')}`;
    await c.admin.nodes.create({ apiVersion: 'v1', kind: 'Node', metadata: { name: dead } } as Node);
    try {
      // Nothing listens on this port.
      await c.admin.nodes.patchStatus(dead, {
        status: { addresses: real.status?.addresses, daemonEndpoints: { kubeletEndpoint: { Port: await freePort() } }, allocatable: { cpu: '1', memory: '1Gi' } },
      });
      const images = await skiff(['images']);
      expect(images.code).toBe(1);
      expect(images.stdout).toMatch(new RegExp(`^${c.node}\\s+${repo().replace(/[.]/g, '\\.')}\\s`, 'm'));
      expect(images.stderr).toMatch(new RegExp(`^error: node ${dead}: .+\\n$`));
      const top = await skiff(['top', 'nodes']);
      expect(top.code).toBe(0);
      expect(top.stdout).toMatch(new RegExp(`^${dead}\\s+<unknown>\\s+<unknown>\\s+<unknown>\\s+<unknown>$`, 'm'));
      expect(top.stdout).toMatch(new RegExp(`^${c.node}\\s+\\d+m\\s+\\d+%`, 'm'));
      expect(top.stderr).toMatch(new RegExp(`^Warning: no metrics from node ${dead}: `));
    } finally {
      await c.admin.nodes.delete(dead);
    }
  });

  it('a missing node and a missing image are clear errors', async () => {
    expect(await skiff(['images', '--node', 'nope'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): nodes "nope" not found\n' });
    const r = await skiff(['rmi', '--node', c.node, 'nothing-here:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: nothing-here:1: .+\n$/);
  });
});

describe('run --wait and top on a real node', () => {
  const name = `waiter-${crypto.randomBytes(2).toString('hex')}`;

  it('run --wait shows the kubelet pulling and starting the container as it happens', async () => {
    // The image is removed first, so the kubelet has to pull it.
    expect(await skiff(['rmi', c.image])).toMatchObject({ code: 0 });
    const run = startSkiff(['run', name, '--image', c.image, '--wait', '-n', c.ns], { env: { ...process.env, ...env } });
    try {
      const out = await bindAndFinish(run, name);
      expect(out).toContain(`pod/${name} created\n`);
      expect(out).toContain(`  Normal  Pulling  Pulling image "${c.image}"\n`);
      expect(out).toMatch(new RegExp(`  Normal  Pulled  Successfully pulled image "${c.image.replace(/[.]/g, '\\.')}" in [\\d.]+m?s`));
      expect(out).toContain('  Normal  Started  ');
      expect(out).toContain(`  pod/${name} is running (1/1 ready)\n`);
      expect(out.indexOf('Pulling image')).toBeLessThan(out.indexOf('is running'));
    } finally {
      await run.stop(2000);
    }
  });

  it('top nodes shows the node\'s CPU and memory with shares of its allocatable', async () => {
    const r = await skiff(['top', 'nodes']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [head, row] = r.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^NAME\s+CPU\(cores\)\s+CPU%\s+MEMORY\(bytes\)\s+MEMORY%$/);
    const m = new RegExp(`^${c.node}\\s+(\\d+)m\\s+(\\d+)%\\s+(\\d+)Mi\\s+(\\d+)%$`).exec(row ?? '');
    expect(m, row).not.toBeNull();
    // MEMORY% is the working set over the node's allocatable memory (8Gi in this harness).
    // (The percentage is taken of the bytes, the column shows whole MiB: they differ by at most one.)
    const share = Math.floor((Number(m?.[3]) * 100) / (8 * 1024));
    expect(Number(m?.[4])).toBeGreaterThanOrEqual(share);
    expect(Number(m?.[4])).toBeLessThanOrEqual(share + 1);
  });

  it('top pods shows the pod, per container with --containers, and all namespaces with -A', async () => {
    const r = await skiff(['top', 'pods', '-n', c.ns]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const [head, row] = r.stdout.trimEnd().split('\n');
    expect(head).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)$/);
    const m = new RegExp(`^${name}\\s+(\\d+)m\\s+(\\d+)Mi$`).exec(row ?? '');
    expect(m, row).not.toBeNull();
    // The figure is the kubelet's own: its Summary API says the same working set (give or take a MiB).
    const summary = await c.admin.request<{ pods: { podRef: { name: string }; memory?: { workingSetBytes: number } }[] }>({ path: `/api/v1/nodes/${c.node}/proxy/stats/summary` });
    const ws = summary.pods.find((p) => p.podRef.name === name)?.memory?.workingSetBytes ?? -1;
    expect(Math.abs(Number(m?.[2]) - Math.floor(ws / 1024 / 1024))).toBeLessThanOrEqual(1);

    const per = await skiff(['top', 'pods', '-n', c.ns, '--containers', '-l', `run=${name}`]);
    expect(per.stdout).toMatch(new RegExp(`^POD\\s+NAME\\s+CPU\\(cores\\)\\s+MEMORY\\(bytes\\)\\n${name}\\s+${name}\\s+\\d+m\\s+\\d+Mi\\n$`));
    const all = await skiff(['top', 'pods', '-A', '--no-headers']);
    expect(all.stdout).toMatch(new RegExp(`^${c.ns}\\s+${name}\\s+\\d+m\\s+\\d+Mi$`, 'm'));
    const none = await skiff(['top', 'pods', '-l', 'app=none', '-n', c.ns]);
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: `No resources found in ${c.ns} namespace.\n` });
  });

  it('rmi refuses an image a container uses; after the pod is gone rmi untags and deletes it; prune reports what it freed', async () => {
    const busy = await skiff(['rmi', '--node', c.node, c.image]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toMatch(/is in use by a container/);
    await c.admin.pods.delete(name, { namespace: c.ns, gracePeriodSeconds: 1 });
    await c.waitGone(name, 60_000);
    const r = await skiff(['rmi', c.image]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^Untagged: ${c.image.replace(/[.]/g, '\\.')}\\nDeleted: sha256:[0-9a-f]{64}\\n$`));
    expect((await skiff(['images', '-q'])).stdout).toBe('');

    // On a terminal (a pty from script(1)) the pull draws a bar per layer instead of lines.
    const tty = await ttyPull(c.image);
    expect(tty.code, tty.output).toBe(0);
    expect(tty.output).toMatch(/[0-9a-f]{12}: \[█+\] Pull complete/);
    expect(tty.output).toContain(`Status: Downloaded newer image for ${c.image}`);
    const p = await skiff(['prune', '--node', c.node]);
    expect(p).toMatchObject({ code: 0, stderr: '' });
    expect(p.stdout).toMatch(/^Deleted Images:\ndeleted: sha256:[0-9a-f]{64}\n\nTotal reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
    expect((await skiff(['images', '-q'])).stdout).toBe('');
  });
});

/**
 * An HTTP proxy to the registry that hands out blobs slowly (32 KiB per 100 ms), so a pull
 * through it is still in progress when `run --wait` comes to follow it. It signs its requests
 * with the registry's credentials itself: the node's registries.yaml names only the registry.
 */
async function slowRegistry(target: string, auth: { username: string; password: string } | undefined): Promise<{ host: string; close(): Promise<void> }> {
  const [hostname, port] = target.split(':');
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, ...(auth ? { authorization: `Basic ${encodeBasic(auth)}` } : {}) };
    const up = http.request({ hostname, port: Number(port), method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      if (!/\/blobs\/sha256:/.test(req.url ?? '') || req.method !== 'GET') {
        r.pipe(res);
        return;
      }
      r.on('data', (chunk: Buffer) => {
        r.pause();
        const pieces: Buffer[] = [];
        for (let i = 0; i < chunk.length; i += 32768) pieces.push(chunk.subarray(i, i + 32768));
        const next = () => {
          const piece = pieces.shift();
          if (!piece) return void r.resume();
          res.write(piece);
          setTimeout(next, 100);
        };
        next();
      });
      r.on('end', () => {
        // The last data chunk's pieces may still be going out.
        const done = () => (r.isPaused() ? setTimeout(done, 50) : res.end());
        done();
      });
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

describe('run --wait follows the pull on the node', () => {
  it('the kubelet answers at once when it is not pulling that image, and wants an image', async () => {
    const path = `/api/v1/nodes/${c.node}/proxy/images/pulls`;
    expect(await c.admin.request({ path, query: { image: 'nothing-here:1' } })).toEqual({ done: true, pulling: false });
    await expect(c.admin.request({ path })).rejects.toThrow(/want GET \/images\/pulls\?image=REFERENCE/);
  });

  it('shows the layers of a pull in progress, as skiff pull does, before the pod runs', async () => {
    const slow = await slowRegistry(c.registryHost, c.controlPlane.reg?.auth);
    const name = `slowpull-${crypto.randomBytes(2).toString('hex')}`;
    const image = `${slow.host}/busybox:${tag()}`;
    const run = startSkiff(['run', name, '--image', image, '--wait', '-n', c.ns], { env: { ...process.env, ...env } });
    try {
      const out = await bindAndFinish(run, name);
      // Plain lines (stdout is a pipe), indented like the events around them.
      expect(out).toMatch(/^ {2}[0-9a-f]{12}: Pulling fs layer$/m);
      expect(out).toMatch(/^ {2}[0-9a-f]{12}: Download complete \(\d/m);
      expect(out).toMatch(/^ {2}[0-9a-f]{12}: Pull complete$/m);
      const pulling = out.indexOf(`Pulling image "${image}"`);
      const layer = out.search(/[0-9a-f]{12}: Pull complete/);
      expect(pulling).toBeGreaterThan(0);
      expect(layer).toBeGreaterThan(pulling);
      expect(layer).toBeLessThan(out.indexOf(`pod/${name} is running`));
    } finally {
      await run.stop(2000);
      await c.admin.pods.delete(name, { namespace: c.ns, gracePeriodSeconds: 1 }).catch(() => undefined);
      await c.waitGone(name, 60_000).catch(() => undefined);
      // The next case pulls it again, blobs and all.
      await skiff(['rmi', image]);
      await skiff(['prune']);
      await slow.close();
    }
  });

  it('on a terminal, bars per layer; the events that come meanwhile are printed once the bars stop', async () => {
    const slow = await slowRegistry(c.registryHost, c.controlPlane.reg?.auth);
    const name = `slowtty-${crypto.randomBytes(2).toString('hex')}`;
    const image = `${slow.host}/busybox:${tag()}`;
    const command = [process.execPath, skiffEntry, 'run', name, '--image', image, '--wait', '-n', c.ns].map((a) => `'${a}'`).join(' ');
    const run = startProcess('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ...env, COLUMNS: '120' }, cwd: repoRoot });
    try {
      const out = await bindAndFinish(run, name);
      const bar = out.search(/[0-9a-f]{12}: \[█+\] Pull complete/);
      expect(bar, out).toBeGreaterThan(out.indexOf(`Pulling image "${image}"`));
      expect(out.indexOf('Successfully pulled image')).toBeGreaterThan(bar);
      expect(out).toContain(`pod/${name} is running (1/1 ready)`);
    } finally {
      await run.stop(2000);
      await c.admin.pods.delete(name, { namespace: c.ns, gracePeriodSeconds: 1 }).catch(() => undefined);
      await c.waitGone(name, 60_000).catch(() => undefined);
      await slow.close();
    }
  });
});

describe('pull from a private registry with the credentials of skiff login', () => {
  it('without credentials 401; a wrong password 401 naming the user; after skiff login the node pulls', async () => {
    const priv = c.privateRegistry;
    if (!priv) throw new Error('no private registry');
    const host = priv.reg.host;
    const none = await skiff(['pull', priv.image]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(new RegExp(`pulling ${priv.image} on node ${c.node}: pull ${priv.image}: ${host} answered 401 Unauthorized: unauthorized: authentication required \\(no credentials for ${host}\\)`));

    const dockerDir = path.join(dir, '.docker');
    const wrongPassword = `${priv.creds.password}-wrong`;
    await fs.mkdir(dockerDir, { recursive: true });
    await fs.writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({ auths: { [host]: { auth: encodeBasic({ username: priv.creds.username, password: wrongPassword }) } } }));
    const wrong = await skiff(['pull', priv.image]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(new RegExp(`${host} answered 401 Unauthorized: .*\\(the credentials of ${priv.creds.username} were refused\\)`));
    expect(wrong.stdout + wrong.stderr).not.toContain(wrongPassword);

    // skiff login checks the password against the registry (its CA from a registries.yaml) and keeps it in ~/.docker/config.json.
    const yaml = path.join(dir, 'registries.yaml');
    await fs.writeFile(yaml, `configs:\n  "${host}":\n    tls:\n      ca_file: ${priv.reg.caFile}\n`);
    const login = startSkiff(['login', '-u', priv.creds.username, '--password-stdin', '--registry-config', yaml, host], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    login.child.stdin?.end(`${priv.creds.password}\n`);
    const { code } = await login.exited;
    expect(code, login.output()).toBe(0);
    expect(login.output()).not.toContain(priv.creds.password);
    const ok = await skiff(['pull', priv.image]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ID: sha256:[0-9a-f]{64}$/m);
  });
});
