// core/v1 Service validation (Kubernetes' ValidateService, ValidateServiceUpdate and
// ValidateServiceStatusUpdate): ports, types and what each type allows, cluster IPs, session
// affinity, traffic policies, the selector; field paths and messages as kube-apiserver's.
// Whether a cluster IP or node port is free, and in range, is the allocator's (apiserver/).
import { isIP } from 'node:net';
import { dns1123LabelErrors, dns1123SubdomainErrors, qualifiedNameErrors } from '../names.js';
import type { Service, ServicePort, ServiceType } from '../types/service.js';
import type { StatusCause } from '../types/meta.js';
import { validatePortNumber, validatePortNumOrName } from './container.js';
import { validateProtocol } from './endpoints.js';
import { FieldPath, duplicate, forbidden, invalid, notSupported, required } from './field.js';
import { validateLabels } from './meta.js';

export const SERVICE_TYPES: readonly ServiceType[] = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
/** Kubernetes' MaxClientIPServiceAffinitySeconds. */
export const MAX_CLIENT_IP_AFFINITY_SECONDS = 86400;
export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

export const isHeadless = (svc: Service): boolean => svc.spec?.clusterIP === 'None';
/** Types whose ports get node ports. */
export const usesNodePorts = (type: string | undefined): boolean => type === 'NodePort' || type === 'LoadBalancer';
/** ExternallyAccessible: reached from outside through node ports, a load balancer or external IPs. */
export const externallyAccessible = (svc: Service): boolean =>
  usesNodePorts(svc.spec?.type) || (svc.spec?.type === 'ClusterIP' && (svc.spec.externalIPs?.length ?? 0) > 0);

function validatePort(sp: ServicePort, requireName: boolean, names: Set<string>, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  if (requireName && !sp.name) causes.push(required(path.child('name')));
  else if (sp.name) {
    for (const msg of dns1123LabelErrors(sp.name)) causes.push(invalid(path.child('name'), sp.name, msg));
    if (names.has(sp.name)) causes.push(duplicate(path.child('name'), sp.name));
    names.add(sp.name);
  }
  causes.push(...validatePortNumber(sp.port, path.child('port')), ...validateProtocol(sp.protocol, path.child('protocol')));
  if (sp.targetPort !== undefined) causes.push(...validatePortNumOrName(sp.targetPort, path.child('targetPort')));
  if (sp.appProtocol) for (const msg of qualifiedNameErrors(sp.appProtocol)) causes.push(invalid(path.child('appProtocol'), sp.appProtocol, msg));
  return causes;
}

function validatePorts(svc: Service, spec: FieldPath): StatusCause[] {
  const s = svc.spec;
  const ports = s.ports ?? [];
  const causes: StatusCause[] = [];
  if (ports.length === 0 && !isHeadless(svc) && s.type !== 'ExternalName') causes.push(required(spec.child('ports')));
  const names = new Set<string>();
  const seen = new Set<string>();
  const nodePorts = new Set<string>();
  ports.forEach((sp, i) => {
    const p = spec.child('ports').index(i);
    causes.push(...validatePort(sp, ports.length > 1, names, p));
    const key = `${sp.port}/${sp.protocol}`;
    if (seen.has(key)) causes.push(duplicate(p, key));
    seen.add(key);
    if (!sp.nodePort) return;
    if (s.type === 'ClusterIP' || s.type === 'ExternalName') causes.push(forbidden(p.child('nodePort'), `may not be used when \`type\` is '${s.type}'`));
    const nodeKey = `${sp.nodePort}/${sp.protocol}`;
    if (nodePorts.has(nodeKey)) causes.push(duplicate(p.child('nodePort'), sp.nodePort));
    nodePorts.add(nodeKey);
  });
  return causes;
}

/** The cluster IPs as the type allows them: none for ExternalName, "None" only alone and not for node ports, else IPs. */
function validateClusterIPs(svc: Service, spec: FieldPath): StatusCause[] {
  const s = svc.spec;
  const ips = s.clusterIPs ?? [];
  const path = spec.child('clusterIPs');
  const causes: StatusCause[] = [];
  if (s.type === 'ExternalName') {
    if (ips.length > 0 || s.clusterIP) causes.push(forbidden(path, 'may not be set for ExternalName services'));
    if (s.ipFamilies?.length) causes.push(forbidden(spec.child('ipFamilies'), 'may not be set for ExternalName services'));
    if (s.ipFamilyPolicy) causes.push(forbidden(spec.child('ipFamilyPolicy'), 'may not be set for ExternalName services'));
    const cname = (s.externalName ?? '').replace(/\.$/, '');
    if (!cname) causes.push(required(spec.child('externalName')));
    else for (const msg of dns1123SubdomainErrors(cname)) causes.push(invalid(spec.child('externalName'), cname, msg));
    return causes;
  }
  if (ips.length > 0 && s.clusterIP !== ips[0]) causes.push(invalid(path, undefined, 'first value must match `clusterIP`'));
  if (ips.includes('None') && ips.length > 1) causes.push(invalid(path, undefined, "'None' must be the first and only value"));
  ips.forEach((ip, i) => {
    if (ip === 'None') {
      if (usesNodePorts(s.type)) causes.push(invalid(path.index(i), ip, `may not be set to 'None' for ${s.type} services`));
    } else if (!isIP(ip)) causes.push(invalid(path.index(i), ip, "must be empty, 'None', or a valid IP address"));
  });
  if (ips.length > 2) causes.push(invalid(path, undefined, 'may only hold up to 2 values'));
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) causes.push(notSupported(spec.child('ipFamilies').index(i), f, IP_FAMILIES));
  });
  if (s.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(s.ipFamilyPolicy)) causes.push(notSupported(spec.child('ipFamilyPolicy'), s.ipFamilyPolicy, IP_FAMILY_POLICIES));
  return causes;
}

function validateAffinity(s: Service['spec'], spec: FieldPath): StatusCause[] {
  const path = spec.child('sessionAffinity');
  if (!s.sessionAffinity) return [required(path)];
  if (!AFFINITIES.includes(s.sessionAffinity)) return [notSupported(path, s.sessionAffinity, AFFINITIES)];
  const config = spec.child('sessionAffinityConfig');
  if (s.sessionAffinity === 'None') return s.sessionAffinityConfig ? [forbidden(config, 'must not be set when session affinity is None')] : [];
  const timeout = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  const tp = config.child('clientIP', 'timeoutSeconds');
  if (timeout === undefined) return [required(tp)];
  if (!(timeout > 0 && timeout <= MAX_CLIENT_IP_AFFINITY_SECONDS)) return [invalid(tp, timeout, `must be greater than 0 and less than ${MAX_CLIENT_IP_AFFINITY_SECONDS}`)];
  return [];
}

function validateTrafficPolicies(svc: Service, spec: FieldPath): StatusCause[] {
  const s = svc.spec;
  const causes: StatusCause[] = [];
  const etp = spec.child('externalTrafficPolicy');
  if (externallyAccessible(svc)) {
    if (!s.externalTrafficPolicy) causes.push(required(etp));
    else if (!TRAFFIC_POLICIES.includes(s.externalTrafficPolicy)) causes.push(notSupported(etp, s.externalTrafficPolicy, TRAFFIC_POLICIES));
  } else if (s.externalTrafficPolicy) causes.push(invalid(etp, s.externalTrafficPolicy, 'may only be set for externally-accessible services'));
  const localLb = s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local';
  if (!localLb && s.healthCheckNodePort) {
    causes.push(invalid(spec.child('healthCheckNodePort'), s.healthCheckNodePort, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  }
  const itp = spec.child('internalTrafficPolicy');
  if (s.type !== 'ExternalName') {
    if (!s.internalTrafficPolicy) causes.push(required(itp));
    else if (!TRAFFIC_POLICIES.includes(s.internalTrafficPolicy)) causes.push(notSupported(itp, s.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  return causes;
}

function validateLoadBalancerFields(s: Service['spec'], spec: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  const lb = s.type === 'LoadBalancer';
  if (lb && s.allocateLoadBalancerNodePorts === undefined) causes.push(required(spec.child('allocateLoadBalancerNodePorts')));
  for (const f of ['allocateLoadBalancerNodePorts', 'loadBalancerClass', 'loadBalancerSourceRanges'] as const) {
    if (!lb && s[f] !== undefined) causes.push(forbidden(spec.child(f), "may only be used when `type` is 'LoadBalancer'"));
  }
  return causes;
}

/** ValidateService. */
export function validateService(svc: Service): StatusCause[] {
  const spec = FieldPath.root('spec');
  const s = svc.spec;
  if (typeof s !== 'object' || s === null) return [required(spec)];
  const causes: StatusCause[] = [];
  if (!s.type) causes.push(required(spec.child('type')));
  else if (!SERVICE_TYPES.includes(s.type)) causes.push(notSupported(spec.child('type'), s.type, SERVICE_TYPES));
  causes.push(...validatePorts(svc, spec), ...validateClusterIPs(svc, spec), ...validateAffinity(s, spec), ...validateTrafficPolicies(svc, spec), ...validateLoadBalancerFields(s, spec));
  causes.push(...validateLabels(s.selector, spec.child('selector')));
  (s.externalIPs ?? []).forEach((ip, i) => {
    if (!isIP(ip)) causes.push(invalid(spec.child('externalIPs').index(i), ip, 'must be a valid IP address'));
  });
  return causes.concat(validateServiceStatus(svc));
}

/** ValidateServiceStatusUpdate: load balancer ingress points are IPs or hostnames. */
export function validateServiceStatus(svc: Service): StatusCause[] {
  const causes: StatusCause[] = [];
  (svc.status?.loadBalancer?.ingress ?? []).forEach((ing, i) => {
    const p = FieldPath.root('status').child('loadBalancer', 'ingress').index(i);
    if (ing.ip && !isIP(ing.ip)) causes.push(invalid(p.child('ip'), ing.ip, 'must be a valid IP address'));
    if (ing.hostname) {
      for (const msg of dns1123SubdomainErrors(ing.hostname)) causes.push(invalid(p.child('hostname'), ing.hostname, msg));
      if (isIP(ing.hostname)) causes.push(invalid(p.child('hostname'), ing.hostname, 'must be a DNS name, not an IP address'));
    }
  });
  return causes;
}

/** ValidateServiceUpdate: an allocated cluster IP stays, unless the Service is or becomes ExternalName. */
export function validateServiceUpdate(svc: Service, old: Service): StatusCause[] {
  if (svc.spec?.type === 'ExternalName' || old.spec?.type === 'ExternalName' || !old.spec?.clusterIP) return [];
  if (svc.spec?.clusterIP === old.spec.clusterIP) return [];
  return [invalid(FieldPath.root('spec').child('clusterIPs').index(0), svc.spec?.clusterIP ?? '', 'may not change once set')];
}
