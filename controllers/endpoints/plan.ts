// What the Endpoints controller writes for one Service, as kube-controller-manager's
// endpoints_controller.go, from plain records: every pod that should be in the endpoints, its
// address of the Service's family under `addresses` when ready (or publishNotReadyAddresses) and
// `notReadyAddresses` otherwise, once per Service port it resolves; then repacked so that pods
// serving the same ports share one subset (RepackSubsets), at most 1000 addresses (the rest cut
// and the Endpoints annotated over-capacity). Nothing is written when only pods' resourceVersions
// would change.
import { isDeepStrictEqual } from 'node:util';
import { isPodReady } from '../../api/active-pods.js';
import { findPort, isIPv6, isServiceIPSet, LABEL_HEADLESS, podIPsOf, shouldPodBeInEndpoints, shouldSetHostname } from '../../api/service-endpoints.js';
import type { Pod } from '../../api/types/core.js';
import type { EndpointAddress, EndpointPort, Endpoints, EndpointSubset, Service } from '../../api/types/service.js';

/** The endpoints controller's maxCapacity. */
export const MAX_ENDPOINTS_CAPACITY = 1000;
export const OVER_CAPACITY_ANNOTATION = 'endpoints.kubernetes.io/over-capacity';

/** podToEndpointAddressForService: the pod's IP of the Service's (first) family. */
export function endpointAddress(svc: Service, pod: Pod): EndpointAddress | undefined {
  let v6: boolean;
  const fam = svc.spec.ipFamilies?.[0];
  if (fam) v6 = fam === 'IPv6';
  else if (isServiceIPSet(svc)) v6 = isIPv6(svc.spec.clusterIP ?? '');
  else v6 = isIPv6(pod.status?.podIP ?? '');
  const ip = podIPsOf(pod).find((a) => isIPv6(a) === v6);
  if (!ip) return undefined;
  const addr: EndpointAddress = { ip, targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid } };
  if (pod.spec.nodeName) addr.nodeName = pod.spec.nodeName;
  if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec.hostname;
  return addr;
}

const addrKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort | undefined) => (p ? JSON.stringify([p.name ?? '', p.port, p.protocol ?? 'TCP', p.appProtocol ?? '']) : '');

/** RepackSubsets: one subset per set of addresses serving the same ports, a ready address winning over a not-ready one. */
function repack(entries: { addr: EndpointAddress; port?: EndpointPort; ready: boolean }[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port?: EndpointPort; ready: Map<string, boolean> }>();
  for (const e of entries) {
    const k = addrKey(e.addr);
    if (!addrs.has(k)) addrs.set(k, e.addr);
    const pk = portKey(e.port);
    let slot = byPort.get(pk);
    if (!slot) byPort.set(pk, (slot = { port: e.port, ready: new Map() }));
    if (e.ready || !slot.ready.has(k)) slot.ready.set(k, e.ready || (slot.ready.get(k) ?? false));
  }
  const bySet = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const setKey = JSON.stringify([...ready].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let group = bySet.get(setKey);
    if (!group) bySet.set(setKey, (group = { ready, ports: [] }));
    if (port) group.ports.push(port);
  }
  const byIP = (a: EndpointAddress, b: EndpointAddress) => (addrKey(a) < addrKey(b) ? -1 : addrKey(a) > addrKey(b) ? 1 : 0);
  const subsets = [...bySet.values()].map(({ ready, ports }) => {
    const s: EndpointSubset = {};
    const r = [...ready].filter(([, ok]) => ok).map(([k]) => addrs.get(k) as EndpointAddress).sort(byIP);
    const n = [...ready].filter(([, ok]) => !ok).map(([k]) => addrs.get(k) as EndpointAddress).sort(byIP);
    if (r.length > 0) s.addresses = r;
    if (n.length > 0) s.notReadyAddresses = n;
    if (ports.length > 0) s.ports = ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    return s;
  });
  const first = (s: EndpointSubset) => JSON.stringify([s.addresses?.[0]?.ip ?? s.notReadyAddresses?.[0]?.ip ?? '', s.ports?.map(portKey) ?? []]);
  return subsets.sort((a, b) => (first(a) < first(b) ? -1 : first(a) > first(b) ? 1 : 0));
}

/** The subsets the Service's pods give. */
export function endpointSubsets(svc: Service, pods: readonly Pod[]): EndpointSubset[] {
  const tolerateUnready = !!svc.spec.publishNotReadyAddresses;
  const entries: { addr: EndpointAddress; port?: EndpointPort; ready: boolean }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = endpointAddress(svc, pod);
    if (!addr) continue;
    const ready = tolerateUnready || isPodReady(pod);
    const ports = svc.spec.ports ?? [];
    if (ports.length === 0) {
      // A headless Service may have no ports; its addresses are listed all the same.
      if (svc.spec.clusterIP === 'None') entries.push({ addr, ready });
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      entries.push({ addr, ready, port: { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) } });
    }
  }
  return repack(entries);
}

/** truncateEndpoints: at most MAX_ENDPOINTS_CAPACITY addresses, ready ones first, each subset its share. */
function truncate(subsets: EndpointSubset[]): boolean {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= MAX_ENDPOINTS_CAPACITY) return false;
  const truncateReady = totalReady > MAX_ENDPOINTS_CAPACITY;
  const max = truncateReady ? MAX_ENDPOINTS_CAPACITY : MAX_ENDPOINTS_CAPACITY - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let room = max;
  for (const s of subsets) {
    const n = (truncateReady ? s.addresses : s.notReadyAddresses)?.length ?? 0;
    const take = Math.min(Math.ceil((n / total) * max), room);
    if (truncateReady) {
      s.addresses = s.addresses?.slice(0, take);
      delete s.notReadyAddresses;
      room -= s.addresses?.length ?? 0;
    } else {
      s.notReadyAddresses = s.notReadyAddresses?.slice(0, take);
      room -= s.notReadyAddresses?.length ?? 0;
    }
  }
  return true;
}

/** Subsets as compared: no empty lists, no pod resourceVersions. */
function comparable(subsets: readonly EndpointSubset[] | undefined): unknown {
  const addrs = (l: EndpointAddress[] | undefined) => (l ?? []).map((a) => ({ ...a, targetRef: a.targetRef ? { ...a.targetRef, resourceVersion: undefined } : undefined }));
  return (subsets ?? []).map((s) => ({ addresses: addrs(s.addresses), notReadyAddresses: addrs(s.notReadyAddresses), ports: (s.ports ?? []).map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })) }));
}

function withoutLabel(labels: Record<string, string> | undefined, key: string): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).filter(([k]) => k !== key));
}

/**
 * The Endpoints to create (no resourceVersion) or update for the Service, or undefined when the
 * current one already says it: same subsets, the Service's labels, the capacity annotation right.
 */
export function endpointsToWrite(svc: Service, current: Endpoints | undefined, pods: readonly Pod[]): Endpoints | undefined {
  const subsets = endpointSubsets(svc, pods);
  const count = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
  const capacityRight = count <= MAX_ENDPOINTS_CAPACITY && !(current?.metadata.annotations ?? {})[OVER_CAPACITY_ANNOTATION];
  if (
    current &&
    isDeepStrictEqual(comparable(current.subsets), comparable(subsets)) &&
    isDeepStrictEqual(withoutLabel(current.metadata.labels, LABEL_HEADLESS), svc.metadata.labels ?? {}) &&
    capacityRight
  ) {
    return undefined;
  }
  const annotations = { ...(current?.metadata.annotations ?? {}) };
  if (truncate(subsets)) annotations[OVER_CAPACITY_ANNOTATION] = 'truncated';
  else delete annotations[OVER_CAPACITY_ANNOTATION];
  const labels = withoutLabel(svc.metadata.labels, LABEL_HEADLESS);
  if (!isServiceIPSet(svc)) labels[LABEL_HEADLESS] = '';
  const metadata = current ? { ...current.metadata } : { name: svc.metadata.name, namespace: svc.metadata.namespace };
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { ...metadata, labels, annotations }, subsets };
}
