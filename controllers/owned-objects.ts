// What the workload controllers share about the objects they own: the pod an owner's template
// describes (GetPodFromTemplate).
import type { PodTemplateSpec } from '../api/types/apps.js';
import type { Pod } from '../api/types/core.js';
import type { KubeObject } from '../api/types/meta.js';
import { newControllerRef, type OwnerKind } from './controller-ref.js';

// The controllerRef lookup is owners.ts's, shared with the handlers of every controller.
export { resolveControllerRef } from './owners.js';
// The conflict-retried /status write is owned-pods.ts's.
export { writeStatusOnce as writeStatus } from './owned-pods.js';

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
