// The seed's order on one machine, with the real default networks: `skiff cri run -d
// --publish` (docker-style, its own skiff-cri0), `skiff cri rm`, then a pod of `skiff up`'s
// network (skiff0, 10.88.0.0/24) starts; a root that asks for skiff0 with another pod CIDR gets
// an error naming the root that uses it; a root `skiff cri` used before it had a network of its
// own (skiff0, 10.88.0.0/16 in its node.json) moves to skiff-cri0. Every command runs
// in a network namespace of the suite's own (nsenter --net only, so mounts stay shared), so the
// default bridge names clash with nobody else's on the machine and go away with it.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../cluster/detach.js';
import { CRI_RUN_NETWORK } from '../../cli/node/cri-runs.js';
import { ImageService } from '../../runtime/image-service.js';
import { removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { runCommand } from '../../runtime/oci/command.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { buildBusyboxImage, importImage, openStore } from '../fixtures/images.js';
import { outputsOf, repoRoot, startProcess } from '../fixtures/process.js';
import { expectStateDirReleased, releaseSuiteStateDir } from '../fixtures/runtime-state.js';

const suffix = crypto.randomBytes(3).toString('hex');
const netns = `skiff-t-crinet-${suffix}`;
const cgroupParent = `/skiff-test-${process.pid}-cn${suffix}`;
let tmp: string;
const roots = { cri: '', up: '', other: '', legacy: '' };

async function skiff(root: string, ...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const p = startProcess('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '--import', 'tsx', path.join(repoRoot, 'test/runtime/cri-entry.ts'), '--root', root, ...args], {
    cwd: repoRoot,
    env: { ...process.env, SKIFF_LOG_JSON: '1', SKIFF_LOG_LEVEL: 'error' },
  });
  return outputsOf(p);
}

const addresses = async (bridge: string) => (await runCommand('ip', ['-n', netns, '-4', '-o', 'addr', 'show', 'dev', bridge])).stdout;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-crinet-'));
  expect((await runCommand('ip', ['netns', 'add', netns])).code).toBe(0);
  await runCommand('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  const store = await openStore(path.join(tmp, 'build-store'));
  const img = await buildBusyboxImage(store, { config: { Cmd: ['sh'] } });
  for (const k of Object.keys(roots) as (keyof typeof roots)[]) {
    roots[k] = path.join(tmp, k);
    await fs.mkdir(roots[k], { recursive: true });
    await importImage(roots[k], 'busybox:1', img, store);
  }
  // The docker-style root names only its cgroup parent (unique to the suite): its network is
  // the CLI's default. The others are set up as `skiff up`'s kubelet, as a root asking for
  // skiff0 with another CIDR, and as what `skiff cri` wrote before it had its own network.
  await fs.writeFile(path.join(roots.cri, 'node.json'), JSON.stringify({ cgroupParent }));
  new SkiffRuntimeService({ root: roots.up, images: new ImageService({ root: roots.up }), bridgeName: DEFAULTS.bridge, podCidr: DEFAULTS.podCidr, cgroupParent });
  new SkiffRuntimeService({ root: roots.other, images: new ImageService({ root: roots.other }), bridgeName: 'skiff0', podCidr: '10.86.0.0/24', cgroupParent });
  await fs.writeFile(path.join(roots.legacy, 'node.json'), JSON.stringify({ network: { bridge: 'skiff0', podCidr: '10.88.0.0/16' }, cgroupParent }));
});

afterAll(async () => {
  const kept: (string | undefined)[] = [];
  for (const root of Object.values(roots).filter(Boolean)) {
    // In the suite's namespace first (so portmap's DEL finds its rules), then in-process for anything left.
    const ids = (await skiff(root, 'ps', '-a', '-q')).out.split('\n').filter(Boolean);
    if (ids.length) await skiff(root, 'rm', '-f', ...ids);
    const rt = new SkiffRuntimeService({ root, images: new ImageService({ root }) });
    for (const c of await rt.listContainers()) await rt.removeContainer(c.id);
    for (const s of await rt.listPodSandbox()) await rt.removePodSandbox(s.id);
    kept.push(await releaseSuiteStateDir(rt.stateDir));
    await new ImageService({ root }).destroy().catch(() => undefined);
  }
  await runCommand('ip', ['netns', 'delete', netns]); // its bridges and rules with it
  await removeCgroupTree(cgroupParent);
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  expectStateDirReleased(...kept);
});

describe('the docker-style and skiff up networks on one machine', { timeout: 120_000 }, () => {
  // First, as the machine of a user upgrading skiff: that root's next run is on skiff-cri0.
  it('moves a root skiff cri used on skiff0 to skiff-cri0', async () => {
    const r = await skiff(roots.legacy, 'run', '--rm', 'busybox:1', '--', 'sh', '-c', 'ip -4 -o addr show eth0');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(' 10.87.');
    const saved = JSON.parse(await fs.readFile(path.join(roots.legacy, 'node.json'), 'utf8')) as { network: unknown };
    expect(saved.network).toEqual(CRI_RUN_NETWORK);
    // As `skiff down` of that root would (the next root on skiff-cri0 then owns it).
    await runCommand('ip', ['-n', netns, 'link', 'delete', CRI_RUN_NETWORK.bridge]);
  });

  it('runs a skiff up pod after skiff cri run -d --publish and rm', async () => {
    const run = await skiff(roots.cri, 'run', '-d', '--name', 'web', '--publish', '8081:8080', 'busybox:1', '--', 'sh', '-c', 'exec httpd -f -p 8080');
    expect(run.code, run.err).toBe(0);
    const id = run.out.trim();
    const ip = await skiff(roots.cri, 'exec', id, '--', 'sh', '-c', 'ip -4 -o addr show eth0');
    expect(ip.out).toContain(' 10.87.');
    expect(await addresses(CRI_RUN_NETWORK.bridge)).toContain('10.87.0.1/16');
    expect((await skiff(roots.cri, 'rm', '-f', id)).code).toBe(0);

    // The bridge the docker-style run made stays (CNI never removes it), and is in no one's way.
    const pod = await skiff(roots.up, 'run', '--rm', '--name', 'pod', '--publish', '8081:8080', 'busybox:1', '--', 'sh', '-c', 'ip -4 -o addr show eth0');
    expect(pod.code, pod.err).toBe(0);
    expect(pod.out).toContain(' 10.88.0.');
    expect(await addresses(DEFAULTS.bridge)).toContain('10.88.0.1/24');
    expect(await addresses(CRI_RUN_NETWORK.bridge)).toContain('10.87.0.1/16');
  });

  it("gives a root asking for skiff0 with another pod CIDR an error naming skiff0's root", async () => {
    const r = await skiff(roots.other, 'run', '--rm', 'busybox:1', '--', 'true');
    expect(r.code).toBe(1);
    expect(r.err).toContain(`bridge skiff0 is used by the skiff runtime at ${roots.up} (pod CIDR ${DEFAULTS.podCidr})`);
    expect(r.err).not.toMatch(/already has an IP address different/);
  });
});
