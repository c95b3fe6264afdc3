// apps/v1 ReplicaSet: keeps `replicas` pods matching its selector running, stamped from its
// template (the controller is controllers/; this is the API kind).
import { defaultPodSpec } from '../defaults.js';
import { replicaSetSchema } from '../schemas/apps.js';
import { scaleSchema } from '../schemas/workload.js';
import { labelSelectorFromObject } from '../selectors/labels.js';
import type { ReplicaSet } from '../types/apps.js';
import { validateReplicaSet, validateReplicaSetStatus, validateSelectorUpdate } from '../validation/apps.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';
import { formatLabelSelector, templateColumns } from './workload-columns.js';

/** SetDefaults_ReplicaSet, and the pod's defaults in its template. */
function defaultReplicaSet(rs: ReplicaSet): void {
  if (typeof rs.spec !== 'object' || rs.spec === null) return;
  rs.spec.replicas ??= 1;
  if (rs.spec.template?.spec) defaultPodSpec(rs.spec.template.spec);
}

export const replicaSetKind = defineKind<ReplicaSet>({
  resource: resourceRow({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  schema: replicaSetSchema,
  subresourceSchemas: { Scale: scaleSchema },
  nameRule: 'subdomain',
  defaults: defaultReplicaSet,
  validate: (rs) => [...validateReplicaSet(rs), ...validateReplicaSetStatus(rs)],
  validateStatus: validateReplicaSetStatus,
  validateUpdate: validateSelectorUpdate,
  strategy: {
    // ReplicaSetStatus.replicas is always written, 0 on a new object.
    prepareForCreate: (rs) => {
      rs.status = { replicas: 0 };
    },
  },
  // ReplicaSetToSelectableFields.
  selectableFields: (rs) => ({ 'status.replicas': String(rs.status?.replicas ?? 0) }),
  scale: {
    specReplicas: (rs) => rs.spec.replicas ?? 1,
    setSpecReplicas: (rs, n) => {
      rs.spec.replicas = n;
    },
    statusReplicas: (rs) => rs.status?.replicas ?? 0,
    selector: (rs) => labelSelectorFromObject(rs.spec.selector).toString(),
  },
  columns: [
    nameColumn,
    { name: 'Desired', type: 'integer', priority: 0, description: 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.', cell: (rs) => rs.spec?.replicas ?? 0 },
    { name: 'Current', type: 'integer', priority: 0, description: 'Replicas is the most recently observed number of replicas.', cell: (rs) => rs.status?.replicas ?? 0 },
    { name: 'Ready', type: 'integer', priority: 0, description: 'The number of ready replicas for this replica set.', cell: (rs) => rs.status?.readyReplicas ?? 0 },
    ageColumn,
    ...templateColumns<ReplicaSet>(
      (rs) => rs.spec?.template,
      (rs) => formatLabelSelector(rs.spec?.selector),
      "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels.",
    ),
  ],
});
