// The protobuf messages (k8s.io/api core/v1 generated.proto field numbers) of the Service that
// kubectl 1.33's `create service clusterip|nodeport|loadbalancer|externalname` posts as
// protobuf. Go writes every non-pointer field, zero values too; anything else is refused as
// unknown, as in protobuf-body.ts.
import type { Message } from './protobuf-body.js';
import { msg } from './protobuf-workloads.js';

const SERVICE_PORT = msg('ServicePort', { 1: ['name', 'string'], 2: ['protocol', 'string'], 3: ['port', 'int'], 4: ['targetPort', 'int-or-string'], 5: ['nodePort', 'int'], 6: ['appProtocol', 'string'] });

const SERVICE_SPEC = msg('ServiceSpec', {
  1: ['ports', { list: SERVICE_PORT }],
  2: ['selector', 'map-string'],
  3: ['clusterIP', 'string'],
  4: ['type', 'string'],
  5: ['externalIPs', 'strings'],
  7: ['sessionAffinity', 'string'],
  8: ['loadBalancerIP', 'string'],
  9: ['loadBalancerSourceRanges', 'strings'],
  10: ['externalName', 'string'],
  11: ['externalTrafficPolicy', 'string'],
  12: ['healthCheckNodePort', 'int'],
  13: ['publishNotReadyAddresses', 'flag'],
  14: ['sessionAffinityConfig', msg('SessionAffinityConfig', { 1: ['clientIP', msg('ClientIPConfig', { 1: ['timeoutSeconds', 'int?'] })] })],
  17: ['ipFamilyPolicy', 'string'],
  18: ['clusterIPs', 'strings'],
  19: ['ipFamilies', 'strings'],
  20: ['allocateLoadBalancerNodePorts', 'bool'],
  21: ['loadBalancerClass', 'string'],
  22: ['internalTrafficPolicy', 'string'],
});

// kubectl writes an empty status (a LoadBalancerStatus with no ingress); a create resets status anyway.
const SERVICE_STATUS = msg('ServiceStatus', { 1: ['loadBalancer', msg('LoadBalancerStatus', {})] });

export function serviceMessages(objectMeta: Message): Record<string, Message> {
  return { 'v1/Service': msg('Service', { 1: ['metadata', objectMeta], 2: ['spec', SERVICE_SPEC], 3: ['status', SERVICE_STATUS] }) };
}
