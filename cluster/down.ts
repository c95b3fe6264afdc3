// `skiff down`: stop the supervisor (and with it every component), then remove what the
// pods left on the machine — containers, sandboxes with their network namespaces, veths,
// portmap rules, mounts and cgroups — through the same runtime the kubelet used, and then the
// runtime's state tmpfs. Without --purge the state (etcd data, images, credentials) stays for
// the next `up`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { rm } from 'node:fs/promises';
import { removeHostportChains } from './hostport-chains.js';
import { clusterTag } from '../proxy/chain-names.js';
import { removeProxyChains } from '../proxy/iptables.js';
import { ImageService } from '../runtime/image-service.js';
import { liveBridgeOwner } from '../runtime/network/bridge-owner.js';
import { removeCgroupIfEmpty } from '../runtime/oci/cgroups.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
import { releaseStateDir } from '../runtime/state-dir.js';
import { isAlive, runningPid, statePaths } from './state.js';
import { DEFAULTS } from './up.js';

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !isAlive(pid);
}

/**
 * Removes every container and sandbox of a runtime root, then its state dir (the tmpfs the
 * runtime mounted: nothing in it is worth keeping once the pods are gone); returns what it
 * removed. Containers stop together, each with `graceSeconds` between its stop signal and
 * SIGKILL (a shell or `sleep` as PID 1 ignores SIGTERM, so one at a time would cost the grace
 * per container).
 */
export async function removeAllPods(root: string, podCidr = DEFAULTS.podCidr, bridgeName = DEFAULTS.bridge, graceSeconds = 10, stateDir?: string): Promise<{ containers: number; sandboxes: number; stateDir: string }> {
  const images = new ImageService({ root });
  await images.init();
  const runtime = new SkiffRuntimeService({ root, stateDir, images, podCidr, bridgeName });
  const containers = await runtime.listContainers();
  await Promise.all(
    containers.map(async (c) => {
      if (c.state === 'CONTAINER_RUNNING') await runtime.stopContainer(c.id, graceSeconds);
      await runtime.removeContainer(c.id);
    }),
  );
  const sandboxes = await runtime.listPodSandbox();
  for (const s of sandboxes) {
    await runtime.stopPodSandbox(s.id);
    await runtime.removePodSandbox(s.id);
  }
  // The node's cgroup parent too, unless another cluster on this machine still has pods in it.
  await removeCgroupIfEmpty(runtime.cgroupParent);
  return { containers: containers.length, sandboxes: sandboxes.length, stateDir: await releaseStateDir(runtime.stateDir) };
}

/** One directory, however spelled (the bridge names the root as `up` spelled it; `down` may go through a symlink). */
function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/**
 * Deletes the node's pod bridge (CNI's bridge plugin makes it and never removes it), unless
 * another runtime root that still exists has made it its own (network/bridge-owner.ts).
 */
export async function removeBridge(name: string, runtimeRoot?: string): Promise<string> {
  const owner = await liveBridgeOwner(name).catch(() => undefined);
  if (owner && runtimeRoot && !sameDir(owner.root, runtimeRoot)) return `kept the pod bridge ${name}: the skiff runtime at ${owner.root} uses it`;
  try {
    await promisify(execFile)('ip', ['link', 'del', name, 'type', 'bridge']);
    return `removed the pod bridge ${name}`;
  } catch (e) {
    const msg = ((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
    return /Cannot find device/.test(msg) ? `no pod bridge ${name} to remove` : `could not remove the pod bridge ${name}: ${msg}`;
  }
}

export async function tearDown(opts: { stateDir: string; purge: boolean }): Promise<string[]> {
  const paths = statePaths(opts.stateDir);
  const report: string[] = [];
  const pid = runningPid(paths);
  if (pid !== undefined) {
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, 60_000))) {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, 5000);
    }
    report.push(`stopped the skiff supervisor (pid ${pid}) and its components`);
  } else {
    report.push(`skiff was not running for ${paths.root}`);
  }
  // The network the cluster ran with, so CNI teardown sees the same configuration, and its
  // proxy's chain tag.
  let net: { podCidr?: string; bridge?: string; proxyChainTag?: string } = {};
  try {
    net = JSON.parse(readFileSync(paths.statusFile, 'utf8')) as typeof net;
  } catch {
    // no status: the defaults
  }
  if (existsSync(paths.runtimeRoot)) {
    const bridge = net.bridge ?? DEFAULTS.bridge;
    const removed = await removeAllPods(paths.runtimeRoot, net.podCidr ?? DEFAULTS.podCidr, bridge, undefined, paths.runtimeStateDir);
    report.push(`removed ${removed.containers} container(s) and ${removed.sandboxes} pod sandbox(es)`);
    report.push(removed.stateDir);
    report.push(await removeBridge(bridge, paths.runtimeRoot));
    // Portmap's shared chains outlive the last published port; they go when no one uses them.
    report.push(await removeHostportChains());
  }
  // The node proxy's chains (its supervisor is gone, so nothing writes them again); another
  // cluster's, tagged for its own state dir, stay.
  // (A status from before the tag was recorded: the tag up derives from the state dir.)
  report.push(await removeProxyChains(net.proxyChainTag ?? clusterTag(paths.root)).catch((e: Error) => `could not remove the node proxy's chains: ${e.message}`));
  if (opts.purge) {
    await rm(paths.root, { recursive: true, force: true });
    report.push(`purged ${paths.root}`);
  } else {
    report.push(`kept the cluster state in ${paths.root} (skiff up brings it back; --purge forgets it)`);
  }
  return report;
}
