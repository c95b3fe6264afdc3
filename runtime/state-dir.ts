// The runtime's state dir, apart from its root, as containerd keeps /run/containerd apart from
// /var/lib/containerd: what can carry a pod's env or secret data lives in memory only, so
// secret bytes never touch the node's disk. The root (on disk) keeps what must outlive a
// reboot or is large: image content, snapshots (writable layers), container logs, IPAM
// allocations and node.json. The state dir is on a tmpfs: one already there (a systemd /run),
// or a private one the runtime mounts itself, since /run is not a tmpfs on every machine.
// After a reboot it is empty, and the containers it recorded are gone with it.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { RuntimeError } from './cri.js';
import { makePrivateDirSync, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './file-modes.js';
import { runCommand } from './oci/command.js';

/** statfs f_type of a tmpfs (linux/magic.h TMPFS_MAGIC). */
export const TMPFS_MAGIC = 0x01021994;
/** The source name of a tmpfs the runtime mounted: what tells it apart from anyone else's. */
export const STATE_TMPFS_SOURCE = 'skiff-state';
/**
 * Where state dirs go by default. A systemd /run is a tmpfs already; where it is not, the
 * runtime mounts one on its own dir below it.
 */
export const STATE_PARENT = '/run/skiff';
/**
 * nosuid, nodev, noexec: nothing in it is run or opened as a device. The root filesystems
 * mounted in bundles are mounts of their own with their own flags. 10% of memory, as systemd
 * sizes /run: records and specs are a few KB per container, and tmpfs uses only what is written.
 */
const MOUNT_OPTIONS = 'mode=0700,nosuid,nodev,noexec,size=10%';

/**
 * The state dirs, decided one by one (the root's own dirs are in runtime-context.ts):
 * - sandboxes: sandbox records (the pod's config with its annotations, which can hold a
 *   manifest's literal env) and the /etc files bind-mounted into its containers;
 * - containers: OCI bundles (config.json holds the env) with the container records (which hold
 *   the CRI config, env included), conmon's pid files, OOM marks and control fifos;
 * - exits: conmon's exit files, meaningful only beside the records they complete;
 * - sockets: conmon's attach socket links (a socket outlives no reboot);
 * - ociState: runc/crun --root, whose state.json holds the whole spec, env included.
 */
export interface StateDirs {
  sandboxes: string;
  containers: string;
  exits: string;
  sockets: string;
  ociState: string;
}

export function stateDirs(stateDir: string): StateDirs {
  return {
    sandboxes: path.join(stateDir, 'sandboxes'),
    containers: path.join(stateDir, 'containers'),
    exits: path.join(stateDir, 'exits'),
    sockets: path.join(stateDir, 'sockets'),
    ociState: path.join(stateDir, 'oci'),
  };
}

/** The root as the kernel names it (a symlinked spelling must find the same state dir). */
function canonical(root: string): string {
  try {
    return fs.realpathSync(root);
  } catch {
    return path.resolve(root);
  }
}

/**
 * The default state dir of a runtime root: /run/skiff/<root's last name>-<hash of its path>,
 * so two roots on one machine (a cluster's kubelet, `skiff cri`, lab nodes, test suites) never
 * share one, and every process on the same root finds the same one.
 */
export function defaultStateDir(root: string): string {
  const r = canonical(root);
  const hash = crypto.createHash('sha256').update(r).digest('hex').slice(0, 12);
  const name = path.basename(r).replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 40) || 'root';
  return path.join(STATE_PARENT, `${name}-${hash}`);
}

/** Where a root names the state dir it was last opened with (so every process on it finds the same). */
export const stateDirRecord = (root: string) => path.join(root, 'state-dir');

/**
 * The state dir of a runtime root: the one given; else the one the root was last opened with
 * (a kubelet given --runtime-state, then `skiff cri --root` on its root without --state);
 * else the default.
 */
export function stateDirFor(root: string, given?: string): string {
  if (given) return path.resolve(given);
  try {
    const recorded = fs.readFileSync(stateDirRecord(root), 'utf8').trim();
    if (path.isAbsolute(recorded)) return recorded;
  } catch {
    // a root not opened yet
  }
  return defaultStateDir(root);
}

/** Writes the state dir in use into the root, when it is not what the root names already. */
export function recordStateDir(root: string, stateDir: string): void {
  const file = stateDirRecord(root);
  let recorded = '';
  try {
    recorded = fs.readFileSync(file, 'utf8').trim();
  } catch {
    // first use of this root
  }
  if (recorded !== stateDir) fs.writeFileSync(file, `${stateDir}\n`, { mode: PRIVATE_FILE_MODE });
}

export function isTmpfs(dir: string): boolean {
  return fs.statfsSync(dir).type === TMPFS_MAGIC;
}

export interface OpenedStateDir {
  /** The runtime mounted a tmpfs on it just now. */
  mounted: boolean;
  /** It held no records: a first start, or the first after a reboot or a `skiff down`. */
  fresh: boolean;
}

/**
 * Makes the state dir ready: on a tmpfs (mounting a private one when it is not on one) with
 * its subdirectories, 0700. Synchronous, as the runtime's constructor is: it runs once per
 * runtime instance and the mount once per boot. The check and the mount run under flock(1) on
 * the directory, so two processes opening the same root at once never stack two mounts (the
 * second would hide the first's records); a process that locks after the mount locks the
 * tmpfs's root instead, and finds a tmpfs.
 */
export function openStateDir(stateDir: string): OpenedStateDir {
  // A missing parent is made private; an existing one (/run itself) is left as it is.
  fs.mkdirSync(path.dirname(stateDir), { recursive: true, mode: PRIVATE_DIR_MODE });
  makePrivateDirSync(stateDir);
  let mounted = false;
  if (!isTmpfs(stateDir)) {
    const script = '[ "$(stat -f -c %t "$1")" = 1021994 ] && exit 0; mount -t tmpfs -o "$2" "$3" "$1" && echo mounted';
    try {
      const out = execFileSync('flock', [stateDir, 'sh', '-c', script, 'sh', stateDir, MOUNT_OPTIONS, STATE_TMPFS_SOURCE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      mounted = out.trim() === 'mounted';
    } catch (e) {
      const stderr = String((e as { stderr?: string }).stderr ?? '').trim();
      throw new RuntimeError('Internal', `cannot mount a tmpfs on the runtime state dir ${stateDir}: ${stderr || (e as Error).message}`);
    }
    if (!isTmpfs(stateDir)) throw new RuntimeError('Internal', `the runtime state dir ${stateDir} is not on a tmpfs after mounting one`);
  }
  const dirs = stateDirs(stateDir);
  const fresh = !fs.existsSync(dirs.containers);
  for (const d of [stateDir, ...Object.values(dirs)]) makePrivateDirSync(d);
  return { mounted, fresh };
}

/** The mounts at or below `dir` (mountinfo's mount points, with octal escapes undone). */
function mountsUnder(dir: string): { target: string; source: string; fstype: string }[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const f = l.split(' ');
      const sep = f.indexOf('-');
      return { target: unescape(f[4] ?? ''), fstype: f[sep + 1] ?? '', source: unescape(f[sep + 2] ?? '') };
    })
    .filter((m) => m.target === dir || m.target.startsWith(dir + path.sep));
}

/**
 * Takes the state dir away once nothing uses it (`skiff down`, a lab node's clean-up, a test's
 * teardown): unmounts the tmpfs the runtime made there and removes the directory. A state dir
 * with mounts still in it (a container's root filesystem) stays whole: removing its files
 * would reach into those mounts. Returns what it did, for a report.
 */
export async function releaseStateDir(stateDir: string): Promise<string> {
  const dir = path.resolve(stateDir);
  if (!fs.existsSync(dir)) return `no runtime state dir at ${dir}`;
  const mounts = mountsUnder(dir);
  const inside = mounts.filter((m) => m.target !== dir);
  if (inside.length > 0) return `kept the runtime state dir ${dir}: ${inside.length} mount(s) still in it (${inside[0]?.target}, ...)`;
  const ours = (m: { fstype: string; source: string }) => m.fstype === 'tmpfs' && m.source === STATE_TMPFS_SOURCE;
  // Someone else's mount on it is theirs to take away.
  if (mounts.some((m) => !ours(m))) return `kept the runtime state dir ${dir}: it is a mount skiff did not make`;
  for (let i = 0; i < mounts.length; i++) {
    const r = await runCommand('umount', [dir]);
    if (r.code !== 0) return `could not unmount the runtime state dir ${dir}: ${r.stderr.trim()}`;
  }
  await fs.promises.rm(dir, { recursive: true, force: true });
  return mounts.length > 0 ? `unmounted and removed the runtime state tmpfs ${dir}` : `removed the runtime state dir ${dir}`;
}
