// PodSandboxStatus and ListPodSandbox, from the records (a sandbox's state changes only
// through skiff's own calls: there is no sandbox process to die).
import type { PodSandbox, PodSandboxFilter, PodSandboxStatus } from '../cri.js';
import { matchesLabels, resolveId, type RuntimeContext, type SandboxRecord } from '../runtime-context.js';
import { getSandbox } from './stop-sandbox.js';

function toPodSandbox(rec: SandboxRecord): PodSandbox {
  return {
    id: rec.id,
    metadata: rec.config.metadata,
    state: rec.state,
    createdAt: rec.createdAt,
    labels: rec.config.labels ?? {},
    annotations: rec.config.annotations ?? {},
  };
}

export async function podSandboxStatus(ctx: RuntimeContext, idOrPrefix: string): Promise<PodSandboxStatus> {
  const rec = getSandbox(ctx, idOrPrefix);
  const status: PodSandboxStatus = { ...toPodSandbox(rec) };
  if (rec.ip) status.network = { ip: rec.ip };
  if (rec.netnsPath) status.linux = { namespaces: { network: rec.netnsPath } };
  return status;
}

export async function listPodSandbox(ctx: RuntimeContext, filter: PodSandboxFilter = {}): Promise<PodSandbox[]> {
  const id = filter.id ? resolveId(ctx.sandboxes, filter.id) : undefined;
  if (filter.id && !id) return [];
  return [...ctx.sandboxes.values()]
    .filter((s) => (!id || s.id === id) && (!filter.state || s.state === filter.state) && matchesLabels(s.config.labels ?? {}, filter.labelSelector))
    .sort((a, b) => a.createdAt - b.createdAt)
    .map(toPodSandbox);
}
