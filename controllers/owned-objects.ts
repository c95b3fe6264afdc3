// What the workload controllers share about the objects they own: the pod an owner's template
// describes (GetPodFromTemplate) and the /status write retried once on a fresh read after a conflict.
import { isApiError } from '../api/errors.js';
import type { PodTemplateSpec } from '../api/types/apps.js';
import type { Pod } from '../api/types/core.js';
import type { KubeObject } from '../api/types/meta.js';
import type { ResourceClient } from '../client/rest.js';
import { newControllerRef, type OwnerKind } from './controller-ref.js';

// The controllerRef lookup is owners.ts's, shared with the handlers of every controller.
export { resolveControllerRef } from './owners.js';

/** The pod `template` describes, named `<generateName><5 chars>`, controlled by `owner`. */
export function podFromOwnerTemplate(owner: KubeObject, kind: OwnerKind, template: PodTemplateSpec | undefined, generateName = `${owner.metadata.name ?? ''}-`): Pod {
  const t = template ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: owner.metadata.namespace,
      labels: { ...t.metadata?.labels },
      ...(t.metadata?.annotations ? { annotations: { ...t.metadata.annotations } } : {}),
      ...(t.metadata?.finalizers ? { finalizers: [...t.metadata.finalizers] } : {}),
      ownerReferences: [newControllerRef(owner, kind)],
    },
    spec: structuredClone(t.spec ?? { containers: [] }),
  };
}

/** PUT /status; on a conflict once more on a fresh read of the same object; nothing when it is gone. */
export async function writeStatus<T extends KubeObject & { status?: unknown }>(client: ResourceClient<T>, obj: T, status: T['status']): Promise<void> {
  try {
    await client.updateStatus({ ...obj, status });
  } catch (err) {
    if (isApiError(err, 'NotFound')) return;
    if (!isApiError(err, 'Conflict')) throw err;
    const fresh = await client.get(obj.metadata.name ?? '', { namespace: obj.metadata.namespace });
    if (fresh.metadata.uid !== obj.metadata.uid) return;
    await client.updateStatus({ ...fresh, status });
  }
}
