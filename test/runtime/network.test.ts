// Pod networking on the real CNI plugins: containers of one sandbox share localhost; a
// published port is reachable from the node's loopback and from the node's own address
// (portmap DNAT + SNAT); teardown (CNI DEL) is idempotent and leaves no veth, netns or
// iptables rule for the pod.
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError } from '../../runtime/cri.js';
import { runCommand } from '../../runtime/oci/command.js';
import { freePort } from '../fixtures/ports.js';
import { collectLogs, runContainer, startHarness, waitExited, waitFor, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.teardown();
});

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

function nodeAddress(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('10.88.')) return a.address;
  }
  return undefined;
}

const serve = (text: string, port: number) => ['sh', '-c', `mkdir -p /www && echo ${text} > /www/index.html && exec httpd -f -p ${port} -h /www`];

describe('pod network', () => {
  it('gives the sandbox an IP from the pod CIDR and lets its containers share localhost', async () => {
    const sc = h.sandboxConfig('pair', { linux: { sysctls: { 'net.ipv4.ip_unprivileged_port_start': '80' } } });
    const sb = await h.rt.runPodSandbox(sc);
    const st = await h.rt.podSandboxStatus(sb);
    const prefix = h.podCidr.split('.').slice(0, 3).join('.');
    expect(st.network?.ip).toMatch(new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.\\d+$`));
    expect(st.linux?.namespaces?.network).toMatch(/^\/run\/netns\/skiff-/);

    const server = await runContainer(h, sb, sc, h.containerConfig('server', { command: serve('hello-from-sidecar', 8081) }));
    const client = await runContainer(h, sb, sc, h.containerConfig('client', {
      command: ['sh', '-c', 'for i in $(seq 50); do wget -q -O - http://127.0.0.1:8081/ && exit 0; sleep 0.1; done; exit 1'],
    }));
    expect((await waitExited(h, client)).exitCode).toBe(0);
    expect((await collectLogs(h.rt, client)).map((l) => l.line)).toEqual(['hello-from-sidecar']);
    // the pod's namespaced sysctl is set in its network namespace
    expect((await h.rt.execSync(server, ['cat', '/proc/sys/net/ipv4/ip_unprivileged_port_start'], 5)).stdout.toString().trim()).toBe('80');
    // The node reaches the pod directly on its IP over the bridge, too.
    expect((await get(st.network?.ip as string, 8081)).trim()).toBe('hello-from-sidecar');
    await h.rt.stopContainer(server, 0);
    await h.rt.removePodSandbox(sb);
  });

  it('publishes a port on the node loopback and the node address, and removes every trace on teardown', async () => {
    const hostPort = await freePort();
    const sc = h.sandboxConfig('published', { portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }] });
    const sb = await h.rt.runPodSandbox(sc);
    const ip = (await h.rt.podSandboxStatus(sb)).network?.ip as string;
    await runContainer(h, sb, sc, h.containerConfig('web', { command: serve('published', 8080) }));
    const body = await waitFor(async () => get('127.0.0.1', hostPort).catch(() => undefined), 'published port on 127.0.0.1');
    expect(body.trim()).toBe('published');
    const addr = nodeAddress();
    if (addr) expect((await get(addr, hostPort)).trim()).toBe('published');

    const rulesFor = async () => (await runCommand('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`${ip}`) || l.includes(`--dport ${hostPort} `));
    expect((await rulesFor()).length).toBeGreaterThan(0);
    const veths = async () => (await runCommand('ip', ['-o', 'link', 'show', 'master', h.bridge])).stdout.split('\n').filter(Boolean);
    expect((await veths()).length).toBeGreaterThan(0);

    await h.rt.stopPodSandbox(sb);
    expect((await h.rt.podSandboxStatus(sb)).state).toBe('SANDBOX_NOTREADY');
    // idempotent: a second stop and CNI DEL of nothing succeed
    await h.rt.stopPodSandbox(sb);
    expect(await rulesFor()).toEqual([]);
    expect(await veths()).toEqual([]);
    await expect(get('127.0.0.1', hostPort)).rejects.toThrow();
    await h.rt.removePodSandbox(sb);
    await h.rt.removePodSandbox(sb);
    expect(await h.rt.listPodSandbox()).toEqual([]);
  });

  it('fails a sandbox whose CNI plugins cannot run, and keeps nothing of it', async () => {
    // The plugins are started while the namespace is being made; one that cannot start fails
    // the sandbox cleanly (no record, no bridge, no log directory).
    const broken = await startHarness({ cniBinDir: path.join(h.root, 'no-cni-plugins-here') });
    try {
      const err = await broken.rt.runPodSandbox(broken.sandboxConfig('nocni')).catch((e: unknown) => e);
      expect(isRuntimeError(err, 'Unavailable')).toBe(true);
      expect((err as Error).message).toMatch(/no-cni-plugins-here/);
      expect(await broken.rt.listPodSandbox()).toEqual([]);
      expect(await fs.readdir(path.join(broken.stateDir, 'sandboxes'))).toEqual([]);
      expect((await runCommand('ip', ['link', 'show', broken.bridge])).code).not.toBe(0);
      expect(await fs.readdir(path.join(broken.root, 'rt', 'logs'))).toEqual([]);
    } finally {
      await broken.teardown();
    }
  });

  it('runs on the host network without a namespace or CNI', async () => {
    const sc = h.sandboxConfig('hostnet', { linux: { hostNetwork: true } });
    const sb = await h.rt.runPodSandbox(sc);
    expect((await h.rt.podSandboxStatus(sb)).network).toBeUndefined();
    const id = await runContainer(h, sb, sc, h.containerConfig('c', { command: ['hostname'] }));
    await waitExited(h, id);
    expect((await collectLogs(h.rt, id)).map((l) => l.line)).toEqual([os.hostname()]);
    await h.rt.removePodSandbox(sb);
  });
});
