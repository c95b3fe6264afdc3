// discovery.k8s.io/v1 EndpointSlice: up to 1000 endpoints (the controller writes 100) of one
// address type behind a Service, labelled kubernetes.io/service-name; what proxies and DNS read.
import { endpointSliceSchema } from '../schemas/service.js';
import type { EndpointSlice } from '../types/service.js';
import { validateEndpointSlice, validateEndpointSliceUpdate } from '../validation/endpoints.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

/** SetDefaults_EndpointPort: a port's name is "" and its protocol TCP. */
function defaultEndpointSlice(slice: EndpointSlice): void {
  for (const port of Array.isArray(slice.ports) ? slice.ports : []) {
    if (!port || typeof port !== 'object') continue;
    port.name ??= '';
    port.protocol ||= 'TCP';
  }
}

/** kubectl's listWithMoreString: the first three, "+ N more...", or <unset>. */
export function listWithMore(items: string[]): string {
  const max = 3;
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length ? items.join(',') : '<unset>';
}

export const endpointSliceKind = defineKind<EndpointSlice>({
  resource: resourceRow({ group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice', plural: 'endpointslices', namespaced: true }),
  schema: endpointSliceSchema,
  nameRule: 'subdomain',
  defaults: defaultEndpointSlice,
  validate: validateEndpointSlice,
  validateUpdate: validateEndpointSliceUpdate,
  columns: [
    nameColumn,
    { name: 'AddressType', type: 'string', priority: 0, description: 'addressType specifies the type of address carried by this EndpointSlice.', cell: (s) => s.addressType ?? '' },
    { name: 'Ports', type: 'string', priority: 0, description: 'ports specifies the list of network ports exposed by each endpoint in this slice.', cell: (s) => listWithMore((s.ports ?? []).map((p) => (p.port !== undefined ? String(p.port) : p.name || '*'))) },
    { name: 'Endpoints', type: 'string', priority: 0, description: 'endpoints is a list of unique endpoints in this slice.', cell: (s) => listWithMore((s.endpoints ?? []).flatMap((e) => e.addresses ?? [])) },
    ageColumn,
  ],
});
