// The PTR owner names of addresses (`4.3.2.1.in-addr.arpa`, nibbles under `ip6.arpa`): the
// zone keys its reverse records by them, so a PTR question is one exact lookup.
import { isIP } from 'node:net';

function expandV6(ip: string): string[] {
  let s = ip.toLowerCase();
  // An embedded IPv4 tail (::ffff:1.2.3.4) as two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const o = (v4[1] as string).split('.').map(Number) as [number, number, number, number];
    s = s.slice(0, -(v4[1] as string).length) + `${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => g.padStart(4, '0'));
}

/** The reverse owner name of an address, lower case, without the trailing dot. */
export function reverseName(ip: string): string | undefined {
  if (isIP(ip) === 4) return `${ip.split('.').reverse().join('.')}.in-addr.arpa`;
  if (isIP(ip) === 6) return `${[...expandV6(ip).join('')].reverse().join('.')}.ip6.arpa`;
  return undefined;
}

/** True when a name lies in a reverse zone (the kubernetes plugin's `in-addr.arpa ip6.arpa`). */
export function isReverseName(name: string): boolean {
  return name.endsWith('.in-addr.arpa') || name.endsWith('.ip6.arpa');
}
