// The names of the proxy's iptables chains. kube-proxy's names with its `KUBE` prefix replaced
// by a per-cluster tag, so that two clusters' proxies in one network namespace never share a
// chain (each removes exactly its own on `down`). Per-service chains are named as kube-proxy
// names them: the prefix, then the base32 of a sha256 of the service port name and protocol
// (and the endpoint for SEP chains), cut so the name stays within iptables' 28 characters
// (16 characters of hash with kube-proxy's own 4-letter prefix, fewer for a longer tag).
import { createHash } from 'node:crypto';

/** iptables refuses longer chain names (XT_EXTENSION_MAXNAMELEN - 1). */
export const MAX_CHAIN_NAME = 28;
/** The longest tag: `<tag>-EXTERNAL-SERVICES` must still fit. */
export const MAX_TAG = MAX_CHAIN_NAME - '-EXTERNAL-SERVICES'.length;
const TAG = /^[A-Z][A-Z0-9]*$/;

/** Throws unless `tag` can prefix every chain name (upper-case letters and digits, ≤ 10). */
export function validateTag(tag: string): void {
  if (!TAG.test(tag) || tag.length > MAX_TAG) throw new Error(`invalid chain tag "${tag}": 1 to ${MAX_TAG} upper-case letters and digits, starting with a letter`);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 (Go's base32.StdEncoding without the padding, which the cut drops anyway). */
function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

// Every sync names every chain again: the hashes of the names seen are kept (bounded: cleared
// when it grows past what 10,000 services' endpoints need).
const hashes = new Map<string, string>();
const MAX_CACHED = 500_000;

/** kube-proxy's portProtoHash: base32(sha256(servicePortName + protocol [+ endpoint])). */
export function portProtoHash(...parts: string[]): string {
  const input = parts.join('');
  let h = hashes.get(input);
  if (h === undefined) {
    if (hashes.size >= MAX_CACHED) hashes.clear();
    h = base32(createHash('sha256').update(input).digest());
    hashes.set(input, h);
  }
  return h;
}

export interface ChainNames {
  readonly tag: string;
  /** nat and filter: the entry chain from PREROUTING/OUTPUT (nat), OUTPUT/FORWARD (filter). */
  readonly services: string;
  /** filter: REJECT/DROP of NodePorts and external IPs without endpoints. */
  readonly externalServices: string;
  /** nat: NodePorts, jumped to from the entry chain for local destinations. */
  readonly nodePorts: string;
  readonly postrouting: string;
  readonly markMasq: string;
  /** filter: accept marked and established forwarded traffic. */
  readonly forward: string;
  /** filter: the martian drop (localnet packets from outside), from INPUT and OUTPUT. */
  readonly firewall: string;
  /** Cluster-policy chain of a service port (kube-proxy's KUBE-SVC-). */
  svc(servicePortName: string, protocol: string): string;
  /** Local-policy chain (KUBE-SVL-). */
  svl(servicePortName: string, protocol: string): string;
  /** External-traffic chain (KUBE-EXT-). */
  ext(servicePortName: string, protocol: string): string;
  /** Endpoint chain (KUBE-SEP-); `endpoint` is `ip:port`. */
  sep(servicePortName: string, protocol: string, endpoint: string): string;
  /** True for a chain of this tag (and of no other tag that merely starts the same way). */
  owns(chain: string): boolean;
}

const FIXED = ['SERVICES', 'EXTERNAL-SERVICES', 'NODEPORTS', 'POSTROUTING', 'MARK-MASQ', 'FORWARD', 'FIREWALL'];
const PER_SERVICE = ['SVC', 'SVL', 'EXT', 'SEP'];

// Every Service's rules are built with the names of its cluster's tag: made once per tag.
const byTag = new Map<string, ChainNames>();

export function chainNames(tag: string): ChainNames {
  let names = byTag.get(tag);
  if (!names) {
    names = makeChainNames(tag);
    byTag.set(tag, names);
  }
  return names;
}

function makeChainNames(tag: string): ChainNames {
  validateTag(tag);
  const hashLen = Math.min(16, MAX_CHAIN_NAME - tag.length - '-SVC-'.length);
  const per = (kind: string, ...parts: string[]): string => `${tag}-${kind}-${portProtoHash(...parts).slice(0, hashLen)}`;
  const fixed = new Set(FIXED.map((f) => `${tag}-${f}`));
  const perService = new RegExp(`^${tag}-(${PER_SERVICE.join('|')})-[A-Z2-7]{${hashLen}}$`);
  return {
    tag,
    services: `${tag}-SERVICES`,
    externalServices: `${tag}-EXTERNAL-SERVICES`,
    nodePorts: `${tag}-NODEPORTS`,
    postrouting: `${tag}-POSTROUTING`,
    markMasq: `${tag}-MARK-MASQ`,
    forward: `${tag}-FORWARD`,
    firewall: `${tag}-FIREWALL`,
    svc: (spn, proto) => per('SVC', spn, proto),
    svl: (spn, proto) => per('SVL', spn, proto),
    ext: (spn, proto) => per('EXT', spn, proto),
    sep: (spn, proto, ep) => per('SEP', spn, proto, ep),
    owns: (chain) => fixed.has(chain) || perService.test(chain),
  };
}

/**
 * The chain tag of one cluster: `SKIFF` and four base32 characters of a hash of what names the
 * cluster (its state dir, a lab's name), so two clusters on one machine differ.
 */
export function clusterTag(seed: string): string {
  return `SKIFF${portProtoHash(seed).slice(0, 4)}`;
}
