// Pod volumes on the node: an emptyDir is a directory per pod under the kubelet's root
// (removed with the pod); a hostPath is checked or created by its type. The result is the
// host path for each volume name, for the containers' mounts.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Container, Pod, Volume } from '../api/types/core.js';
import type { Mount } from '../runtime/cri.js';

export class VolumeError extends Error {}

export function podDir(root: string, uid: string): string {
  return path.join(root, 'pods', uid);
}

export function emptyDirPath(root: string, uid: string, name: string): string {
  return path.join(podDir(root, uid), 'volumes', 'kubernetes.io~empty-dir', name);
}

async function kindOf(p: string): Promise<'dir' | 'file' | 'socket' | 'char' | 'block' | 'other' | undefined> {
  try {
    const st = await fs.stat(p);
    if (st.isDirectory()) return 'dir';
    if (st.isFile()) return 'file';
    if (st.isSocket()) return 'socket';
    if (st.isCharacterDevice()) return 'char';
    if (st.isBlockDevice()) return 'block';
    return 'other';
  } catch {
    return undefined;
  }
}

async function prepareHostPath(v: Volume): Promise<string> {
  const hp = v.hostPath;
  if (!hp) throw new VolumeError(`volume ${v.name}: not a hostPath`);
  const p = hp.path;
  const kind = await kindOf(p);
  const want: Record<string, string> = { Directory: 'dir', File: 'file', Socket: 'socket', CharDevice: 'char', BlockDevice: 'block' };
  switch (hp.type ?? '') {
    case '':
      return p;
    case 'DirectoryOrCreate':
      if (!kind) await fs.mkdir(p, { recursive: true, mode: 0o755 });
      else if (kind !== 'dir') throw new VolumeError(`hostPath type check failed: ${p} is not a directory`);
      return p;
    case 'FileOrCreate':
      if (!kind) {
        await fs.mkdir(path.dirname(p), { recursive: true });
        await (await fs.open(p, 'a', 0o644)).close();
      } else if (kind !== 'file') throw new VolumeError(`hostPath type check failed: ${p} is not a file`);
      return p;
    default: {
      const expected = want[hp.type ?? ''];
      if (kind !== expected) throw new VolumeError(`hostPath type check failed: ${p} is not a ${hp.type}`);
      return p;
    }
  }
}

/** Makes every volume of the pod ready; returns volume name -> host path. */
export async function preparePodVolumes(root: string, pod: Pod): Promise<Map<string, string>> {
  const uid = pod.metadata.uid ?? '';
  const out = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    if (v.emptyDir) {
      const p = emptyDirPath(root, uid, v.name);
      // World-writable like Kubernetes' emptyDir: containers may run as any user.
      await fs.mkdir(p, { recursive: true });
      await fs.chmod(p, 0o777);
      out.set(v.name, p);
    } else if (v.hostPath) {
      out.set(v.name, await prepareHostPath(v));
    }
  }
  return out;
}

/** The CRI mounts of one container; subPath must stay inside its volume. */
export async function containerMounts(c: Container, volumes: Map<string, string>): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const base = volumes.get(vm.name);
    if (base === undefined) throw new VolumeError(`cannot find volume "${vm.name}" to mount into container "${c.name}"`);
    let hostPath = base;
    if (vm.subPath) {
      hostPath = path.resolve(base, vm.subPath);
      if (hostPath !== base && !hostPath.startsWith(base + path.sep)) throw new VolumeError(`subPath ${JSON.stringify(vm.subPath)} leaves volume "${vm.name}"`);
      await fs.mkdir(hostPath, { recursive: true });
    }
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: vm.readOnly === true, propagation: 'PROPAGATION_PRIVATE' });
  }
  return mounts;
}

/** Removes the pod's directory (its emptyDirs) once the pod is gone. */
export async function removePodDir(root: string, uid: string): Promise<void> {
  if (!uid || uid.includes('/') || uid.includes('..')) return;
  await fs.rm(podDir(root, uid), { recursive: true, force: true });
}
