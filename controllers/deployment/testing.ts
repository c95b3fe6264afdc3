// Plain Deployments and ReplicaSets for the planner's tables.
import type { Deployment, ReplicaSet } from '../../api/types/apps.js';
import { replicaSetFor } from './new-replica-set.js';

export const NOW = '2026-12-07T15:00:00Z';

export function deployment(o: {
  replicas?: number;
  image?: string;
  maxSurge?: number | string;
  maxUnavailable?: number | string;
  strategy?: 'Recreate' | 'RollingUpdate';
  paused?: boolean;
  generation?: number;
  revisionHistoryLimit?: number;
  progressDeadlineSeconds?: number;
}): Deployment {
  const strategy = o.strategy ?? 'RollingUpdate';
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: o.generation ?? 1 },
    spec: {
      replicas: o.replicas ?? 6,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: o.image ?? 'web:1' }] } },
      strategy:
        strategy === 'Recreate' ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: o.maxSurge ?? '25%', maxUnavailable: o.maxUnavailable ?? '25%' } },
      revisionHistoryLimit: o.revisionHistoryLimit ?? 10,
      progressDeadlineSeconds: o.progressDeadlineSeconds ?? 600,
      ...(o.paused ? { paused: true } : {}),
    },
    status: {},
  };
}

/** A ReplicaSet of `d` for `image`, `size` pods all available, as the controller would have made it. */
export function replicaSet(d: Deployment, image: string, size: number, o: { revision?: number; created?: string; available?: number; annotations?: Record<string, string> } = {}): ReplicaSet {
  const forImage: Deployment = structuredClone(d);
  const container = forImage.spec.template.spec?.containers[0];
  if (container) container.image = image;
  const rs = replicaSetFor(forImage);
  rs.metadata.uid = `uid-${rs.metadata.name ?? ''}`;
  rs.metadata.resourceVersion = '1';
  rs.metadata.creationTimestamp = o.created ?? '2026-12-07T14:00:00Z';
  rs.metadata.annotations = { 'deployment.kubernetes.io/revision': String(o.revision ?? 1), ...(o.annotations ?? {}) };
  rs.spec.replicas = size;
  const available = o.available ?? size;
  rs.status = { replicas: size, readyReplicas: available, availableReplicas: available, observedGeneration: 1 };
  return rs;
}
