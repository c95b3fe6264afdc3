// The JSON Schemas of core/v1 Service and Endpoints and discovery.k8s.io/v1 EndpointSlice, with
// Kubernetes' patch keys: a Service's ports merge by `port` (its patchMergeKey), its status
// conditions by `type`; Endpoints' subsets and a slice's lists are atomic (replaced whole).
import type { JsonSchema } from './json-schema.js';
import { arr, bool, int32, intOrString, keyedArr, obj, str, strMap } from './json-schema.js';
import { envelope } from './meta.js';
import { objectReferenceSchema } from './pod.js';
import { conditionSchema } from './workload.js';

const CORE = 'io.k8s.api.core.v1';
const DISCOVERY = 'io.k8s.api.discovery.v1';

const servicePortSchema = obj(
  `${CORE}.ServicePort`,
  {
    name: str('The name of this port within the service. This must be a DNS_LABEL. All ports within a ServiceSpec must have unique names.'),
    protocol: str('The IP protocol for this port. Supports "TCP", "UDP", and "SCTP". Default is TCP.'),
    appProtocol: str('The application protocol for this port.'),
    port: int32('The port that will be exposed by this service.'),
    targetPort: intOrString('Number or name of the port to access on the pods targeted by the service. Defaults to the service port.'),
    nodePort: int32('The port on each node on which this service is exposed when type is NodePort or LoadBalancer. Usually assigned by the system.'),
  },
  { required: ['port'] },
);

const portStatusSchema = obj(`${CORE}.PortStatus`, { port: int32(), protocol: str(), error: str() }, { required: ['port', 'protocol'] });

export const serviceSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Service' },
  'Service is a named abstraction of software service (for example, mysql) consisting of local port (for example 3306) that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.',
  {
    spec: obj(`${CORE}.ServiceSpec`, {
      ports: keyedArr(servicePortSchema, 'port', 'The list of ports that are exposed by this service.'),
      selector: strMap('Route service traffic to pods with label keys and values matching this selector.'),
      clusterIP: str('The IP address of the service, usually assigned randomly; "None" makes a headless service.'),
      clusterIPs: arr(str(), 'IP addresses assigned to this service; clusterIPs[0] is clusterIP.'),
      type: str('How the Service is exposed: ClusterIP (default), NodePort, LoadBalancer or ExternalName.'),
      externalIPs: arr(str(), 'IP addresses for which nodes in the cluster will also accept traffic for this service.'),
      sessionAffinity: str('"ClientIP" or "None" (default): whether client IP based session affinity is kept.'),
      loadBalancerIP: str('Deprecated: the load balancer IP to ask for.'),
      loadBalancerSourceRanges: arr(str(), 'Client IP ranges a cloud load balancer lets through.'),
      externalName: str('The external reference discovery mechanisms will return as an alias for this service (a CNAME record). Requires type ExternalName.'),
      externalTrafficPolicy: str('How nodes distribute service traffic they receive on externally-facing addresses: "Cluster" or "Local".'),
      healthCheckNodePort: int32('The healthcheck nodePort for the service, for type LoadBalancer with externalTrafficPolicy Local.'),
      publishNotReadyAddresses: bool('Whether endpoints of this Service are published whether or not their pods are ready.'),
      sessionAffinityConfig: obj(`${CORE}.SessionAffinityConfig`, {
        clientIP: obj(`${CORE}.ClientIPConfig`, {
          timeoutSeconds: int32('The seconds of ClientIP type session sticky time, 0 < value <= 86400. Default is 10800.'),
        }),
      }),
      ipFamilies: arr(str(), 'The IP families (IPv4, IPv6) assigned to this service.'),
      ipFamilyPolicy: str('SingleStack, PreferDualStack or RequireDualStack.'),
      allocateLoadBalancerNodePorts: bool('Whether NodePorts are allocated for a Service of type LoadBalancer. Default is true.'),
      loadBalancerClass: str('The class of the load balancer implementation this Service belongs to.'),
      internalTrafficPolicy: str('How nodes distribute service traffic they receive on the ClusterIP: "Cluster" or "Local".'),
      trafficDistribution: str('How traffic is distributed to the Service\'s endpoints.'),
    }),
    status: obj(`${CORE}.ServiceStatus`, {
      loadBalancer: obj(`${CORE}.LoadBalancerStatus`, {
        ingress: arr(
          obj(`${CORE}.LoadBalancerIngress`, { ip: str(), hostname: str(), ipMode: str(), ports: arr(portStatusSchema) }),
          'A list containing ingress points for the load-balancer.',
        ),
      }),
      conditions: keyedArr(conditionSchema('io.k8s.apimachinery.pkg.apis.meta.v1.Condition', { observedGeneration: { type: 'integer', format: 'int64' } }), 'type', 'Current service state.'),
    }),
  },
);

const endpointAddressSchema = obj(
  `${CORE}.EndpointAddress`,
  { ip: str('The IP of this endpoint.'), hostname: str('The Hostname of this endpoint.'), nodeName: str('Node hosting this endpoint.'), targetRef: objectReferenceSchema },
  { required: ['ip'] },
);

export const endpointsSchema: JsonSchema = envelope(
  { group: '', version: 'v1', kind: 'Endpoints' },
  'Endpoints is a collection of endpoints that implement the actual service.',
  {
    subsets: arr(
      obj(`${CORE}.EndpointSubset`, {
        addresses: arr(endpointAddressSchema, 'IP addresses which offer the related ports that are marked as ready.'),
        notReadyAddresses: arr(endpointAddressSchema, 'IP addresses which offer the related ports but are not currently marked as ready.'),
        ports: arr(obj(`${CORE}.EndpointPort`, { name: str(), port: int32(), protocol: str(), appProtocol: str() }, { required: ['port'] }), 'Port numbers available on the related IP addresses.'),
      }),
      'The set of all endpoints is the union of all subsets.',
    ),
  },
);

export const endpointSliceSchema: JsonSchema = envelope(
  { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
  'EndpointSlice represents a subset of the endpoints that implement a service.',
  {
    addressType: str('The type of address carried by this EndpointSlice: IPv4, IPv6 or FQDN.'),
    endpoints: arr(
      obj(
        `${DISCOVERY}.Endpoint`,
        {
          addresses: arr(str(), 'Addresses of this endpoint, interpreted according to the addressType.'),
          conditions: obj(`${DISCOVERY}.EndpointConditions`, {
            ready: bool('Whether this endpoint is ready to receive traffic.'),
            serving: bool('Whether this endpoint is serving, regardless of its terminating state.'),
            terminating: bool('Whether this endpoint is terminating.'),
          }),
          hostname: str('Hostname of this endpoint.'),
          targetRef: objectReferenceSchema,
          deprecatedTopology: strMap('Deprecated topology information.'),
          nodeName: str('The name of the Node hosting this endpoint.'),
          zone: str('The name of the Zone this endpoint exists in.'),
          hints: obj(`${DISCOVERY}.EndpointHints`, { forZones: arr(obj(`${DISCOVERY}.ForZone`, { name: str() }, { required: ['name'] })) }),
        },
        { required: ['addresses'] },
      ),
      'A list of unique endpoints in this slice (at most 1000).',
    ),
    ports: arr(obj(`${DISCOVERY}.EndpointPort`, { name: str(), protocol: str(), port: int32(), appProtocol: str() }), 'The network ports exposed by each endpoint in this slice.'),
  },
  ['addressType'],
);
