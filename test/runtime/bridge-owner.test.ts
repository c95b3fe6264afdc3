// A node bridge belongs to one runtime root (network/bridge-owner.ts): a second root on the
// same bridge, with another pod CIDR or the same one, gets an error naming the first, and so
// does a bridge someone else made with another address; a bridge whose root is gone is taken
// over. Two roots on bridges of their own (the docker-style runtime's and `skiff up`'s, here
// with unique names) run pods side by side.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeBridge } from '../../cluster/down.js';
import { isRuntimeError } from '../../runtime/cri.js';
import { gatewayOf } from '../../runtime/network/bridge-owner.js';
import { deleteBridge } from '../../runtime/network/cni.js';
import { removeCgroupTree } from '../../runtime/oci/cgroups.js';
import { runCommand } from '../../runtime/oci/command.js';
import { SkiffRuntimeService } from '../../runtime/runtime-service.js';
import { removeRuntimeRoot } from '../fixtures/runtime-state.js';
import { leftovers, startHarness, type Harness } from './harness.js';

let a: Harness;
let b: Harness;
const extraBridges: string[] = [];
const extraRoots: string[] = [];
const suffix = crypto.randomBytes(3).toString('hex');
const cgroupParent = `/skiff-test-${process.pid}-bo${suffix}`;

beforeAll(async () => {
  a = await startHarness();
  b = await startHarness();
});

afterAll(async () => {
  await a?.teardown();
  await b?.teardown();
  for (const br of extraBridges) await deleteBridge(br);
  for (const r of extraRoots) await removeRuntimeRoot(r);
  await removeCgroupTree(cgroupParent);
});

/** Another root on `bridge` with `podCidr` (its own cgroup parent; no sandbox of it survives a test). */
async function otherRoot(bridge: string, podCidr: string): Promise<SkiffRuntimeService> {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-rt-other-'));
  extraRoots.push(root);
  return new SkiffRuntimeService({ root, images: a.images, bridgeName: bridge, podCidr, cgroupParent });
}

async function ipAddr(bridge: string): Promise<string> {
  return (await runCommand('ip', ['-o', '-4', 'addr', 'show', 'dev', bridge])).stdout;
}

describe('node bridge ownership', { timeout: 60_000 }, () => {
  it('computes the gateway host-local gives the bridge', () => {
    expect(gatewayOf('10.88.0.0/24')).toBe('10.88.0.1/24');
    expect(gatewayOf('10.87.0.0/16')).toBe('10.87.0.1/16');
    expect(gatewayOf('10.214.3.0/24')).toBe('10.214.3.1/24');
  });

  it('runs pods of two roots side by side, each on its own bridge', async () => {
    const sa = await a.rt.runPodSandbox(a.sandboxConfig('pa'));
    const sb = await b.rt.runPodSandbox(b.sandboxConfig('pb'));
    const [ipa, ipb] = [(await a.rt.podSandboxStatus(sa)).network?.ip, (await b.rt.podSandboxStatus(sb)).network?.ip];
    expect(ipa?.startsWith(a.podCidr.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(ipb?.startsWith(b.podCidr.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(await ipAddr(a.bridge)).toContain(gatewayOf(a.podCidr));
    const alias = (await runCommand('ip', ['-j', '-d', 'link', 'show', 'dev', a.bridge])).stdout;
    expect(alias).toContain(path.join(a.root, 'rt'));
    await a.rt.removePodSandbox(sa);
    await b.rt.removePodSandbox(sb);
  });

  it("skiff down's bridge removal keeps a bridge another live root owns, and removes its own", async () => {
    const sa = await a.rt.runPodSandbox(a.sandboxConfig('down'));
    await a.rt.removePodSandbox(sa);
    expect(await removeBridge(a.bridge, b.root)).toBe(`kept the pod bridge ${a.bridge}: the skiff runtime at ${path.join(a.root, 'rt')} uses it`);
    expect(await ipAddr(a.bridge)).toContain(gatewayOf(a.podCidr));
    expect(await removeBridge(a.bridge, path.join(a.root, 'rt'))).toBe(`removed the pod bridge ${a.bridge}`);
    expect(await removeBridge(a.bridge, path.join(a.root, 'rt'))).toBe(`no pod bridge ${a.bridge} to remove`);
  });

  it("refuses another root's bridge, naming that root, whether its pod CIDR differs or not", async () => {
    const sa = await a.rt.runPodSandbox(a.sandboxConfig('held'));
    for (const cidr of [`10.89.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`, a.podCidr]) {
      const other = await otherRoot(a.bridge, cidr);
      const err = await other.runPodSandbox(a.sandboxConfig('intruder')).catch((e: unknown) => e);
      expect(isRuntimeError(err, 'FailedPrecondition'), String(err)).toBe(true);
      expect((err as Error).message).toContain(`bridge ${a.bridge} is used by the skiff runtime at ${path.join(a.root, 'rt')}`);
      expect((err as Error).message).not.toMatch(/CNI bridge/);
      // Nothing of the failed sandbox is left, and the first root's pod keeps its network.
      expect(await other.listPodSandbox()).toEqual([]);
    }
    expect((await a.rt.podSandboxStatus(sa)).network?.ip).toBeTruthy();
    await a.rt.removePodSandbox(sa);
    const left = await leftovers(a, [sa]);
    expect(left.netns).toEqual([]);
    expect(left.links).toEqual([]);
  });

  it('names the address of a bridge made by someone else, and takes over one whose root is gone', async () => {
    const foreign = `skf${suffix}`;
    extraBridges.push(foreign);
    expect((await runCommand('ip', ['link', 'add', foreign, 'type', 'bridge'])).code).toBe(0);
    expect((await runCommand('ip', ['addr', 'add', '10.89.250.1/24', 'dev', foreign])).code).toBe(0);
    const cidr = `10.89.${16 + (crypto.randomBytes(1)[0] % 200)}.0/24`;
    const rt = await otherRoot(foreign, cidr);
    const err = await rt.runPodSandbox(a.sandboxConfig('f')).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'FailedPrecondition'), String(err)).toBe(true);
    expect((err as Error).message).toContain(`bridge ${foreign} already has the address 10.89.250.1/24 (made by a program that did not name itself on it: another program, or an older skiff), not ${gatewayOf(cidr)}`);

    // A bridge left by a root that no longer exists, with the right address: reused.
    const gone = `skg${suffix}`;
    extraBridges.push(gone);
    const first = await otherRoot(gone, cidr);
    const s1 = await first.runPodSandbox(a.sandboxConfig('g1'));
    await first.removePodSandbox(s1);
    await fs.rm(extraRoots[extraRoots.length - 1], { recursive: true, force: true });
    const second = await otherRoot(gone, cidr);
    const s2 = await second.runPodSandbox(a.sandboxConfig('g2'));
    expect((await second.podSandboxStatus(s2)).network?.ip).toBeTruthy();
    await second.removePodSandbox(s2);
  });
});
