// terminationMessagePath / terminationMessagePolicy as the kubelet does them: each container
// instance gets its own empty host file, writable by any user, bind-mounted at the path
// (default /dev/termination-log); when the container has exited, the file's first 4096 bytes
// become state.terminated.message. With FallbackToLogsOnError a failed container that left
// the file empty gets the tail of its log instead (80 lines, at most 2048 bytes).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Container, Pod } from '../api/types/core.js';
import type { ContainerStatus, Mount, RuntimeService } from '../runtime/cri.js';
import { ANNOTATION_TERMINATION_MESSAGE_PATH, ANNOTATION_TERMINATION_MESSAGE_POLICY } from './labels.js';
import { podDir } from './volumes.js';

export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
export const FALLBACK_LOG_LINES = 80;
export const FALLBACK_LOG_BYTES = 2048;

export function terminationMessagePath(c: Container): string {
  return c.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH;
}

export function terminationAnnotations(c: Container): Record<string, string> {
  return {
    [ANNOTATION_TERMINATION_MESSAGE_PATH]: terminationMessagePath(c),
    [ANNOTATION_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
  };
}

/** Makes this instance's empty message file under <root>/pods/<uid>/containers/<name>/ and returns its mount. */
export async function terminationMessageMount(root: string, pod: Pod, c: Container): Promise<Mount | undefined> {
  const target = terminationMessagePath(c);
  // An empty path turns the feature off; a volume mounted at the path wins (Kubernetes skips too).
  if (target === '' || (c.volumeMounts ?? []).some((m) => path.posix.normalize(m.mountPath) === path.posix.normalize(target))) return undefined;
  const dir = path.join(podDir(root, pod.metadata.uid ?? ''), 'containers', c.name);
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, randomBytes(4).toString('hex'));
  await (await fs.open(file, 'w')).close();
  // The container may run as any user; the umask would take the write bits away, chmod does not.
  await fs.chmod(file, 0o666);
  return { containerPath: target, hostPath: file, readonly: false, propagation: 'PROPAGATION_PRIVATE' };
}

async function readHead(file: string, max: number): Promise<string> {
  const fh = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await fh.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await fh.close();
  }
}

async function logTail(runtime: RuntimeService, id: string): Promise<string> {
  let out = '';
  for await (const l of runtime.readLogs(id, { tailLines: FALLBACK_LOG_LINES })) out += l.partial ? l.line : `${l.line}\n`;
  const buf = Buffer.from(out);
  return buf.length <= FALLBACK_LOG_BYTES ? out : buf.subarray(buf.length - FALLBACK_LOG_BYTES).toString('utf8');
}

/** An exited container's message never changes: read once per instance. */
const cache = new Map<string, string>();
const CACHE_MAX = 4096;

/** The termination message of an exited container ('' when none); undefined while it runs. */
export async function readTerminationMessage(runtime: RuntimeService, s: ContainerStatus): Promise<string | undefined> {
  if (s.state !== 'CONTAINER_EXITED') return undefined;
  const hit = cache.get(s.id);
  if (hit !== undefined) return hit;
  const target = s.annotations[ANNOTATION_TERMINATION_MESSAGE_PATH];
  if (target === undefined) return '';
  const mount = s.mounts.find((m) => m.containerPath === target);
  let msg = mount ? await readHead(mount.hostPath, MAX_TERMINATION_MESSAGE_BYTES).catch(() => '') : '';
  if (msg === '' && s.exitCode !== 0 && s.annotations[ANNOTATION_TERMINATION_MESSAGE_POLICY] === 'FallbackToLogsOnError') {
    msg = await logTail(runtime, s.id).catch(() => '');
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(s.id, msg);
  return msg;
}
