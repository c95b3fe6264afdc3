// The address ranges Services draw from: `--service-cluster-ip-range` (an IPv4 CIDR; its
// network and broadcast addresses are never handed out, its first address is the `kubernetes`
// Service's, its tenth conventionally kube-dns's) and `--service-node-port-range` ("30000-32767").
import { isIPv4 } from 'node:net';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/16';
export const DEFAULT_NODE_PORT_RANGE = '30000-32767';

export interface ServiceIPRange {
  cidr: string;
  /** The network address as a number. */
  base: number;
  /** Usable addresses: base+1 .. base+size. */
  size: number;
}

export interface PortRange {
  text: string;
  first: number;
  last: number;
}

export const ipToNumber = (ip: string): number => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
export const numberToIP = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export function parseServiceCIDR(cidr: string): ServiceIPRange {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(cidr.trim());
  if (!m || !isIPv4(m[1]) || Number(m[2]) > 30) throw new Error(`--service-cluster-ip-range ${JSON.stringify(cidr)}: want an IPv4 CIDR of at most /30 (IPv6 is not supported)`);
  const bits = Number(m[2]);
  const block = 2 ** (32 - bits);
  const base = ipToNumber(m[1]) - (ipToNumber(m[1]) % block);
  return { cidr: `${numberToIP(base)}/${bits}`, base, size: block - 2 };
}

export function parsePortRange(text: string): PortRange {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  const first = Number(m?.[1]);
  const last = Number(m?.[2]);
  if (!m || first < 1 || last > 65535 || first > last) throw new Error(`--service-node-port-range ${JSON.stringify(text)}: want FIRST-LAST within 1-65535`);
  return { text: `${first}-${last}`, first, last };
}

/** The address at `offset` (1-based) of the range. */
export const ipAt = (range: ServiceIPRange, offset: number): string => numberToIP(range.base + offset);

/** The range's offset of `ip`, or undefined when it is not a usable address of the range. */
export function offsetOf(range: ServiceIPRange, ip: string): number | undefined {
  if (!isIPv4(ip)) return undefined;
  const off = ipToNumber(ip) - range.base;
  return off >= 1 && off <= range.size ? off : undefined;
}

/** The `kubernetes` Service's address: the range's first. */
export const kubernetesServiceIP = (range: ServiceIPRange): string => ipAt(range, 1);

/**
 * The lower band kept for addresses asked for by name (Kubernetes' static subrange, KEP-3070):
 * dynamic picks come from above it first, so the `kubernetes` and kube-dns addresses stay free.
 */
export const staticBand = (size: number): number => (size < 16 ? 0 : Math.min(Math.max(16, Math.floor(size / 16)), 256));
