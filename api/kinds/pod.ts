// core/v1 Pod: the unit the scheduler places and the kubelet runs.
import { defaultPod } from '../defaults.js';
import { bindingSchema, podSchema } from '../schemas/pod.js';
import type { Pod } from '../types/core.js';
import { validatePod, validatePodStatus } from '../validation/pod.js';
import { validatePodSpecUpdate } from '../validation/pod-update.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The STATUS column: the reason of the last container that is waiting or terminated, else the phase. */
function podStatus(p: Pod): string {
  if (p.metadata.deletionTimestamp) return 'Terminating';
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Unknown';
  for (const c of p.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason;
  }
  return reason;
}

export const podKind = defineKind<Pod>({
  resource: resourceRow({
    group: '',
    version: 'v1',
    kind: 'Pod',
    plural: 'pods',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status', 'binding', 'log', 'exec', 'attach', 'portforward'],
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
    {
      name: 'Ready',
      type: 'string',
      priority: 0,
      description: 'The aggregate readiness state of this pod for accepting traffic.',
      cell: (p) => `${(p.status?.containerStatuses ?? []).filter((c) => c.ready).length}/${p.spec?.containers?.length ?? 0}`,
    },
    { name: 'Status', type: 'string', priority: 0, description: 'The aggregate status of the containers in this pod.', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      priority: 0,
      description: 'The number of times the containers in this pod have been restarted.',
      cell: (p) => String((p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0)),
    },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, description: 'IP address allocated to the pod. Routable at least within the cluster.', cell: (p) => p.status?.podIP ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, description: 'Name of the Node to which this pod is assigned.', cell: (p) => p.spec?.nodeName ?? '<none>' },
    { name: 'Nominated Node', type: 'string', priority: 1, description: 'Name of the node nominated by the scheduler to run this pod, for preemption.', cell: (p) => p.status?.nominatedNodeName ?? '<none>' },
    { name: 'Readiness Gates', type: 'string', priority: 1, description: 'Readiness gates the pod waits on.', cell: () => '<none>' },
  ],
});
