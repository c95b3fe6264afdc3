import { describe, expect, it } from 'vitest';
import { planHostportCleanup } from './hostport-chains.js';

const LEFT_BEHIND = `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
:CNI-HOSTPORT-MASQ - [0:0]
:CNI-HOSTPORT-SETMARK - [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
COMMIT
`;

describe('portmap shared chains cleanup', () => {
  it('removes the jumps, the static rules and the chains when no pod publishes a port, and nothing else', () => {
    const plan = planHostportCleanup(LEFT_BEHIND);
    expect(plan.inUse).toBeUndefined();
    expect(plan.deleteChains.sort()).toEqual(['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']);
    // One transaction: the jumps, the static rules, then the chains.
    expect(plan.restore.split('\n')).toEqual([
      '*nat',
      '-D PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
      '-D OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT',
      '-D POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
      '-D CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE',
      '-D CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000',
      '-X CNI-HOSTPORT-DNAT',
      '-X CNI-HOSTPORT-MASQ',
      '-X CNI-HOSTPORT-SETMARK',
      'COMMIT',
      '',
    ]);
  });

  it('keeps everything while a published port (a CNI-DN-* chain) remains', () => {
    const inUse = LEFT_BEHIND.replace(':DOCKER - [0:0]', ':DOCKER - [0:0]\n:CNI-DN-1a2b3c - [0:0]').replace(
      'COMMIT',
      '-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"skiff\\" id: \\"abc\\"" -m multiport --dports 8080 -j CNI-DN-1a2b3c\nCOMMIT',
    );
    const plan = planHostportCleanup(inUse);
    expect(plan.inUse).toMatch(/CNI-DN/);
    expect(plan.restore).toBe('');
    expect(plan.deleteChains).toEqual([]);
  });

  it('keeps everything when a chain that is not built-in jumps to a shared chain', () => {
    const plan = planHostportCleanup(LEFT_BEHIND.replace('COMMIT', '-A DOCKER -j CNI-HOSTPORT-DNAT\nCOMMIT'));
    expect(plan.inUse).toMatch(/DOCKER/);
  });

  it('has nothing to do on a clean table', () => {
    expect(planHostportCleanup('*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n')).toEqual({ restore: '', deleteChains: [] });
  });
});
