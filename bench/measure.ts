// What the benchmarks share: percentiles, CPU time of processes, and the anchor that runs a
// prepared OCI bundle with the bare runtime (`crun|runc run -d`), as the start and startup
// benchmarks compare skiff against.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageService } from '../runtime/image-service.js';
import { mountRootfs } from '../runtime/oci/mount.js';
import { buildSpec } from '../runtime/oci/spec.js';

/** Nearest-rank percentile of an ascending array (0 when empty). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

/**
 * A process's /proc/<pid>/stat: its name (comm) and the fields after it, from the state
 * (fields[0]); fields[2] is the process group, [11..14] utime, stime, cutime, cstime in 10 ms
 * ticks, [19] the start time. Throws when the process is gone.
 */
export function procStat(pid: number): { comm: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), fields: stat.slice(close + 2).split(' ') };
}

/** Every PID in /proc. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/** CPU ms a process has used so far, from /proc (utime + stime, in 10 ms clock ticks). */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const f = procStat(pid).fields;
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** /proc/stat's cpu line: user nice system idle iowait irq softirq steal ..., in 10 ms ticks. */
export function cpuLine(): number[] {
  return readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
}

/** CPU ms all processes of the machine have used so far (busy time of /proc/stat's cpu line). */
export function machineCpuMs(): number {
  const f = cpuLine();
  // everything but idle and iowait is busy
  const busy = f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0);
  return busy * 10;
}

/**
 * CPU ms the hypervisor has taken from this VM so far (steal): counted as busy above, but
 * no process here used it; a run with much of it measured a slower machine.
 */
export function machineStealMs(): number {
  return (cpuLine()[7] ?? 0) * 10;
}

interface ProcCpu {
  name: string;
  /** Start time (clock ticks after boot): with the PID, which process this is. */
  start: string;
  /** utime + stime */
  own: number;
  /** cutime + cstime: children it waited for (short-lived commands land here) */
  reaped: number;
}

/** CPU ms of every process of the machine, by PID, with a name (comm; node processes by their script). */
export function processCpu(): Map<number, ProcCpu> {
  const out = new Map<number, ProcCpu>();
  for (const pid of allPids()) {
    try {
      const { comm, fields: f } = procStat(pid);
      // a kernel worker's name ends in what it runs at this moment; its CPU is not all that
      let name = comm.startsWith('kworker/') ? comm.replace(/-.*/, '') : comm;
      if (comm === 'node') {
        // node processes by their script and its first argument ("node cmd/skiff.js kubelet")
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const [script, verb] = argv.slice(1).filter((a) => a && !a.startsWith('-'));
        name = ['node', script?.split('/').slice(-2).join('/'), verb].filter(Boolean).join(' ');
      }
      out.set(pid, { name, start: f[19] ?? '', own: (Number(f[11]) + Number(f[12])) * 10, reaped: (Number(f[13]) + Number(f[14])) * 10 });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU ms used between two processCpu() snapshots, by process name (in the second): a process's own time plus
 * what the children it reaped used (so `ip`, CNI plugins and `runc create` count where they
 * were waited for). Sorted, largest first.
 */
export function cpuBetween(before: Map<number, ProcCpu>, after: Map<number, ProcCpu>): [string, number][] {
  const byName = new Map<string, number>();
  for (const [pid, a] of after) {
    const b = before.get(pid);
    // the same process in both (a reused PID starts anew; a name may change, as kworkers' do)
    const used = a.own + a.reaped - (b && b.start === a.start ? b.own + b.reaped : 0);
    if (used > 0) byName.set(a.name, (byName.get(a.name) ?? 0) + used);
  }
  return [...byName].sort((x, y) => y[1] - x[1]);
}

/** CPU ms this process has used so far. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs a command to its exit with stdio on /dev/null (a detached container inherits it, so pipes would never close). */
export function runDetached(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`))));
  });
}

export interface BareBundle {
  id: string;
  bundle: string;
}

/**
 * An OCI bundle equivalent to what skiff's runtime makes for a container (rootfs from the
 * same image snapshot, default spec, its own network namespace, a cgroup under the parent),
 * for the bare `run -d` anchor.
 */
export async function writeBareBundle(o: { images: ImageService; imageId: string; dir: string; id: string; cgroupParent: string; command: string[] }): Promise<BareBundle> {
  const bundle = path.join(o.dir, o.id);
  await mountRootfs(await o.images.prepareRootfs(`bench-bare-${o.id}`, o.imageId), path.join(bundle, 'rootfs'));
  const spec = buildSpec({
    args: o.command,
    env: ['PATH=/bin'],
    cwd: '/',
    user: { uid: 0, gid: 0, additionalGids: [] },
    hostname: o.id,
    cgroupsPath: `${o.cgroupParent}/bare/${o.id}`,
    resources: { cpuShares: 2, memoryLimitInBytes: 64 * 2 ** 20 },
  });
  spec.linux.namespaces.push({ type: 'network' });
  spec.mounts = spec.mounts.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
  await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
  return { id: o.id, bundle };
}
