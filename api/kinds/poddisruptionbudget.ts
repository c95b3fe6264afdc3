// policy/v1 PodDisruptionBudget: how many pods of a selection must stay up (minAvailable) or
// may be down (maxUnavailable) through voluntary disruptions. The disruption controller
// writes its status; pods/eviction reads and spends it.
import type { JsonSchema } from '../schemas/json-schema.js';
import { arr, enumOf, int, int32, intOrString, obj, str } from '../schemas/json-schema.js';
import { envelope } from '../schemas/meta.js';
import { conditionSchema, labelSelectorSchema } from '../schemas/workload.js';
import type { PodDisruptionBudget } from '../types/policy.js';
import type { StatusCause } from '../types/meta.js';
import { validateConditions } from '../validation/conditions.js';
import { FieldPath, invalid, notSupported } from '../validation/field.js';
import { notMoreThan100Percent, validateIntOrPercent, validateLabelSelector } from '../validation/workload.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

const POLICY = 'io.k8s.api.policy.v1';
export const UNHEALTHY_POD_EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

const pdbSchema: JsonSchema = envelope(
  { group: 'policy', version: 'v1', kind: 'PodDisruptionBudget' },
  'PodDisruptionBudget is an object to define the max disruption that can be caused to a collection of pods',
  {
    spec: obj(`${POLICY}.PodDisruptionBudgetSpec`, {
      minAvailable: intOrString('An eviction is allowed if at least "minAvailable" pods selected by "selector" will still be available after the eviction. Mutually exclusive with maxUnavailable.'),
      selector: labelSelectorSchema,
      maxUnavailable: intOrString('An eviction is allowed if at most "maxUnavailable" pods selected by "selector" are unavailable after the eviction. Mutually exclusive with minAvailable.'),
      unhealthyPodEvictionPolicy: str('When running but not yet healthy pods may be evicted: IfHealthyBudget (the default) or AlwaysAllow.'),
    }),
    status: obj(`${POLICY}.PodDisruptionBudgetStatus`, {
      observedGeneration: int('The most recent generation observed when updating this PDB status.'),
      disruptedPods: { type: 'object', additionalProperties: { type: 'string', format: 'date-time' }, description: 'Pods whose eviction was processed by the API server but not yet observed by the controller.' },
      disruptionsAllowed: int32('Number of pod disruptions that are currently allowed.'),
      currentHealthy: int32('current number of healthy pods'),
      desiredHealthy: int32('minimum desired number of healthy pods'),
      expectedPods: int32('total number of pods counted by this disruption budget'),
      conditions: {
        ...arr(conditionSchema('io.k8s.apimachinery.pkg.apis.meta.v1.Condition', { observedGeneration: int('The .metadata.generation the condition was set upon.') }), 'Conditions contain conditions for PDB: DisruptionAllowed.'),
        'x-kubernetes-patch-strategy': 'merge',
        'x-kubernetes-patch-merge-key': 'type',
      },
    }),
  },
);

/** policy/v1 Eviction, the body of POST pods/<name>/eviction. */
export const evictionSchema: JsonSchema = envelope(
  { group: 'policy', version: 'v1', kind: 'Eviction' },
  'Eviction evicts a pod from its node subject to certain policies and safety constraints.',
  {
    deleteOptions: obj('io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions', {
      apiVersion: str(),
      kind: str(),
      gracePeriodSeconds: int('The duration in seconds before the object should be deleted.'),
      preconditions: obj('io.k8s.apimachinery.pkg.apis.meta.v1.Preconditions', { uid: str(), resourceVersion: str() }),
      orphanDependents: { type: 'boolean' },
      propagationPolicy: enumOf(['Orphan', 'Background', 'Foreground']),
      dryRun: arr(str()),
    }),
  },
);

/** ValidatePodDisruptionBudgetSpec. */
function validatePdb(pdb: PodDisruptionBudget): StatusCause[] {
  const spec = pdb.spec ?? {};
  const path = FieldPath.root('spec');
  const causes: StatusCause[] = [];
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) causes.push(invalid(path, undefined, 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable'] as const) {
    causes.push(...validateIntOrPercent(spec[f], path.child(f)), ...notMoreThan100Percent(spec[f], path.child(f)));
  }
  if (spec.selector) causes.push(...validateLabelSelector(spec.selector, path.child('selector')));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && !UNHEALTHY_POD_EVICTION_POLICIES.includes(policy)) causes.push(notSupported(path.child('unhealthyPodEvictionPolicy'), policy, UNHEALTHY_POD_EVICTION_POLICIES));
  return causes;
}

/** ValidatePodDisruptionBudgetStatusUpdate: counts never negative, conditions well formed. */
function validatePdbStatus(pdb: PodDisruptionBudget): StatusCause[] {
  const status = pdb.status;
  if (!status) return [];
  const path = FieldPath.root('status');
  const causes: StatusCause[] = [];
  for (const f of ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] as const) {
    if ((status[f] ?? 0) < 0) causes.push(invalid(path.child(f), status[f], 'must be greater than or equal to 0'));
  }
  causes.push(...validateConditions(status.conditions, path.child('conditions')));
  return causes;
}

const orNA = (v: number | string | undefined): string => (v === undefined ? 'N/A' : String(v));

export const podDisruptionBudgetKind = defineKind<PodDisruptionBudget>({
  resource: resourceRow({ group: 'policy', version: 'v1', kind: 'PodDisruptionBudget', plural: 'poddisruptionbudgets', namespaced: true, shortNames: ['pdb'], subresources: ['status'] }),
  schema: pdbSchema,
  subresourceSchemas: { Eviction: evictionSchema },
  nameRule: 'subdomain',
  validate: validatePdb,
  validateStatus: validatePdbStatus,
  strategy: {
    // A new budget allows nothing until the controller has counted its pods.
    prepareForCreate: (pdb) => {
      pdb.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
  },
  columns: [
    nameColumn,
    { name: 'Min Available', type: 'string', priority: 0, description: 'The minimum number of pods that must be available simultaneously. This can be either an integer or a string specifying a percentage, e.g. "28%".', cell: (p) => orNA(p.spec?.minAvailable) },
    { name: 'Max Unavailable', type: 'string', priority: 0, description: 'The maximum number of pods that may be unavailable simultaneously. This can be either an integer or a string specifying a percentage, e.g. "28%".', cell: (p) => orNA(p.spec?.maxUnavailable) },
    { name: 'Allowed Disruptions', type: 'integer', priority: 0, description: 'Number of pod disruptions that are currently allowed.', cell: (p) => p.status?.disruptionsAllowed ?? 0 },
    ageColumn,
  ],
});
