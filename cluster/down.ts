// `skiff down`: stop the supervisor (and with it every component), then remove what the
// pods left on the machine — containers, sandboxes with their network namespaces, veths,
// portmap rules, mounts and cgroups — through the same runtime the kubelet used. Without
// --purge the state (etcd data, images, credentials) stays for the next `up`.
import { existsSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { ImageService } from '../runtime/image-service.js';
import { SkiffRuntimeService } from '../runtime/runtime-service.js';
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

/** Removes every container and sandbox of a runtime root; returns what it removed. */
export async function removeAllPods(root: string, podCidr = DEFAULTS.podCidr): Promise<{ containers: number; sandboxes: number }> {
  const images = new ImageService({ root });
  await images.init();
  const runtime = new SkiffRuntimeService({ root, images, podCidr });
  const containers = await runtime.listContainers();
  for (const c of containers) {
    if (c.state === 'CONTAINER_RUNNING') await runtime.stopContainer(c.id, 10);
    await runtime.removeContainer(c.id);
  }
  const sandboxes = await runtime.listPodSandbox();
  for (const s of sandboxes) {
    await runtime.stopPodSandbox(s.id);
    await runtime.removePodSandbox(s.id);
  }
  return { containers: containers.length, sandboxes: sandboxes.length };
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
  if (existsSync(paths.runtimeRoot)) {
    // The pod CIDR the cluster ran with, so CNI teardown sees the same network.
    let podCidr = DEFAULTS.podCidr;
    try {
      podCidr = (JSON.parse(readFileSync(paths.statusFile, 'utf8')) as { podCidr?: string }).podCidr ?? podCidr;
    } catch {
      // no status: the default
    }
    const removed = await removeAllPods(paths.runtimeRoot, podCidr);
    report.push(`removed ${removed.containers} container(s) and ${removed.sandboxes} pod sandbox(es)`);
  }
  if (opts.purge) {
    await rm(paths.root, { recursive: true, force: true });
    report.push(`purged ${paths.root}`);
  } else {
    report.push(`kept the cluster state in ${paths.root} (skiff up brings it back; --purge forgets it)`);
  }
  return report;
}
