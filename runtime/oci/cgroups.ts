// Reading cgroup files for stats and read-back, and removing the pod-level parent cgroups the
// OCI runtime created implicitly. Writing limits is left to the OCI runtime (linux.resources);
// these helpers work on cgroup v1 (one hierarchy per controller) and v2 (one unified tree).
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';

export const CGROUP_ROOT = '/sys/fs/cgroup';

let version: 1 | 2 | undefined;

/** The machine's cgroup layout (looked up once: it does not change while a process runs). */
export function cgroupVersion(): 1 | 2 {
  version ??= fs.existsSync(`${CGROUP_ROOT}/cgroup.controllers`) ? 2 : 1;
  return version;
}

/** The directory of `cgroupsPath` for a v1 controller (ignored on v2). */
export function cgroupDir(cgroupsPath: string, controller: string): string {
  const rel = cgroupsPath.replace(/^\/+/, '');
  return cgroupVersion() === 2 ? path.join(CGROUP_ROOT, rel) : path.join(CGROUP_ROOT, controller, rel);
}

export async function readCgroupFile(cgroupsPath: string, controller: string, file: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(path.join(cgroupDir(cgroupsPath, controller), file), 'utf8')).trim();
  } catch {
    return undefined;
  }
}

function statValue(text: string | undefined, key: string): number | undefined {
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.split(' ');
    if (k === key) return Number(v);
  }
  return undefined;
}

export interface CgroupStats {
  cpuUsageNs?: number;
  memoryUsage?: number;
  workingSet?: number;
  rss?: number;
}

/** Where each number lives: v2's unified files, or v1's per-controller ones (hierarchical totals). */
interface StatsLayout {
  cpu: { controller: string; file: string; /** a key of a flat-keyed file; none: the file is the number */ key?: string; toNs: number };
  memory: { controller: string; usage: string; stat: string; inactiveFile: string; rss: string };
}

const STATS_LAYOUT: Record<1 | 2, StatsLayout> = {
  2: {
    cpu: { controller: '', file: 'cpu.stat', key: 'usage_usec', toNs: 1000 },
    memory: { controller: '', usage: 'memory.current', stat: 'memory.stat', inactiveFile: 'inactive_file', rss: 'anon' },
  },
  1: {
    cpu: { controller: 'cpuacct', file: 'cpuacct.usage', toNs: 1 },
    memory: { controller: 'memory', usage: 'memory.usage_in_bytes', stat: 'memory.stat', inactiveFile: 'total_inactive_file', rss: 'total_rss' },
  },
};

/** CPU and memory usage as cAdvisor computes them (working set = usage - inactive file). */
export async function readStats(cgroupsPath: string): Promise<CgroupStats> {
  const { cpu, memory } = STATS_LAYOUT[cgroupVersion()];
  const out: CgroupStats = {};
  const cpuText = await readCgroupFile(cgroupsPath, cpu.controller, cpu.file);
  const cpuValue = cpu.key !== undefined ? statValue(cpuText, cpu.key) : cpuText !== undefined ? Number(cpuText) : undefined;
  if (cpuValue !== undefined) out.cpuUsageNs = cpuValue * cpu.toNs;
  const usage = await readCgroupFile(cgroupsPath, memory.controller, memory.usage);
  const stat = await readCgroupFile(cgroupsPath, memory.controller, memory.stat);
  if (usage !== undefined) {
    out.memoryUsage = Number(usage);
    out.workingSet = Math.max(0, out.memoryUsage - (statValue(stat, memory.inactiveFile) ?? 0));
    out.rss = statValue(stat, memory.rss);
  }
  return out;
}

function v1Controllers(): string[] {
  try {
    return fs
      .readdirSync(CGROUP_ROOT, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'unified')
      .map((d) => d.name);
  } catch {
    return [];
  }
}

/**
 * Every hierarchy a v1 (or hybrid) machine has: one per controller, and on a hybrid layout the
 * cgroup2 tree at `unified` too, where runc also makes each container's cgroup.
 */
function v1Roots(): string[] {
  const roots = v1Controllers().map((c) => path.join(CGROUP_ROOT, c));
  const unified = path.join(CGROUP_ROOT, 'unified');
  if (fs.existsSync(path.join(unified, 'cgroup.procs'))) roots.push(unified);
  return roots;
}

/**
 * Removes a cgroup and its (empty) children in every hierarchy, deepest first. Only empty
 * cgroups can go; a busy one is left and reported.
 */
export async function removeCgroupTree(cgroupsPath: string): Promise<string[]> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  if (!rel) return [];
  const roots = cgroupVersion() === 2 ? [CGROUP_ROOT] : v1Roots();
  const busy: string[] = [];
  const rmTree = async (dir: string) => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) if (e.isDirectory()) await rmTree(path.join(dir, e.name));
    try {
      await fsp.rmdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') busy.push(dir);
    }
  };
  for (const root of roots) await rmTree(path.join(root, rel));
  return busy;
}

/** Removes the cgroup `cgroupsPath` in every hierarchy where it is empty (no children, no processes); leaves it elsewhere. */
export async function removeCgroupIfEmpty(cgroupsPath: string): Promise<void> {
  const rel = cgroupsPath.replace(/^\/+/, '');
  if (!rel) return;
  for (const root of cgroupVersion() === 2 ? [CGROUP_ROOT] : v1Roots()) await fsp.rmdir(path.join(root, rel)).catch(() => undefined);
}

/** Every hierarchy directory that exists for `cgroupsPath` (used by leak checks). */
export function existingCgroupDirs(cgroupsPath: string): string[] {
  const rel = cgroupsPath.replace(/^\/+/, '');
  const roots = cgroupVersion() === 2 ? [CGROUP_ROOT] : v1Roots();
  return roots.map((r) => path.join(r, rel)).filter((d) => fs.existsSync(d));
}

/**
 * cgroup v2's cpu.weight [1, 10000] for cpu.shares [2, 262144], as runc and crun convert a
 * container's shares (and Kubernetes its pod cgroups'): 1024 shares -> weight 39.
 */
export function cpuSharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * Pod-level limits on the pod cgroup (the sum of its containers, as the kubelet's pod
 * cgroup has them). The OCI runtime only writes a container's own cgroup, so these few files
 * are written here; the containers' cgroups are created beneath later.
 */
export async function applyPodResources(cgroupsPath: string, r: { memoryLimitInBytes?: number; cpuShares?: number; cpuQuota?: number; cpuPeriod?: number }): Promise<void> {
  const write = async (controller: string, file: string, value: string) => {
    const dir = cgroupDir(cgroupsPath, controller);
    await fsp.mkdir(dir, { recursive: true });
    await fsp.writeFile(path.join(dir, file), value);
  };
  const period = r.cpuPeriod && r.cpuPeriod > 0 ? r.cpuPeriod : 100_000;
  if (cgroupVersion() === 2) {
    if (r.memoryLimitInBytes) await write('', 'memory.max', String(r.memoryLimitInBytes));
    if (r.cpuShares) await write('', 'cpu.weight', String(cpuSharesToWeight(r.cpuShares)));
    if (r.cpuQuota && r.cpuQuota > 0) await write('', 'cpu.max', `${r.cpuQuota} ${period}`);
    return;
  }
  if (r.memoryLimitInBytes) await write('memory', 'memory.limit_in_bytes', String(r.memoryLimitInBytes));
  if (r.cpuShares) await write('cpu', 'cpu.shares', String(r.cpuShares));
  if (r.cpuQuota && r.cpuQuota > 0) {
    await write('cpu', 'cpu.cfs_period_us', String(period));
    await write('cpu', 'cpu.cfs_quota_us', String(r.cpuQuota));
  }
}
