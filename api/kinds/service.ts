// core/v1 Service: a stable name and virtual address for a set of pods. The API server
// allocates its cluster IPs and node ports (apiserver/service-allocation.ts); what is declared
// here is the kind: schema, defaults (SetDefaults_Service), validation, what an update keeps
// of the allocated values (patchAllocatedValues, dropTypeDependentFields) and kubectl's columns.
import { isDeepStrictEqual } from 'node:util';
import { serviceSchema } from '../schemas/service.js';
import type { Service, ServiceSpec } from '../types/service.js';
import { DEFAULT_CLIENT_IP_AFFINITY_SECONDS, externallyAccessible, usesNodePorts, validateService, validateServiceStatus, validateServiceUpdate } from '../validation/service.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';
import { formatLabels } from './workload-columns.js';

/** SetDefaults_Service, and the strategy's normalizeClusterIPs (clusterIP is clusterIPs[0]). */
export function defaultService(svc: Service): void {
  const spec = svc.spec;
  if (typeof spec !== 'object' || spec === null) return;
  spec.type ||= 'ClusterIP';
  spec.sessionAffinity ||= 'None';
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  else if (spec.sessionAffinity === 'ClientIP') {
    const clientIP = ((spec.sessionAffinityConfig ??= {}).clientIP ??= {});
    clientIP.timeoutSeconds ??= DEFAULT_CLIENT_IP_AFFINITY_SECONDS;
  }
  for (const port of Array.isArray(spec.ports) ? spec.ports : []) {
    if (typeof port !== 'object' || port === null) continue;
    port.protocol ||= 'TCP';
    if (port.targetPort === undefined || port.targetPort === 0 || port.targetPort === '') port.targetPort = port.port;
  }
  if (externallyAccessible(svc)) spec.externalTrafficPolicy ||= 'Cluster';
  if (spec.type === 'LoadBalancer') spec.allocateLoadBalancerNodePorts ??= true;
  if (spec.type === 'ExternalName') return;
  spec.internalTrafficPolicy ||= 'Cluster';
  if (spec.clusterIP && !spec.clusterIPs?.length) spec.clusterIPs = [spec.clusterIP];
  else if (!spec.clusterIP && spec.clusterIPs?.length) spec.clusterIP = spec.clusterIPs[0];
  spec.ipFamilyPolicy ||= 'SingleStack';
  if (!spec.ipFamilies?.length) spec.ipFamilies = ['IPv4'];
}

/**
 * What an update keeps and drops of the allocated values: a body without clusterIP or a port's
 * nodePort (kubectl apply of the original manifest) keeps the ones allocated, the node ports
 * matched by port name; a type that no longer has them drops what the client left unchanged.
 */
export function prepareServiceUpdate(svc: Service, old: Service): void {
  const s = svc.spec;
  const o = old.spec;
  if (typeof s !== 'object' || s === null || typeof o !== 'object' || o === null) return;
  keepAllocated(s, o);
  dropTypeDependent(s, o);
}

function keepAllocated(s: ServiceSpec, o: ServiceSpec): void {
  const hadIP = (o.type ?? 'ClusterIP') !== 'ExternalName' && Boolean(o.clusterIP);
  if (hadIP && (s.type ?? 'ClusterIP') !== 'ExternalName' && !s.clusterIP && !s.clusterIPs?.length) {
    s.clusterIP = o.clusterIP;
    if (o.clusterIPs) s.clusterIPs = [...o.clusterIPs];
    s.ipFamilies ??= o.ipFamilies && [...o.ipFamilies];
    s.ipFamilyPolicy ??= o.ipFamilyPolicy;
  }
  if (!usesNodePorts(o.type) || !usesNodePorts(s.type) || !Array.isArray(s.ports)) return;
  const used = new Set(s.ports.map((p) => p?.nodePort).filter((n): n is number => Boolean(n)));
  const byName = new Map((o.ports ?? []).map((p) => [p.name ?? '', p]));
  for (const port of s.ports) {
    if (typeof port !== 'object' || port === null || port.nodePort) continue;
    const before = byName.get(port.name ?? '');
    if (before?.nodePort && !used.has(before.nodePort)) {
      port.nodePort = before.nodePort;
      used.add(before.nodePort);
    }
  }
  if (!s.healthCheckNodePort && o.healthCheckNodePort && s.type === 'LoadBalancer' && s.externalTrafficPolicy === o.externalTrafficPolicy) s.healthCheckNodePort = o.healthCheckNodePort;
}

function dropTypeDependent(s: ServiceSpec, o: ServiceSpec): void {
  if (s.type === 'ExternalName' && o.type !== 'ExternalName') {
    if (isDeepStrictEqual(s.clusterIPs, o.clusterIPs) || (!s.clusterIPs && s.clusterIP === o.clusterIP)) {
      delete s.clusterIP;
      delete s.clusterIPs;
    }
    if (isDeepStrictEqual(s.ipFamilies, o.ipFamilies)) delete s.ipFamilies;
    if (s.ipFamilyPolicy === o.ipFamilyPolicy) delete s.ipFamilyPolicy;
  }
  if (!usesNodePorts(s.type) && usesNodePorts(o.type) && Array.isArray(s.ports)) {
    const oldPorts = new Set((o.ports ?? []).map((p) => p.nodePort));
    for (const port of s.ports) if (port && oldPorts.has(port.nodePort)) delete port.nodePort;
  }
  if (s.type !== 'LoadBalancer' && o.type === 'LoadBalancer') {
    if (s.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) delete s.allocateLoadBalancerNodePorts;
    if (s.loadBalancerClass === o.loadBalancerClass) delete s.loadBalancerClass;
    if (s.healthCheckNodePort === o.healthCheckNodePort) delete s.healthCheckNodePort;
  }
  if (!externallyAccessible({ spec: s } as Service) && externallyAccessible({ spec: o } as Service) && s.externalTrafficPolicy === o.externalTrafficPolicy) delete s.externalTrafficPolicy;
}

/**
 * kubectl's getServiceExternalIP: the external IPs, the load balancer's ingress, or what the type means.
 * The API server's Table prints it wide, as Kubernetes' TableConvertor does (`Wide: true`): the
 * 16-character cut is client-side printing's only.
 */
function externalIP(svc: Service, wide: boolean): string {
  const external = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      let lb = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip || i.hostname || '').filter(Boolean).join(',');
      if (!wide && lb.length > 16) lb = `${lb.slice(0, 13)}...`;
      if (external.length) return [...(lb ? lb.split(',') : []), ...external].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec.externalName ?? '';
    default:
      return '<unknown>';
  }
}

/** kubectl's makePortString: 80/TCP, or 80:30080/TCP with a node port. */
function portString(svc: Service): string {
  const ports = (svc.spec?.ports ?? []).map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol}` : `${p.port}/${p.protocol}`));
  return ports.length ? ports.join(',') : '<none>';
}

export const serviceKind = defineKind<Service>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'Service', plural: 'services', namespaced: true, shortNames: ['svc'], subresources: ['status'], categories: ['all'] }),
  schema: serviceSchema,
  nameRule: 'dns1035',
  defaults: defaultService,
  validate: validateService,
  validateStatus: validateServiceStatus,
  validateUpdate: validateServiceUpdate,
  strategy: {
    prepareForCreate: (svc) => {
      svc.status = {};
    },
    prepareForUpdate: (svc, old, subresource) => {
      if (subresource === undefined) prepareServiceUpdate(svc, old);
    },
  },
  selectableFields: (svc) => ({ 'spec.clusterIP': svc.spec?.clusterIP ?? '', 'spec.type': svc.spec?.type ?? '' }),
  columns: [
    nameColumn,
    { name: 'Type', type: 'string', priority: 0, description: 'type determines how the Service is exposed. Defaults to ClusterIP.', cell: (s) => s.spec?.type ?? '' },
    { name: 'Cluster-IP', type: 'string', priority: 0, description: 'clusterIP is the IP address of the service and is usually assigned randomly.', cell: (s) => s.spec?.clusterIPs?.[0] || '<none>' },
    { name: 'External-IP', type: 'string', priority: 0, description: 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.', cell: (s) => externalIP(s, true) },
    { name: 'Port(s)', type: 'string', priority: 0, description: 'The list of ports that are exposed by this service.', cell: portString },
    ageColumn,
    { name: 'Selector', type: 'string', priority: 1, description: 'Route service traffic to pods with label keys and values matching this selector.', cell: (s) => formatLabels(s.spec?.selector) },
  ],
});
