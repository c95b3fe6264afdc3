// Pod volumes on the node: an emptyDir is a directory per pod under the kubelet's root
// (removed with the pod); a hostPath is checked or created by its type; configMap, secret,
// downwardAPI and projected volumes are written by the AtomicWriter on every sync (so updates
// reach them), those holding Secret bytes on a tmpfs of their own. The result is the host
// path for each volume name, for the containers' mounts.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Container, Pod, Volume } from '../api/types/core.js';
import type { Mount } from '../runtime/cri.js';
import { AtomicWriteError, AtomicWriter } from './atomic-writer.js';
import { staticLookup, type ConfigLookup } from './config-lookup.js';
import type { EnvContext } from './env.js';
import type { Mounter } from './tmpfs.js';
import { holdsSecrets, PayloadError, volumePayload } from './volume-payload.js';

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

/** Kubernetes' plugin directory names under <pod>/volumes. */
function pluginDir(v: Volume): string {
  if (v.secret) return 'kubernetes.io~secret';
  if (v.configMap) return 'kubernetes.io~configmap';
  if (v.downwardAPI) return 'kubernetes.io~downward-api';
  return 'kubernetes.io~projected';
}

/** Volumes made of API data: containers get them read-only, as Kubernetes mounts them. */
export function isApiDataVolume(v: Volume): boolean {
  return !!(v.configMap || v.secret || v.downwardAPI || v.projected);
}

export interface PodVolumeOptions {
  /** The ConfigMaps and Secrets the pod names, as read for this sync. */
  config?: ConfigLookup;
  /** For downwardAPI files (resource limits fall back to the node's allocatable). */
  env?: EnvContext;
  /** Mounts the tmpfs of volumes holding Secrets; without one those volumes are refused. */
  mounter?: Mounter;
}

async function prepareDataVolume(root: string, pod: Pod, v: Volume, opts: PodVolumeOptions): Promise<string> {
  const fail = (e: unknown) => new VolumeError(`MountVolume.SetUp failed for volume ${JSON.stringify(v.name)} : ${e instanceof Error ? e.message : String(e)}`);
  let payload;
  try {
    payload = volumePayload(pod, v, opts.config ?? staticLookup(), opts.env ?? {});
  } catch (e) {
    if (e instanceof PayloadError) throw fail(e);
    throw e;
  }
  if (!payload) throw new VolumeError(`volume ${v.name}: no payload`);
  const plugin = path.join(podDir(root, pod.metadata.uid ?? ''), 'volumes', pluginDir(v));
  const dir = path.join(plugin, v.name);
  await fs.mkdir(dir, { recursive: true });
  if (holdsSecrets(v)) {
    if (!opts.mounter) throw fail(new Error('no tmpfs mounter: Secret bytes are never written to disk'));
    // Only root on the node may reach the tmpfs from outside the pod.
    await fs.chmod(plugin, 0o700);
    await opts.mounter.ensureTmpfs(dir);
  }
  try {
    await new AtomicWriter(dir).write(payload);
  } catch (e) {
    if (e instanceof AtomicWriteError) throw fail(e);
    throw e;
  }
  return dir;
}

/** Makes every volume of the pod ready (and API data volumes up to date); returns volume name -> host path. */
export async function preparePodVolumes(root: string, pod: Pod, opts: PodVolumeOptions = {}): Promise<Map<string, string>> {
  const uid = pod.metadata.uid ?? '';
  const out = new Map<string, string>();
  for (const v of pod.spec.volumes ?? []) {
    if (isApiDataVolume(v)) {
      out.set(v.name, await prepareDataVolume(root, pod, v, opts));
    } else if (v.emptyDir) {
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

function inside(base: string, p: string): boolean {
  return p === base || p.startsWith(base + path.sep);
}

/**
 * The CRI mounts of one container. A subPath must stay inside its volume, after symlinks too
 * (a container could plant a link in an emptyDir); in an API data volume it is the file as
 * of now, which later updates do not reach, as in Kubernetes. API data volumes are read-only.
 */
export async function containerMounts(c: Container, volumes: Map<string, string>, readOnlyVolumes: ReadonlySet<string> = new Set()): Promise<Mount[]> {
  const mounts: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const base = volumes.get(vm.name);
    if (base === undefined) throw new VolumeError(`cannot find volume "${vm.name}" to mount into container "${c.name}"`);
    let hostPath = base;
    if (vm.subPath) {
      hostPath = path.resolve(base, vm.subPath);
      if (!inside(base, hostPath)) throw new VolumeError(`subPath ${JSON.stringify(vm.subPath)} leaves volume "${vm.name}"`);
      const exists = await fs.lstat(hostPath).then(() => true, () => false);
      if (!exists) {
        if (readOnlyVolumes.has(vm.name)) throw new VolumeError(`subPath ${JSON.stringify(vm.subPath)} does not exist in volume "${vm.name}"`);
        await fs.mkdir(hostPath, { recursive: true });
      }
      hostPath = await fs.realpath(hostPath);
      if (!inside(await fs.realpath(base), hostPath)) throw new VolumeError(`subPath ${JSON.stringify(vm.subPath)} leaves volume "${vm.name}"`);
    }
    mounts.push({ containerPath: vm.mountPath, hostPath, readonly: vm.readOnly === true || readOnlyVolumes.has(vm.name), propagation: 'PROPAGATION_PRIVATE' });
  }
  return mounts;
}

/** Removes the pod's directory (its emptyDirs and data volumes) once the pod is gone, its tmpfs mounts first. */
export async function removePodDir(root: string, uid: string, mounter?: Mounter): Promise<void> {
  if (!uid || uid.includes('/') || uid.includes('..')) return;
  await mounter?.unmountUnder(podDir(root, uid));
  await fs.rm(podDir(root, uid), { recursive: true, force: true });
}
