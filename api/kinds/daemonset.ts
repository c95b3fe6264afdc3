// apps/v1 DaemonSet: one pod from its template on every eligible node (the controller is
// controllers/; this is the API kind).
import { isDeepStrictEqual } from 'node:util';
import { defaultPodSpec } from '../defaults.js';
import { daemonSetSchema } from '../schemas/apps.js';
import type { DaemonSet } from '../types/apps.js';
import { validateDaemonSet, validateDaemonSetStatus, validateSelectorUpdate } from '../validation/apps.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';
import { formatLabels, formatLabelSelector, templateColumns } from './workload-columns.js';

/** SetDefaults_DaemonSet (RollingUpdate, maxUnavailable 1, maxSurge 0), and the pod's defaults in its template. */
function defaultDaemonSet(ds: DaemonSet): void {
  const spec = ds.spec;
  if (typeof spec !== 'object' || spec === null) return;
  const strategy = (spec.updateStrategy ??= {});
  if (!strategy.type) strategy.type = 'RollingUpdate';
  if (strategy.type === 'RollingUpdate') {
    const ru = (strategy.rollingUpdate ??= {});
    ru.maxUnavailable ??= 1;
    ru.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  if (spec.template?.spec) defaultPodSpec(spec.template.spec);
}

/**
 * The annotation apps/v1 carries the DaemonSet's templateGeneration in (the internal
 * spec.templateGeneration): 1 on create unless the client gave a larger one, one more each
 * time an update changes the template, never set by an update otherwise. The controller
 * labels its pods `pod-template-generation` with it.
 */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

function templateGenerationOf(ds: DaemonSet): number {
  const n = Number(ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION]);
  return Number.isSafeInteger(n) && n >= 1 ? n : 1;
}

function setTemplateGeneration(ds: DaemonSet, generation: number): void {
  ds.metadata.annotations = { ...ds.metadata.annotations, [TEMPLATE_GENERATION_ANNOTATION]: String(generation) };
}

const count = (description: string, of: (s: NonNullable<DaemonSet['status']>) => number | undefined) => ({
  type: 'integer' as const,
  priority: 0 as const,
  description,
  cell: (ds: DaemonSet) => of(ds.status ?? {}) ?? 0,
});

export const daemonSetKind = defineKind<DaemonSet>({
  resource: resourceRow({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    subresources: ['status'],
    categories: ['all'],
  }),
  schema: daemonSetSchema,
  nameRule: 'subdomain',
  defaults: defaultDaemonSet,
  validate: (ds) => [...validateDaemonSet(ds), ...validateDaemonSetStatus(ds)],
  validateStatus: validateDaemonSetStatus,
  validateUpdate: validateSelectorUpdate,
  strategy: {
    // The four counts DaemonSetStatus always writes, 0 on a new object.
    prepareForCreate: (ds) => {
      ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
      setTemplateGeneration(ds, templateGenerationOf(ds));
    },
    prepareForUpdate: (ds, old) => {
      const generation = templateGenerationOf(old);
      setTemplateGeneration(ds, isDeepStrictEqual(ds.spec?.template, old.spec?.template) ? generation : generation + 1);
    },
  },
  columns: [
    nameColumn,
    { name: 'Desired', ...count('The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).', (s) => s.desiredNumberScheduled) },
    { name: 'Current', ...count('The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', (s) => s.currentNumberScheduled) },
    { name: 'Ready', ...count('numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.', (s) => s.numberReady) },
    { name: 'Up-to-date', ...count('The total number of nodes that are running updated daemon pod', (s) => s.updatedNumberScheduled) },
    { name: 'Available', ...count('The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', (s) => s.numberAvailable) },
    { name: 'Node Selector', type: 'string', priority: 0, description: "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.", cell: (ds) => formatLabels(ds.spec?.template?.spec?.nodeSelector) },
    ageColumn,
    ...templateColumns<DaemonSet>(
      (ds) => ds.spec?.template,
      (ds) => formatLabelSelector(ds.spec?.selector),
      "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels.",
    ),
  ],
});
