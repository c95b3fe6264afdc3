// The memory-backed directories of volumes that hold Secret bytes, so those bytes never reach
// the node's disk: a tmpfs per volume (as Kubernetes' secret volume wraps a Memory emptyDir),
// mounted by the kubelet (root) with mount(8) and unmounted before the pod's directory goes.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Mounter {
  /** Mounts a fresh tmpfs on dir, unless one is already mounted there (a restarted kubelet). */
  ensureTmpfs(dir: string): Promise<void>;
  /** Unmounts everything mounted at or below dir, deepest first. */
  unmountUnder(dir: string): Promise<void>;
}

/** /proc/self/mountinfo's mount points (field 5, with its octal escapes undone) and their types. */
export function parseMountInfo(text: string): { mountPoint: string; fsType: string }[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
  const out: { mountPoint: string; fsType: string }[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 5 || sep < 0) continue;
    out.push({ mountPoint: unescape(f[4]), fsType: f[sep + 1] ?? '' });
  }
  return out;
}

async function mounts(): Promise<{ mountPoint: string; fsType: string }[]> {
  return parseMountInfo(await readFile('/proc/self/mountinfo', 'utf8'));
}

export class TmpfsMounter implements Mounter {
  async ensureTmpfs(dir: string): Promise<void> {
    const abs = path.resolve(dir);
    if ((await mounts()).some((m) => m.mountPoint === abs && m.fsType === 'tmpfs')) return;
    // 0755 root: containers running as any user walk it; the files carry the volume's modes.
    await run('mount', ['-t', 'tmpfs', '-o', 'mode=0755,nosuid,nodev,noexec', 'tmpfs', abs]);
  }

  async unmountUnder(dir: string): Promise<void> {
    const abs = path.resolve(dir);
    const under = (await mounts()).map((m) => m.mountPoint).filter((p) => p === abs || p.startsWith(`${abs}/`));
    for (const p of [...new Set(under)].sort((a, b) => b.length - a.length)) {
      try {
        await run('umount', [p]);
      } catch {
        // Still busy (a process of the pod not yet gone): detach it now, freed when released.
        await run('umount', ['-l', p]);
      }
    }
  }
}

/** For tests without root: remembers what would be mounted. */
export class MemoryMounter implements Mounter {
  readonly mounted = new Set<string>();

  async ensureTmpfs(dir: string): Promise<void> {
    this.mounted.add(path.resolve(dir));
  }

  async unmountUnder(dir: string): Promise<void> {
    const abs = path.resolve(dir);
    for (const p of this.mounted) if (p === abs || p.startsWith(`${abs}/`)) this.mounted.delete(p);
  }
}
