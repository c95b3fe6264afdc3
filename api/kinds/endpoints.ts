// core/v1 Endpoints: the addresses behind a Service in one object, the older view that
// `kubectl describe svc` and older clients read (the Endpoints controller mirrors the slices).
import { endpointsSchema } from '../schemas/service.js';
import type { Endpoints } from '../types/service.js';
import { validateEndpoints } from '../validation/endpoints.js';
import { ageColumn, defineKind, nameColumn, resourceRow } from './kind.js';

/** SetDefaults_Endpoints: a port's protocol is TCP. */
function defaultEndpoints(ep: Endpoints): void {
  for (const ss of Array.isArray(ep.subsets) ? ep.subsets : []) {
    for (const port of Array.isArray(ss?.ports) ? ss.ports : []) if (port && typeof port === 'object') port.protocol ||= 'TCP';
  }
}

/** kubectl's formatEndpoints: the first three ip:port (or bare IPs without ports), then "+ N more...". */
export function formatEndpoints(ep: Endpoints): string {
  if (!ep.subsets?.length) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  const add = (s: string) => {
    count++;
    if (list.length < max) list.push(s);
  };
  for (const ss of ep.subsets) {
    const addresses = ss.addresses ?? [];
    if (!ss.ports?.length) for (const a of addresses) add(a.ip);
    else for (const p of ss.ports) for (const a of addresses) add(a.ip.includes(':') ? `[${a.ip}]:${p.port}` : `${a.ip}:${p.port}`);
  }
  return count > max ? `${list.join(',')} + ${count - max} more...` : list.join(',');
}

export const endpointsKind = defineKind<Endpoints>({
  resource: resourceRow({ group: '', version: 'v1', kind: 'Endpoints', plural: 'endpoints', namespaced: true, shortNames: ['ep'] }),
  schema: endpointsSchema,
  nameRule: 'subdomain',
  defaults: defaultEndpoints,
  validate: validateEndpoints,
  columns: [
    nameColumn,
    { name: 'Endpoints', type: 'string', priority: 0, description: 'The set of all endpoints is the union of all subsets.', cell: formatEndpoints },
    ageColumn,
  ],
});
