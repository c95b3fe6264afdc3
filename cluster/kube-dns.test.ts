import { describe, expect, it } from 'vitest';
import { kubeDnsServiceIP } from './kube-dns.js';

describe('kubeDnsServiceIP', () => {
  it.each([
    ['10.96.0.0/16', '10.96.0.10'],
    ['10.43.0.0/16', '10.43.0.10'],
    ['10.96.5.7/16', '10.96.0.10'],
    ['172.20.0.0/28', '172.20.0.10'],
    ['192.168.255.0/24', '192.168.255.10'],
  ])('%s → %s', (cidr, want) => {
    expect(kubeDnsServiceIP(cidr)).toBe(want);
  });

  it('refuses a range without a .10', () => {
    expect(() => kubeDnsServiceIP('10.96.0.0/29')).toThrow(/too small/);
    expect(() => kubeDnsServiceIP('fd00::/112')).toThrow(/want an IPv4 CIDR/);
  });
});
