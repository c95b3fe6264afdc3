// apps/v1 Deployment: declarative updates of pods through ReplicaSets (the controller is
// controllers/; this is the API kind), scaled through /scale.
import { isDeepStrictEqual } from 'node:util';
import { defaultPodSpec } from '../defaults.js';
import { deploymentSchema } from '../schemas/apps.js';
import { scaleSchema } from '../schemas/workload.js';
import { labelSelectorFromObject } from '../selectors/labels.js';
import type { Deployment } from '../types/apps.js';
import { validateDeployment, validateDeploymentStatus, validateSelectorUpdate } from '../validation/apps.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';
import { templateColumns } from './workload-columns.js';

/** SetDefaults_Deployment, and the pod's defaults in its template. */
function defaultDeployment(d: Deployment): void {
  const spec = d.spec;
  if (typeof spec !== 'object' || spec === null) return;
  spec.replicas ??= 1;
  const strategy = (spec.strategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= '25%';
    ru.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

/** The label selector as a string ("app=web"), as the Scale's status and the SELECTOR column print it. */
const selectorString = (d: Deployment): string => {
  try {
    return labelSelectorFromObject(d.spec?.selector).toString();
  } catch {
    return '<error>';
  }
};

export const deploymentKind = defineKind<Deployment>({
  resource: resourceRow({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    subresources: ['status', 'scale'],
    categories: ['all'],
  }),
  schema: deploymentSchema,
  subresourceSchemas: { Scale: scaleSchema },
  nameRule: 'subdomain',
  defaults: defaultDeployment,
  validate: (d) => [...validateDeployment(d), ...validateDeploymentStatus(d)],
  validateStatus: validateDeploymentStatus,
  validateUpdate: validateSelectorUpdate,
  strategy: {
    prepareForCreate: (d) => {
      d.status = {};
    },
    // Annotations move the generation too: the controller copies them to the ReplicaSets.
    generationChanged: (d, old) => !isDeepStrictEqual(d.metadata.annotations ?? {}, old.metadata.annotations ?? {}),
  },
  scale: {
    specReplicas: (d) => d.spec.replicas ?? 1,
    setSpecReplicas: (d, n) => {
      d.spec.replicas = n;
    },
    statusReplicas: (d) => d.status?.replicas ?? 0,
    selector: selectorString,
  },
  columns: [
    nameColumn,
    { name: 'Ready', type: 'string', priority: 0, description: 'Number of the pod with ready state', cell: (d) => `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}` },
    { name: 'Up-to-date', type: 'string', priority: 0, description: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', cell: (d) => d.status?.updatedReplicas ?? 0 },
    { name: 'Available', type: 'string', priority: 0, description: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', cell: (d) => d.status?.availableReplicas ?? 0 },
    ageColumn,
    ...templateColumns<Deployment>((d) => d.spec?.template, selectorString, 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template\'s labels.'),
  ],
});
