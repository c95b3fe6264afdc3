// core/v1 Service and Endpoints, discovery.k8s.io/v1 EndpointSlice: a stable name and virtual
// address for a set of pods, and the addresses behind it. Kubernetes' field names and meanings;
// the API server allocates clusterIP(s) and nodePorts, the EndpointSlice controller writes the
// slices (and the Endpoints mirror), each node's proxy and the cluster DNS read both.
import type { IntOrString, ObjectReference } from './core.js';
import type { Condition } from './policy.js';
import type { KubeObject, ObjectMeta } from './meta.js';

export type ServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type TrafficPolicy = 'Cluster' | 'Local';
export type IPFamily = 'IPv4' | 'IPv6';

export interface ServicePort {
  /** Required (DNS label) when a Service has more than one port. */
  name?: string;
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
  /** A number, or the name of a container port of each selected pod; defaults to `port`. */
  targetPort?: IntOrString;
  /** Allocated from the node port range for NodePort and LoadBalancer Services. */
  nodePort?: number;
}

export interface SessionAffinityConfig {
  clientIP?: { timeoutSeconds?: number };
}

export interface ServiceSpec {
  type?: ServiceType;
  /** Selects the pods; a Service without one has its EndpointSlices written by someone else. */
  selector?: Record<string, string>;
  ports?: ServicePort[];
  /** Allocated from `--service-cluster-ip-range` unless given; `None` makes a headless Service. */
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: IPFamily[];
  ipFamilyPolicy?: 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
  externalName?: string;
  externalIPs?: string[];
  sessionAffinity?: 'None' | 'ClientIP';
  sessionAffinityConfig?: SessionAffinityConfig;
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  publishNotReadyAddresses?: boolean;
  healthCheckNodePort?: number;
  allocateLoadBalancerNodePorts?: boolean;
  loadBalancerIP?: string;
  loadBalancerClass?: string;
  loadBalancerSourceRanges?: string[];
}

export interface PortStatus {
  port: number;
  protocol: Protocol;
  error?: string;
}

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: 'VIP' | 'Proxy';
  ports?: PortStatus[];
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: LoadBalancerIngress[] };
  conditions?: Condition[];
}

export interface Service extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Service';
  metadata: ObjectMeta;
  spec: ServiceSpec;
  status?: ServiceStatus;
}

// core/v1 Endpoints: the older one-object-per-Service view, mirrored from the slices for
// `kubectl describe svc` and clients that still read it.
export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol?: Protocol;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface Endpoints extends KubeObject {
  apiVersion?: 'v1';
  kind?: 'Endpoints';
  metadata: ObjectMeta;
  subsets?: EndpointSubset[];
}

// discovery.k8s.io/v1 EndpointSlice: at most 100 endpoints of one address type and one set of
// ports, labelled `kubernetes.io/service-name` and `endpointslice.kubernetes.io/managed-by`.
export interface EndpointConditions {
  /** Serving and not terminating (serving ignores terminating). */
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface ForZone {
  name: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  targetRef?: ObjectReference;
  nodeName?: string;
  zone?: string;
  hints?: { forZones?: ForZone[] };
}

export interface EndpointSlicePort {
  name?: string;
  protocol?: Protocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  apiVersion?: 'discovery.k8s.io/v1';
  kind?: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: Endpoint[];
  ports?: EndpointSlicePort[];
}
