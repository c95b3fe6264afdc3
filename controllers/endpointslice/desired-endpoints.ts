// The endpoints a Service wants, grouped by the ports they serve, as the EndpointSlice
// reconciler builds them (podToEndpoint, getEndpointPorts): one endpoint per pod with an address
// of the slice's family; pods whose named targetPort resolves differently land in different
// port groups. An endpoint is known by its addresses, hostname and pod (hashEndpoint), so a
// change of readiness or node updates it in place.
import { findPort, podIPsOf, shouldPodBeInEndpoints, shouldSetHostname, isIPv6, type AddressType } from '../../api/service-endpoints.js';
import { isPodReady } from '../../api/active-pods.js';
import type { Pod } from '../../api/types/core.js';
import type { Endpoint, EndpointSlicePort, Service } from '../../api/types/service.js';

/** The label a node's zone is read from. */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** A node's zone (undefined when it has none), or null when there is no such node. */
export type NodeZoneLookup = (nodeName: string) => string | undefined | null;

export interface PortGroup {
  ports: EndpointSlicePort[];
  /** Endpoints by endpointKey, in pod order. */
  endpoints: Map<string, Endpoint>;
}

export interface DesiredEndpoints {
  /** Port groups by portsKey. */
  groups: Map<string, PortGroup>;
  /** Nodes named by pods that do not exist (the pods are left out unless publishNotReadyAddresses). */
  missingNodes: string[];
}

/** NewPortMapKey: the ports as a set, with the defaults the API server fills in. */
export function portsKey(ports: readonly EndpointSlicePort[] | undefined): string {
  return JSON.stringify(
    (ports ?? []).map((p) => [p.name ?? '', p.protocol ?? 'TCP', p.port ?? 0, p.appProtocol ?? '']).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)),
  );
}

/** hashEndpoint: addresses (as a set), hostname and the pod it stands for. */
export function endpointKey(ep: Endpoint): string {
  return JSON.stringify([[...ep.addresses].sort(), ep.hostname ?? '', ep.targetRef?.namespace ?? '', ep.targetRef?.name ?? '']);
}

/** EndpointsEqualBeyondHash: node, zone, conditions and the pod reference (its resourceVersion aside). */
export function endpointsEqualBeyondKey(a: Endpoint, b: Endpoint): boolean {
  const ca = a.conditions ?? {};
  const cb = b.conditions ?? {};
  const ra = a.targetRef ?? {};
  const rb = b.targetRef ?? {};
  return (
    a.nodeName === b.nodeName &&
    a.zone === b.zone &&
    ca.ready === cb.ready &&
    ca.serving === cb.serving &&
    ca.terminating === cb.terminating &&
    ra.kind === rb.kind &&
    ra.apiVersion === rb.apiVersion &&
    ra.namespace === rb.namespace &&
    ra.name === rb.name &&
    ra.uid === rb.uid &&
    ra.fieldPath === rb.fieldPath
  );
}

/** getEndpointPorts: each Service port the pod resolves; none for a headless Service without ports. */
export function endpointPorts(svc: Service, pod: Pod): EndpointSlicePort[] {
  const out: EndpointSlicePort[] = [];
  for (const sp of svc.spec.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    out.push({ name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP', ...(sp.appProtocol !== undefined ? { appProtocol: sp.appProtocol } : {}) });
  }
  return out;
}

/** podToEndpoint: serving = Ready; ready = serving and not terminating, or always with publishNotReadyAddresses. */
export function podToEndpoint(pod: Pod, svc: Service, addressType: AddressType, zone: string | undefined): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = !!svc.spec.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = {
    addresses: podIPsOf(pod).filter((ip) => isIPv6(ip) === (addressType === 'IPv6')),
    conditions: { ready, serving, terminating },
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
  if (pod.spec.nodeName) ep.nodeName = pod.spec.nodeName;
  if (zone) ep.zone = zone;
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec.hostname;
  return ep;
}

/** The endpoints of one address type the Service's pods give, by port group. */
export function desiredEndpoints(svc: Service, pods: readonly Pod[], addressType: AddressType, nodeZone: NodeZoneLookup): DesiredEndpoints {
  const groups = new Map<string, PortGroup>();
  const missingNodes = new Set<string>();
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portsKey(ports);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ports, endpoints: new Map() }));
    const zone = nodeZone(pod.spec.nodeName ?? '');
    if (zone === null && !svc.spec.publishNotReadyAddresses) {
      // The reconciler leaves the pod out and tries the Service again later.
      missingNodes.add(pod.spec.nodeName ?? '');
      continue;
    }
    const ep = podToEndpoint(pod, svc, addressType, zone ?? undefined);
    if (ep.addresses.length > 0) group.endpoints.set(endpointKey(ep), ep);
  }
  return { groups, missingNodes: [...missingNodes] };
}
