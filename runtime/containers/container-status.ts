// ContainerStatus and ListContainers, each refreshing state from the exit files first.
import { isRuntimeError, type Container, type ContainerFilter, type ContainerStatus } from '../cri.js';
import { matchesLabels, resolveId, type ContainerRecord, type RuntimeContext } from '../runtime-context.js';
import { getContainer, refreshContainer } from './container-state.js';

/** The record as CRI's ContainerStatus: the one place its defaults (attempt 0, no labels) are filled in. */
function toStatus(rec: ContainerRecord): ContainerStatus {
  const status: ContainerStatus = {
    id: rec.id,
    metadata: { name: rec.config.metadata.name, attempt: rec.config.metadata.attempt ?? 0 },
    state: rec.state,
    createdAt: rec.createdAt,
    startedAt: rec.startedAt,
    finishedAt: rec.finishedAt,
    exitCode: rec.exitCode,
    image: rec.config.image,
    imageRef: rec.imageRef,
    reason: rec.reason,
    message: rec.message,
    labels: rec.config.labels ?? {},
    annotations: rec.config.annotations ?? {},
    mounts: rec.config.mounts ?? [],
    logPath: rec.logPath,
  };
  if (rec.config.linux?.resources) status.resources = { linux: rec.config.linux.resources };
  if (rec.state === 'CONTAINER_RUNNING' || rec.state === 'CONTAINER_CREATED') status.pid = rec.pid;
  return status;
}

/** The list row: the status's fields that ListContainers shows, plus the sandbox. */
function toContainer(rec: ContainerRecord): Container {
  const { id, metadata, image, imageRef, state, createdAt, labels, annotations } = toStatus(rec);
  return { id, podSandboxId: rec.sandboxId, metadata, image, imageRef, state, createdAt, labels, annotations };
}

export async function containerStatus(ctx: RuntimeContext, idOrPrefix: string): Promise<ContainerStatus> {
  return toStatus(await refreshContainer(ctx, getContainer(ctx, idOrPrefix)));
}

export async function listContainers(ctx: RuntimeContext, filter: ContainerFilter = {}): Promise<Container[]> {
  const id = filter.id ? resolveId(ctx.containers, filter.id) : undefined;
  if (filter.id && !id) return [];
  const sandboxId = filter.podSandboxId ? resolveId(ctx.sandboxes, filter.podSandboxId) ?? filter.podSandboxId : undefined;
  const out: Container[] = [];
  for (const rec of [...ctx.containers.values()]) {
    if (id && rec.id !== id) continue;
    if (sandboxId && rec.sandboxId !== sandboxId) continue;
    if (!matchesLabels(rec.config.labels ?? {}, filter.labelSelector)) continue;
    try {
      await refreshContainer(ctx, rec);
    } catch (e) {
      if (isRuntimeError(e, 'NotFound')) continue; // removed by another process meanwhile
      throw e;
    }
    if (filter.state && rec.state !== filter.state) continue;
    out.push(toContainer(rec));
  }
  return out.sort((a, b) => a.createdAt - b.createdAt);
}
