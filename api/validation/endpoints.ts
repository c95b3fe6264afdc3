// The rules Endpoints and EndpointSlices share with Services (core/v1 validation's
// validateEndpointAddress, validateNonSpecialIP, port protocols) and the two kinds' own
// (ValidateEndpoints, ValidateEndpointSlice), with Kubernetes' field paths and messages.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import { dns1123LabelErrors, dns1123SubdomainErrors } from '../names.js';
import type { EndpointPort, Endpoints, EndpointSlice, EndpointSlicePort, Protocol } from '../types/service.js';
import type { StatusCause } from '../types/meta.js';
import { validatePortNumber } from './container.js';
import { FieldPath, duplicate, invalid, notSupported, required, tooMany } from './field.js';
import { immutable } from './workload.js';

export const PROTOCOLS: readonly Protocol[] = ['SCTP', 'TCP', 'UDP'];
export const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'] as const;
/** discovery/v1 limits: endpoints per slice, addresses per endpoint, ports per slice. */
export const MAX_SLICE_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_SLICE_PORTS = 20000;

export function validateProtocol(protocol: string | undefined, path: FieldPath): StatusCause[] {
  if (!protocol) return [required(path)];
  return PROTOCOLS.includes(protocol as Protocol) ? [] : [notSupported(path, protocol, PROTOCOLS)];
}

/** validateNonSpecialIP: an endpoint is never an address every node has (unspecified, loopback, link-local, multicast). */
export function specialIPErrors(ip: string): string[] {
  if (isIPv4(ip)) {
    const [a, b, c] = ip.split('.').map(Number);
    if (ip === '0.0.0.0') return ['may not be unspecified (0.0.0.0)'];
    if (a === 127) return ['may not be in the loopback range (127.0.0.0/8, ::1/128)'];
    if (a === 169 && b === 254) return ['may not be in the link-local range (169.254.0.0/16, fe80::/10)'];
    if (a === 224 && b === 0 && c === 0) return ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'];
    return [];
  }
  const lower = ip.toLowerCase();
  if (lower === '::') return ['may not be unspecified (::)'];
  if (lower === '::1') return ['may not be in the loopback range (127.0.0.0/8, ::1/128)'];
  if (/^fe[89ab]/.test(lower)) return ['may not be in the link-local range (169.254.0.0/16, fe80::/10)'];
  if (lower.startsWith('ff02:')) return ['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'];
  return [];
}

function validateHostAndNode(e: { hostname?: string; nodeName?: string }, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  if (e.hostname) for (const msg of dns1123LabelErrors(e.hostname)) causes.push(invalid(path.child('hostname'), e.hostname, msg));
  if (e.nodeName) for (const msg of dns1123SubdomainErrors(e.nodeName)) causes.push(invalid(path.child('nodeName'), e.nodeName, msg));
  return causes;
}

function validateEndpointPort(port: EndpointPort, requireName: boolean, path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  if (requireName && !port.name) causes.push(required(path.child('name')));
  else if (port.name) for (const msg of dns1123LabelErrors(port.name)) causes.push(invalid(path.child('name'), port.name, msg));
  causes.push(...validatePortNumber(port.port, path.child('port')), ...validateProtocol(port.protocol, path.child('protocol')));
  return causes;
}

/** ValidateEndpoints: every subset has addresses and ports, each address a routable IP. */
export function validateEndpoints(ep: Endpoints): StatusCause[] {
  const causes: StatusCause[] = [];
  (ep.subsets ?? []).forEach((ss, i) => {
    const path = FieldPath.root('subsets').index(i);
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length) causes.push(required(path, 'must specify `addresses` or `notReadyAddresses`'));
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      (ss[list] ?? []).forEach((a, j) => {
        const p = path.child(list).index(j);
        if (!isIP(a.ip ?? '')) causes.push(invalid(p.child('ip'), a.ip, 'must be a valid IP address'));
        else for (const msg of specialIPErrors(a.ip)) causes.push(invalid(p.child('ip'), a.ip, msg));
        causes.push(...validateHostAndNode(a, p));
      });
    }
    const ports = ss.ports ?? [];
    ports.forEach((port, j) => causes.push(...validateEndpointPort(port, ports.length > 1, path.child('ports').index(j))));
  });
  return causes;
}

function addressErrors(addressType: string, address: string): string[] {
  if (addressType === 'FQDN') return dns1123SubdomainErrors(address);
  const ok = addressType === 'IPv4' ? isIPv4(address) : isIPv6(address);
  if (!ok) return [`must be a valid ${addressType} address`];
  return specialIPErrors(address);
}

function validateSlicePorts(ports: EndpointSlicePort[], path: FieldPath): StatusCause[] {
  const causes: StatusCause[] = [];
  if (ports.length > MAX_SLICE_PORTS) causes.push(tooMany(path, ports.length, MAX_SLICE_PORTS));
  const names = new Set<string>();
  ports.forEach((port, i) => {
    const p = path.index(i);
    if (port.name !== undefined) {
      if (port.name) for (const msg of dns1123LabelErrors(port.name)) causes.push(invalid(p.child('name'), port.name, msg));
      if (names.has(port.name)) causes.push(duplicate(p.child('name'), port.name));
      names.add(port.name);
    }
    causes.push(...validateProtocol(port.protocol, p.child('protocol')));
    if (port.port !== undefined) causes.push(...validatePortNumber(port.port, p.child('port')));
  });
  return causes;
}

/** ValidateEndpointSlice: the address type, at most 1000 endpoints of 1 to 100 addresses of that type, ports. */
export function validateEndpointSlice(slice: EndpointSlice): StatusCause[] {
  const causes: StatusCause[] = [];
  const typePath = FieldPath.root('addressType');
  const addressType = slice.addressType;
  if (!addressType) causes.push(required(typePath));
  else if (!(ADDRESS_TYPES as readonly string[]).includes(addressType)) causes.push(notSupported(typePath, addressType, ADDRESS_TYPES));
  const endpoints = slice.endpoints ?? [];
  const endpointsPath = FieldPath.root('endpoints');
  if (endpoints.length > MAX_SLICE_ENDPOINTS) causes.push(tooMany(endpointsPath, endpoints.length, MAX_SLICE_ENDPOINTS));
  endpoints.forEach((e, i) => {
    const p = endpointsPath.index(i);
    const addresses = e.addresses ?? [];
    if (addresses.length === 0) causes.push(required(p.child('addresses'), 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) causes.push(tooMany(p.child('addresses'), addresses.length, MAX_ADDRESSES));
    if (addressType && (ADDRESS_TYPES as readonly string[]).includes(addressType)) {
      addresses.forEach((a, j) => {
        for (const msg of addressErrors(addressType, a)) causes.push(invalid(p.child('addresses').index(j), a, msg));
      });
    }
    causes.push(...validateHostAndNode(e, p));
  });
  causes.push(...validateSlicePorts(slice.ports ?? [], FieldPath.root('ports')));
  return causes;
}

/** ValidateEndpointSliceUpdate: the address type never changes. */
export function validateEndpointSliceUpdate(slice: EndpointSlice, old: EndpointSlice): StatusCause[] {
  return immutable(slice.addressType, old.addressType, FieldPath.root('addressType'));
}
