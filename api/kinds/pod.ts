// core/v1 Pod: the unit the scheduler places and the kubelet runs.
import { defaultPod } from '../defaults.js';
import { bindingSchema, podSchema } from '../schemas/pod.js';
import type { Pod } from '../types/core.js';
import { validatePod, validatePodStatus } from '../validation/pod.js';
import { validatePodSpecUpdate } from '../validation/pod-update.js';
import { podSummary } from './pod-status.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const orNone = (s: string | undefined | null): string => (s ? s : '<none>');

/** READINESS GATES: how many of the pod's gates its conditions meet, "<none>" without gates. */
function readinessGates(pod: Pod): string {
  // readinessGates is not in skiff's PodSpec type yet; read it loosely so a server that keeps it is shown right.
  const gates = (pod.spec as { readinessGates?: { conditionType: string }[] } | undefined)?.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const met = gates.filter((g) => pod.status?.conditions?.find((c) => c.type === g.conditionType)?.status === 'True').length;
  return `${met}/${gates.length}`;
}

export const podKind = defineKind<Pod>({
  resource: resourceRow({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward', 'eviction'],
    categories: ['all'],
  }),
  schema: podSchema,
  subresourceSchemas: { Binding: bindingSchema },
  nameRule: 'subdomain',
  defaults: defaultPod,
  validate: validatePod,
  validateStatus: (p) => validatePodStatus(p.status),
  validateUpdate: validatePodSpecUpdate,
  strategy: {
    // A new pod is Pending whatever the client said; qosClass comes from the defaults.
    prepareForCreate: (p) => {
      p.status = { phase: 'Pending' };
    },
    // Only a bound pod that may still be running waits for its kubelet to stop it.
    gracePeriodSeconds: (p, requested) => {
      if (!p.spec?.nodeName) return 0;
      const phase = p.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') return 0;
      return requested ?? p.spec.terminationGracePeriodSeconds ?? 30;
    },
  },
  selectableFields: (pod) => ({
    'spec.nodeName': str(pod.spec?.nodeName),
    'spec.restartPolicy': str(pod.spec?.restartPolicy),
    'spec.schedulerName': str(pod.spec?.schedulerName),
    'spec.serviceAccountName': str(pod.spec?.serviceAccountName),
    'spec.hostNetwork': String(pod.spec?.hostNetwork ?? false),
    'status.phase': str(pod.status?.phase),
    'status.podIP': str(pod.status?.podIP),
    'status.nominatedNodeName': str(pod.status?.nominatedNodeName),
  }),
  columns: [
    nameColumn,
    { name: 'Ready', type: 'string', priority: 0, description: 'The aggregate readiness state of this pod for accepting traffic.', cell: (p, now) => podSummary(p, now).ready },
    { name: 'Status', type: 'string', priority: 0, description: 'The aggregate status of the containers in this pod.', cell: (p, now) => podSummary(p, now).status },
    { name: 'Restarts', type: 'string', priority: 0, description: 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', cell: (p, now) => podSummary(p, now).restarts },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, description: 'IP address allocated to the pod. Routable at least within the cluster.', cell: (p) => orNone(p.status?.podIPs?.[0]?.ip || p.status?.podIP) },
    { name: 'Node', type: 'string', priority: 1, description: 'Name of the Node to which this pod is assigned.', cell: (p) => orNone(p.spec?.nodeName) },
    { name: 'Nominated Node', type: 'string', priority: 1, description: 'Name of the node nominated by the scheduler to run this pod, for preemption.', cell: (p) => orNone(p.status?.nominatedNodeName) },
    { name: 'Readiness Gates', type: 'string', priority: 1, description: 'Readiness gates the pod waits on, and how many of them are met.', cell: readinessGates },
  ],
});
