// A pod's server-side defaults, as Kubernetes' core/v1 defaults.go and the admission plugins
// that always run (Priority, DefaultTolerationSeconds) leave it: applied to every create and
// update body before validation, so what is stored (and printed back) is what kube-apiserver
// would store. Quantities are rewritten in canonical form ("0.5" -> "500m"). Each kind's
// defaulting is called through its declaration (api/kinds/).
import { Quantity } from './quantity.js';
import { effectiveRequests, qosClass } from './pod-resources.js';
import type { Container, ContainerPort, Pod, PodSpec, Probe, Toleration, Volume } from './types/core.js';

export const DEFAULT_TOLERATION_SECONDS = 300;
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';
export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

/** Kubernetes' image reference rule: the tag follows the last ':' after the last '/', before any '@'. */
export function imageTag(image: string): { tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const name = at >= 0 ? image.slice(0, at) : image;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  return { tag, digest };
}

/** Always for ":latest" or an untagged image (which means latest); IfNotPresent otherwise, digests included. */
export function defaultPullPolicy(image: string | undefined): 'Always' | 'IfNotPresent' {
  const { tag, digest } = imageTag(image ?? '');
  if (tag === 'latest' || (tag === undefined && digest === undefined)) return 'Always';
  return 'IfNotPresent';
}

// Defaults run before validation, on whatever the client sent: every step checks shapes and
// leaves anything malformed untouched for validation to report.
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = <T>(v: unknown): T[] => (Array.isArray(v) ? (v.filter(isObj) as T[]) : []);

/** Rewrites a ResourceList's quantities in canonical form; a malformed one is left for validation. */
export function canonicalize(list: unknown): void {
  if (!isObj(list)) return;
  for (const [k, v] of Object.entries(list)) {
    try {
      list[k] = Quantity.parse(v as string).toString();
    } catch {
      // Left as written: validation reports it with its field path.
    }
  }
}

function defaultProbe(p: Probe | undefined): void {
  if (!isObj(p)) return;
  // Go's defaulting cannot tell 0 from unset for these ints, so 0 becomes the default too.
  p.timeoutSeconds ||= 1;
  p.periodSeconds ||= 10;
  p.successThreshold ||= 1;
  p.failureThreshold ||= 3;
  if (isObj(p.httpGet)) {
    p.httpGet.path ||= '/';
    p.httpGet.scheme ??= 'HTTP';
  }
}

/** A container's defaults in any PodSpec (a pod's or a pod template's). */
function defaultContainer(c: Container): void {
  c.imagePullPolicy ??= defaultPullPolicy(c.image);
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const port of objects<ContainerPort>(c.ports)) port.protocol ??= 'TCP';
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) defaultProbe(probe);
  const res = isObj(c.resources) ? c.resources : undefined;
  canonicalize(res?.limits);
  canonicalize(res?.requests);
}

/** What SetDefaults_Pod adds to a pod's containers only (a template keeps them as written). */
function defaultPodContainer(c: Container, hostNetwork: boolean): void {
  // A host-network pod's ports are host ports (defaultHostNetworkPorts).
  if (hostNetwork) for (const port of objects<ContainerPort>(c.ports)) if (port.hostPort === undefined) port.hostPort = port.containerPort;
  const res = isObj(c.resources) ? c.resources : undefined;
  // A limit without a request requests the limit (memory+swap excepted).
  if (res && isObj(res.limits)) {
    if (res.requests != null && !isObj(res.requests)) return;
    res.requests = effectiveRequests(c);
    canonicalize(res.requests);
  }
}

/** How long pods tolerate not-ready and unreachable nodes by default (kube-apiserver's --default-*-toleration-seconds). */
export interface DefaultTolerationSeconds {
  notReady: number;
  unreachable: number;
}

/**
 * The DefaultTolerationSeconds admission plugin: tolerate not-ready/unreachable nodes for 5
 * minutes, or what the API server's flags say (it runs this first with them, and the Pod
 * kind's defaults then find nothing to add).
 */
export function defaultTolerations(pod: Pod, seconds: DefaultTolerationSeconds = { notReady: DEFAULT_TOLERATION_SECONDS, unreachable: DEFAULT_TOLERATION_SECONDS }): void {
  if (!isObj(pod.spec)) return;
  if (pod.spec.tolerations !== undefined && !Array.isArray(pod.spec.tolerations)) return;
  const tolerations = pod.spec.tolerations ?? [];
  const tolerates = (key: string): boolean =>
    tolerations.some((t) => isObj(t) && (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
  const added: Toleration[] = [];
  for (const [key, tolerationSeconds] of [[NOT_READY_TAINT, seconds.notReady], [UNREACHABLE_TAINT, seconds.unreachable]] as const) {
    if (!tolerates(key)) added.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
  }
  if (added.length) pod.spec.tolerations = [...tolerations, ...added];
}

/**
 * SetDefaults_PodSpec and the defaults of what a spec holds (containers, probes, volumes):
 * a pod's, and a workload's pod template's (api/kinds/ of Deployment, Job, ...).
 */
export function defaultPodSpec(spec: PodSpec): void {
  if (!isObj(spec)) return;
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  spec.securityContext ??= {};
  for (const c of [...objects<Container>(spec.containers), ...objects<Container>(spec.initContainers)]) defaultContainer(c);
  for (const v of objects<Volume>(spec.volumes)) {
    if (!v.emptyDir && !v.hostPath && !v.configMap && !v.secret && !v.downwardAPI && !v.projected) v.emptyDir = {};
    // SetDefaults_{ConfigMap,Secret,DownwardAPI,Projected}VolumeSource: files are 0644 (420).
    for (const src of [v.configMap, v.secret, v.downwardAPI, v.projected]) if (isObj(src)) src.defaultMode ??= 0o644;
    if (isObj(v.emptyDir) && v.emptyDir.sizeLimit !== undefined) {
      const list = { sizeLimit: v.emptyDir.sizeLimit };
      canonicalize(list);
      v.emptyDir.sizeLimit = list.sizeLimit;
    }
  }
}

/** SetDefaults_Pod: the spec's defaults, then what only a pod gets (admission's priority and tolerations, its status). */
export function defaultPod(pod: Pod): void {
  const spec = pod.spec;
  if (!isObj(spec)) return;
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  // The Priority admission plugin: no priority class (skiff has none) means priority 0.
  if (!spec.priorityClassName) spec.priority ??= 0;
  const hostNetwork = spec.hostNetwork === true;
  for (const c of [...objects<Container>(spec.containers), ...objects<Container>(spec.initContainers)]) defaultPodContainer(c, hostNetwork);
  defaultTolerations(pod);
  pod.status ??= {};
  if (!isObj(pod.status)) return;
  pod.status.phase ??= 'Pending';
  pod.status.qosClass ??= qosClass(pod);
}
