// The DaemonSet's pods as kube-controller-manager's pkg/controller/daemon/util makes and reads
// them: the tolerations every daemon pod gets (AddOrUpdateDaemonPodTolerations), the required
// node affinity that pins a pod to its node by `metadata.name` so the default scheduler places
// it (ReplaceDaemonSetPodNodeNameNodeAffinity, since Kubernetes 1.12), the node a pod is meant
// for whether or not it is bound yet (GetTargetNodeName), and whether a pod is of the current
// template (IsPodUpdated: its controller-revision-hash, or its pod-template-generation).
import { TEMPLATE_GENERATION_ANNOTATION } from '../../api/kinds/daemonset.js';
import type { DaemonSet } from '../../api/types/apps.js';
import type { Affinity, Pod, PodSpec, Toleration } from '../../api/types/core.js';
import { compareOldestByName } from '../active-pods.js';
import type { OwnerKind } from '../controller-ref.js';
import { podFromTemplate } from '../owned-pods.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../node-lifecycle/health.js';

export const DAEMON_SET_KIND: OwnerKind = { apiVersion: 'apps/v1', kind: 'DaemonSet' };
/** apps.ControllerRevisionHashLabelKey: on pods and on the ControllerRevisions. */
export const CONTROLLER_REVISION_HASH = 'controller-revision-hash';
/** extensions.DaemonSetTemplateGenerationKey: the deprecated label of the template generation. */
export const POD_TEMPLATE_GENERATION = 'pod-template-generation';

const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
const TAINT_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
const TAINT_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
const TAINT_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';
const TAINT_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';

/**
 * AddOrUpdateDaemonPodTolerations: daemon pods stay on not-ready and unreachable nodes (NoExecute,
 * without tolerationSeconds: for ever) and go onto nodes under pressure or cordoned (NoSchedule);
 * a hostNetwork pod also onto a node whose network is not set up yet. A toleration of the same
 * key and effect already in the spec is replaced.
 */
export function withDaemonTolerations(spec: PodSpec): Toleration[] {
  const added: Toleration[] = [
    { key: TAINT_NOT_READY, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' },
    { key: TAINT_DISK_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_MEMORY_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_PID_PRESSURE, operator: 'Exists', effect: 'NoSchedule' },
    { key: TAINT_NODE_UNSCHEDULABLE, operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (spec.hostNetwork) added.push({ key: TAINT_NETWORK_UNAVAILABLE, operator: 'Exists', effect: 'NoSchedule' });
  const out = [...(spec.tolerations ?? [])];
  for (const t of added) {
    const i = out.findIndex((o) => o.key === t.key && (o.effect ?? '') === t.effect);
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required node terms become exactly "metadata.name In [node]". */
export function pinnedToNode(affinity: Affinity | undefined, nodeName: string): Affinity {
  const required = { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [nodeName] }] }] };
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: required } };
}

/** The node a daemon pod is for: its nodeName, or the single name of its metadata.name affinity. */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In' && f.values?.length === 1) return f.values[0];
    }
  }
  return undefined;
}

/** GetTemplateGeneration: the annotation's number, if the API server wrote one. */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) ? n : undefined;
}

/** IsPodUpdated: the pod carries the current revision's hash, or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata.labels ?? {};
  const byGeneration = generation !== undefined && labels[POD_TEMPLATE_GENERATION] === String(generation);
  return (hash !== '' && labels[CONTROLLER_REVISION_HASH] === hash) || byGeneration;
}

/**
 * The pod a DaemonSet makes for one node (CreatePodTemplate + the node affinity): its
 * template with the daemon tolerations, the revision's hash and template generation as
 * labels, pinned to `nodeName`, controlled by the DaemonSet.
 */
export function daemonPod(ds: DaemonSet, nodeName: string, hash: string): Pod {
  const pod = podFromTemplate(ds, DAEMON_SET_KIND, ds.spec.template);
  pod.spec.tolerations = withDaemonTolerations(pod.spec);
  pod.spec.affinity = pinnedToNode(pod.spec.affinity, nodeName);
  const generation = templateGeneration(ds);
  if (generation !== undefined) pod.metadata.labels = { ...pod.metadata.labels, [POD_TEMPLATE_GENERATION]: String(generation) };
  if (hash) pod.metadata.labels = { ...pod.metadata.labels, [CONTROLLER_REVISION_HASH]: hash };
  return pod;
}

/** podByCreationTimestampAndPhase: bound pods first, then the oldest, then by name. */
export function compareOldestFirst(a: Pod, b: Pod): number {
  const aBound = !!a.spec.nodeName;
  if (aBound !== !!b.spec.nodeName) return aBound ? -1 : 1;
  return compareOldestByName(a, b);
}
