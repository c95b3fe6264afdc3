// Which Services a pod event concerns, as the endpoint controllers' GetPodUpdateProjectionKey
// and GetServicesToUpdate: a pod's Services are those of its namespace whose selector matches
// its labels (a Service without a selector matches none). An update matters when it changed
// what the endpoints say (deletion, readiness, IPs) or which Services match (labels, hostname,
// subdomain); a resync with the same resourceVersion never does.
import { isPodReady } from '../api/active-pods.js';
import { labelSelectorFromSet, type LabelSelectorMatcher } from '../api/selectors/labels.js';
import type { Pod } from '../api/types/core.js';
import type { Service } from '../api/types/service.js';
import { objectKey, type Informer } from '../client/informer.js';

const matchers = new WeakMap<Service, LabelSelectorMatcher>();

function selects(svc: Service, labels: Record<string, string>): boolean {
  if (!svc.spec.selector) return false;
  let m = matchers.get(svc);
  if (!m) matchers.set(svc, (m = labelSelectorFromSet(svc.spec.selector)));
  return m.matches(labels);
}

/** The pods of `pods` that the Service selects (none without a selector). */
export function selectedPods(svc: Service, pods: readonly Pod[]): Pod[] {
  return pods.filter((p) => selects(svc, p.metadata.labels ?? {}));
}

function ipsOf(pod: Pod): string {
  return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',') || (pod.status?.podIP ?? '');
}

/** podEndpointsChanged: [what its endpoints say changed, which Services it matches may have changed]. */
export function podEndpointsChanged(old: Pod, pod: Pod): [boolean, boolean] {
  const labels = (p: Pod) => JSON.stringify(Object.entries(p.metadata.labels ?? {}).sort());
  const labelsChanged = labels(old) !== labels(pod) || old.spec.hostname !== pod.spec.hostname || old.spec.subdomain !== pod.spec.subdomain;
  const podChanged =
    old.metadata.deletionTimestamp !== pod.metadata.deletionTimestamp ||
    isPodReady(old) !== isPodReady(pod) ||
    ipsOf(old) !== ipsOf(pod) ||
    old.status?.phase !== pod.status?.phase ||
    old.spec.nodeName !== pod.spec.nodeName;
  return [podChanged, labelsChanged];
}

/** The keys of the Services (of `servicesIn` the pod's namespace) to sync for a pod added (old undefined), updated or deleted (pod undefined). */
export function servicesForPodEvent(servicesIn: (namespace: string) => Service[], old: Pod | undefined, pod: Pod | undefined): string[] {
  const cur = pod ?? old;
  if (!cur) return [];
  const services = servicesIn(cur.metadata.namespace ?? '');
  const matching = (p: Pod) => new Set(services.filter((s) => selects(s, p.metadata.labels ?? {})).map(objectKey));
  if (!old || !pod) return [...matching(cur)];
  if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return [];
  const [podChanged, labelsChanged] = podEndpointsChanged(old, pod);
  if (!podChanged && !labelsChanged) return [];
  const now = matching(pod);
  if (!labelsChanged) return [...now];
  const before = matching(old);
  // Only the labels changed: the Services it joined or left. Both changed: every one of them.
  if (podChanged) return [...new Set([...now, ...before])];
  return [...now].filter((k) => !before.has(k)).concat([...before].filter((k) => !now.has(k)));
}

/** Both endpoint controllers' handlers: a Service's own events queue it, a pod's events the Services they concern. */
export function watchServicesAndPods(services: Informer<Service>, pods: Informer<Pod>, add: (serviceKey: string) => void): void {
  const queue = (s: Service) => add(objectKey(s));
  services.on('add', queue);
  services.on('update', queue);
  services.on('delete', queue);
  const servicesIn = (ns: string) => services.list(ns);
  pods.on('add', (p) => servicesForPodEvent(servicesIn, undefined, p).forEach(add));
  pods.on('update', (p, old) => servicesForPodEvent(servicesIn, old, p).forEach(add));
  pods.on('delete', (p) => servicesForPodEvent(servicesIn, p, undefined).forEach(add));
}
