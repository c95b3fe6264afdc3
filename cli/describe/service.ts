// `describe service` in kubectl's layout (describe.go's describeService): the spec line by line,
// then per port its target, node port and endpoints, which come from the Service's
// EndpointSlices (label kubernetes.io/service-name) as kubectl 1.33 reads them: the ready
// endpoints' addresses on the slice port of the same name.
import { listWithMore } from '../../api/kinds/endpointslice.js';
import type { Event } from '../../api/types/core.js';
import type { EndpointSlice, Service, ServicePort } from '../../api/types/service.js';
import type { Clock } from '../printers/age.js';
import { formatLabels } from '../printers/output.js';
import { annotationLines, describeEvents, labelLines, multiline } from './common.js';
import { DescribeWriter } from './tabwriter.js';

const hostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** The ready endpoints behind one Service port: the first three "ip:port", then "+ N more..."; "<none>" when there are none. */
export function endpointsForPort(slices: EndpointSlice[], sp: ServicePort): string {
  const list: string[] = [];
  for (const slice of slices) {
    for (const port of slice.ports ?? []) {
      if ((port.name ?? '') !== (sp.name ?? '') || port.port === undefined) continue;
      for (const ep of slice.endpoints ?? []) {
        if (ep.conditions?.ready === false || !ep.addresses?.[0]) continue;
        list.push(hostPort(ep.addresses[0], port.port));
      }
    }
  }
  return list.length ? listWithMore(list) : '<none>';
}

export function describeService(svc: Service, slices: EndpointSlice[], events: Event[] | undefined, clock?: Clock): string {
  const w = new DescribeWriter();
  const spec = svc.spec ?? {};
  w.line(0, `Name:\t${svc.metadata.name ?? ''}`);
  w.line(0, `Namespace:\t${svc.metadata.namespace ?? ''}`);
  multiline(w, 0, 'Labels', labelLines(svc.metadata.labels));
  multiline(w, 0, 'Annotations', annotationLines(svc.metadata.annotations));
  w.line(0, `Selector:\t${formatLabels(spec.selector)}`);
  w.line(0, `Type:\t${spec.type ?? ''}`);
  if (spec.ipFamilyPolicy) w.line(0, `IP Family Policy:\t${spec.ipFamilyPolicy}`);
  w.line(0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}`);
  w.line(0, `IP:\t${spec.clusterIP ?? ''}`);
  w.line(0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}`);
  if (spec.externalIPs?.length) w.line(0, `External IPs:\t${spec.externalIPs.join(',')}`);
  if (spec.loadBalancerIP) w.line(0, `Desired LoadBalancer IP:\t${spec.loadBalancerIP}`);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  // kubectl's buildIngressString: an IP with its ipMode, else the hostname.
  if (ingress.length) w.line(0, `LoadBalancer Ingress:\t${ingress.map((i) => (i.ip ? `${i.ip}${i.ipMode ? ` (${i.ipMode})` : ''}` : (i.hostname ?? ''))).join(', ')}`);
  if (spec.type === 'ExternalName') w.line(0, `External Name:\t${spec.externalName ?? ''}`);
  for (const sp of spec.ports ?? []) {
    const name = sp.name || '<unset>';
    const protocol = sp.protocol ?? 'TCP';
    w.line(0, `Port:\t${name}\t${sp.port}/${protocol}`);
    w.line(0, `TargetPort:\t${sp.targetPort ?? 0}/${protocol}`);
    if (sp.nodePort) w.line(0, `NodePort:\t${name}\t${sp.nodePort}/${protocol}`);
    w.line(0, `Endpoints:\t${endpointsForPort(slices, sp)}`);
  }
  w.line(0, `Session Affinity:\t${spec.sessionAffinity ?? ''}`);
  if (spec.externalTrafficPolicy) w.line(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}`);
  if (spec.internalTrafficPolicy) w.line(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}`);
  if (spec.healthCheckNodePort) w.line(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}`);
  if (spec.loadBalancerSourceRanges?.length) w.line(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}`);
  describeEvents(w, events, clock);
  return w.toString();
}
