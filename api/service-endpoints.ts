// Which pods stand behind a Service and on which port, as Kubernetes' endpointslice utilities say
// it (k8s.io/endpointslice/util and utils.go): the one set of rules under the EndpointSlice and
// Endpoints controllers and the kubelet's service links, so the three never disagree on what a
// headless Service is or which container port a named targetPort means.
import type { Pod } from './types/core.js';
import type { Service, ServicePort } from './types/service.js';

/** A Service's address families as EndpointSlice address types. */
export type AddressType = 'IPv4' | 'IPv6';

/** The label naming a slice's Service, and the one saying who writes the slice. */
export const LABEL_SERVICE_NAME = 'kubernetes.io/service-name';
export const LABEL_MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';
/** The label a headless Service's slices and Endpoints carry (empty value). */
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';

/** IsServiceIPSet: the Service has a virtual address (not headless, not ExternalName). */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec.clusterIP ?? '';
  return ip !== '' && ip !== 'None';
}

export function isIPv6(ip: string): boolean {
  return ip.includes(':');
}

/**
 * getAddressTypesForService: from spec.ipFamilies; without them (an older server), the family of
 * the clusterIP, or both for a headless Service.
 */
export function addressTypesOf(svc: Service): AddressType[] {
  const fams = svc.spec.ipFamilies ?? [];
  if (fams.length > 0) return [...new Set(fams)];
  if (isServiceIPSet(svc)) return [isIPv6(svc.spec.clusterIP ?? '') ? 'IPv6' : 'IPv4'];
  return ['IPv4', 'IPv6'];
}

/** IsPodTerminal: Succeeded or Failed, never to run again. */
export function isPodTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/** The pod's IPs, podIPs first, podIP when that is all there is. */
export function podIPsOf(pod: Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length > 0) return ips;
  return pod.status?.podIP ? [pod.status.podIP] : [];
}

/**
 * ShouldPodBeInEndpoints: not terminal, has an IP, and (unless `includeTerminating`) not being
 * deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (podIPsOf(pod).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** ShouldSetHostname: the pod names a hostname and its subdomain is this Service, in its namespace. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/**
 * FindPort: a numeric targetPort as it is; a named one is the container port of that name and
 * the Service port's protocol in any of the pod's containers; undefined when none has it.
 * targetPort defaults to the port.
 */
export function findPort(pod: Pod, sp: ServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  const protocol = sp.protocol ?? 'TCP';
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}
