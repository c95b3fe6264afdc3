// A runtime under test: its own root and state dir, bridge, pod CIDR and cgroup parent (unique
// per suite, so suites run side by side), busybox images, and a teardown that removes every
// sandbox and then checks and removes what a node leaves behind (bridge, cgroup parent, the
// state dir's tmpfs, root). The state dir is inside the suite's temp dir, so what names the
// root (mounts, conmon's arguments) names the harness.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ContainerConfig, PodSandboxConfig } from '../../runtime/cri.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { existingCgroupDirs, removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { runCommand } from '../../runtime/oci/command.js';
import { SkiffRuntimeService, type RuntimeServiceOptions } from '../../runtime/runtime-service.js';
import { eventually } from '../fixtures/eventually.js';
import { expectStateDirReleased, releaseSuiteStateDir } from '../fixtures/runtime-state.js';
import { DirImageProvider } from './dir-image-provider.js';

export interface Harness {
  root: string;
  /** The runtime's state dir (a tmpfs the runtime mounts; released by teardown). */
  stateDir: string;
  bridge: string;
  podCidr: string;
  cgroupParent: string;
  images: DirImageProvider;
  rt: SkiffRuntimeService;
  /** A second instance on the same root (re-adoption). */
  reopen(): SkiffRuntimeService;
  sandboxConfig(name: string, extra?: Partial<PodSandboxConfig>): PodSandboxConfig;
  containerConfig(name: string, extra?: Partial<ContainerConfig>): ContainerConfig;
  teardown(): Promise<void>;
}

/** `parent`: where the suite's temp dir goes (os.tmpdir() by default). */
export async function startHarness(opts: Partial<RuntimeServiceOptions> = {}, parent = os.tmpdir()): Promise<Harness> {
  const suffix = crypto.randomBytes(3).toString('hex');
  const root = await fs.mkdtemp(path.join(parent, 'skiff-rt-'));
  const images = new DirImageProvider(path.join(root, 'images-provider'));
  await images.addBusyboxImage('busybox', { cmd: ['sh'] });
  const bridge = `skt${suffix}`;
  const octet = 16 + (crypto.randomBytes(1)[0] % 200);
  const podCidr = `10.88.${octet}.0/24`;
  const cgroupParent = `/skiff-test-${process.pid}-${suffix}`;
  const stateDir = path.join(root, 'state');
  const make = () => new SkiffRuntimeService({ root: path.join(root, 'rt'), stateDir, images, bridgeName: bridge, podCidr, cgroupParent, ...opts });
  const rt = make();
  let n = 0;
  return {
    root,
    stateDir,
    bridge,
    podCidr,
    cgroupParent,
    images,
    rt,
    reopen: make,
    sandboxConfig: (name, extra = {}) => ({ metadata: { name, namespace: 'default', uid: `uid-${name}-${suffix}-${n++}`, attempt: 0 }, ...extra }),
    containerConfig: (name, extra = {}) => ({ metadata: { name, attempt: 0 }, image: { image: 'busybox' }, ...extra }),
    async teardown() {
      // A fresh instance also sees what other processes (detached-start.ts) left on the root.
      const all = make();
      for (const c of await all.listContainers()) await all.removeContainer(c.id);
      for (const s of await all.listPodSandbox()) await all.removePodSandbox(s.id);
      await deleteBridge(bridge);
      await removeCgroupTree(cgroupParent);
      // A state tmpfs still mounted would stop the root's removal: say why it stayed.
      expectStateDirReleased(await releaseSuiteStateDir(stateDir));
      await fs.rm(root, { recursive: true, force: true });
    },
  };
}

/** Everything on the machine that mentions this harness: for "nothing leaked" checks. */
export async function leftovers(h: Harness, sandboxIds: string[]): Promise<{ mounts: string[]; netns: string[]; links: string[]; iptables: string[]; conmons: string[]; cgroups: string[] }> {
  const mountinfo = await fs.readFile('/proc/self/mountinfo', 'utf8');
  // The state dir's own tmpfs stays until teardown.
  const mounts = mountinfo.split('\n').filter((l) => l.includes(h.root) && l.split(' ')[4] !== h.stateDir);
  const netnsNames = await fs.readdir('/run/netns').catch(() => [] as string[]);
  const wanted = new Set(sandboxIds.map((id) => `skiff-${id.slice(0, 20)}`));
  const netns = netnsNames.filter((n) => wanted.has(n));
  // The parent itself may stay (it is the node's); no pod or container cgroup may.
  const cgroups: string[] = [];
  for (const dir of existingCgroupDirs(h.cgroupParent)) {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) if (e.isDirectory()) cgroups.push(path.join(dir, e.name));
  }
  const links = (await runCommand('ip', ['-o', 'link', 'show', 'master', h.bridge])).stdout.split('\n').filter(Boolean);
  const prefix = h.podCidr.split('.').slice(0, 3).join('.');
  const iptables = (await runCommand('iptables-save', [])).stdout.split('\n').filter((l) => l.includes(`${prefix}.`));
  const conmons: string[] = [];
  for (const pid of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.startsWith('conmon\0') || cmd.includes('/conmon\0')) if (cmd.includes(h.root)) conmons.push(pid);
  }
  return { mounts, netns, links, iptables, conmons, cgroups };
}

export async function collectLogs(rt: SkiffRuntimeService, id: string, opts: Parameters<SkiffRuntimeService['readLogs']>[1] = {}): Promise<{ stream: string; line: string; time: string }[]> {
  const out: { stream: string; line: string; time: string }[] = [];
  for await (const l of rt.readLogs(id, opts)) out.push(l);
  return out;
}

/** Polls `check` until it returns a value other than undefined/false (the shared `eventually`, 15 s). */
export const waitFor = <T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> => eventually(check, what, timeoutMs, { intervalMs: 50 });

/** Creates and starts one container in a sandbox; returns its ID. */
export async function runContainer(h: Harness, sandboxId: string, sandboxConfig: PodSandboxConfig, config: ContainerConfig): Promise<string> {
  const id = await h.rt.createContainer(sandboxId, config, sandboxConfig);
  await h.rt.startContainer(id);
  return id;
}

export async function waitExited(h: Harness, id: string, timeoutMs = 15_000) {
  return waitFor(async () => {
    const s = await h.rt.containerStatus(id);
    return s.state === 'CONTAINER_EXITED' ? s : undefined;
  }, `container ${id} to exit`, timeoutMs);
}

/** A container in the sandbox running busybox httpd on port, answering GET / with body; resolves once a port-forward gets through. */
export async function startHttpd(h: Harness, sb: { id: string; config: PodSandboxConfig }, port: number, body: string, name = `httpd-${port}`): Promise<string> {
  const q = `'${body.replace(/'/g, `'\\''`)}'`;
  const id = await runContainer(h, sb.id, sb.config, h.containerConfig(name, { command: ['sh', '-c', `mkdir -p /www && echo ${q} > /www/index.html && exec httpd -f -p ${port} -h /www`] }));
  await waitFor(async () => {
    (await h.rt.portForward(sb.id, port)).destroy();
    return true;
  }, `httpd on port ${port} in sandbox ${sb.id}`);
  return id;
}
