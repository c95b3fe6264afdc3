// What the benchmarks share: percentiles, CPU time of processes, and the anchor of the start
// and startup benchmarks, prepared OCI bundles run by the bare runtime (`crun|runc run -d`)
// started the way skiff's runtime starts its own commands.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ImageService } from '../runtime/image-service.js';
import { runCommand } from '../runtime/oci/command.js';
import { mountRootfs, unmountAll } from '../runtime/oci/mount.js';
import { buildSpec } from '../runtime/oci/spec.js';
import { companionEnabled, monitorViaCompanion } from '../runtime/oci/spawner.js';

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

/** CPU ms by process name (cpuBetween) summed over several measured windows. */
export class CpuTally {
  readonly #used = new Map<string, number>();
  #from: Map<number, ProcCpu> | undefined;

  begin(): void {
    this.#from = processCpu();
  }

  end(): void {
    if (!this.#from) return;
    for (const [name, used] of cpuBetween(this.#from, processCpu())) this.#used.set(name, (this.#used.get(name) ?? 0) + used);
    this.#from = undefined;
  }

  /** The `n` largest, each divided by `per` ("kubelet 12.3, runc 8.1"). */
  top(n: number, per: number): string {
    return [...this.#used]
      .sort((x, y) => y[1] - x[1])
      .slice(0, n)
      .map(([name, used]) => `${name} ${Math.round((used / per) * 10) / 10}`)
      .join(', ');
  }
}

/** CPU ms this process has used so far. */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Runs a command to its exit, started as skiff's runtime starts conmon: from the spawn
 * companion (posix_spawn, /dev/null on 0-2, a session of its own; runtime/oci/spawner.ts), or
 * directly from this process where the companion is switched off (SKIFF_SPAWN_HELPER=0, or
 * no companion built), as the runtime then does. stdio goes to /dev/null either way: a
 * detached container inherits it, so pipes would never close.
 */
export function runDetached(cmd: string, args: string[]): Promise<void> {
  const failed = (code: number | null) => new Error(`${cmd} ${args.join(' ')}: exit ${code}`);
  const viaCompanion = monitorViaCompanion({ cmd, args, env: process.env, cwd: '/' });
  if (viaCompanion) {
    return new Promise((resolve, reject) => {
      viaCompanion.onError(reject);
      viaCompanion.onExit((code) => {
        viaCompanion.release();
        if (code === 0) resolve();
        else reject(failed(code));
      });
    });
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(failed(code))));
  });
}

/** How the anchor's commands start, for the benchmarks' headers and output. */
export function spawnPath(): string {
  return companionEnabled() ? 'the spawn companion (posix_spawn), as skiff starts conmon' : 'Node child_process on both sides (SKIFF_SPAWN_HELPER=0 or no companion built)';
}

export interface BareBundle {
  id: string;
  bundle: string;
}

export interface BareOptions {
  images: ImageService;
  imageId: string;
  /** Where bundles and the runtime's state go. */
  dir: string;
  cgroupParent: string;
  command: string[];
  /** The OCI runtime binary (crun or runc, as skiff's runtime picked). */
  runtimePath: string;
}

/**
 * The anchor of the start and startup benchmarks: containers run by the bare OCI runtime
 * (`<runtime> run -d`, started through runDetached) from bundles equivalent to what skiff's
 * runtime makes for a container (rootfs from the same image snapshot, default spec, its own
 * network namespace, a cgroup under the parent); no CNI, no conmon. Bundles are prepared
 * ahead, so that only `run -d` is timed, and removed batch by batch.
 */
export class BareContainers {
  readonly #o: BareOptions;
  readonly #state: string;

  constructor(o: BareOptions) {
    this.#o = o;
    this.#state = path.join(o.dir, 'state');
  }

  async prepare(id: string): Promise<BareBundle> {
    const o = this.#o;
    const bundle = path.join(o.dir, id);
    await mountRootfs(await o.images.prepareRootfs(rootfsKey(id), o.imageId), path.join(bundle, 'rootfs'));
    const spec = buildSpec({
      args: o.command,
      env: ['PATH=/bin'],
      cwd: '/',
      user: { uid: 0, gid: 0, additionalGids: [] },
      hostname: id,
      cgroupsPath: `${o.cgroupParent}/bare/${id}`,
      resources: { cpuShares: 2, memoryLimitInBytes: 64 * 2 ** 20 },
    });
    spec.linux.namespaces.push({ type: 'network' });
    spec.mounts = spec.mounts.map((m) => (m.destination === '/sys' ? { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] } : m));
    await fs.writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec));
    return { id, bundle };
  }

  /** `<runtime> run -d`: resolves when the runtime has exited, the container running. */
  start(b: BareBundle): Promise<void> {
    return runDetached(this.#o.runtimePath, [`--root=${this.#state}`, 'run', '-d', '--bundle', b.bundle, b.id]);
  }

  /** Kills and deletes the container, unmounts its rootfs and drops its snapshot and bundle. */
  async remove(b: BareBundle): Promise<void> {
    await runCommand(this.#o.runtimePath, [`--root=${this.#state}`, 'delete', '--force', b.id]);
    await unmountAll(path.join(b.bundle, 'rootfs'));
    await this.#o.images.removeRootfs(rootfsKey(b.id));
    await fs.rm(b.bundle, { recursive: true, force: true });
  }
}

const rootfsKey = (id: string) => `bench-bare-${id}`;

/** `--NAME N` from a benchmark's arguments: a positive integer, or `def` when absent. */
export function intArg(args: string[], name: string, def: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return def;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer`);
  return v;
}

/** Stops everything a benchmark started, last started first, each even when another fails to. */
export async function stopAll(stops: (() => Promise<void> | void)[]): Promise<void> {
  for (const stop of [...stops].reverse()) {
    await Promise.resolve()
      .then(stop)
      .catch((err: unknown) => process.stderr.write(`stopping: ${err instanceof Error ? err.message : String(err)}\n`));
  }
}
