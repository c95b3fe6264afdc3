// `skiff down`'s removal of the CNI portmap plugin's shared CNI-HOSTPORT-* chains, on real
// iptables in a network namespace of the suite's own (its own nat table: nobody else's
// published ports are touched). The chains are the ones portmap makes on its first ADD; the
// race is a portmap ADD of another cluster landing between the cleanup's read and its write,
// which used to cost that pod its jumps from PREROUTING and OUTPUT (its published port went
// silent) because the jumps were deleted one command at a time before the chains.
import crypto from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planHostportCleanup } from '../../cluster/hostport-chains.js';
import { runCommand } from '../../runtime/oci/command.js';
import { repoRoot } from '../fixtures/process.js';

const netns = `skiff-t-hostport-${crypto.randomBytes(3).toString('hex')}`;
const inNs = (cmd: string, args: string[], input?: string) => runCommand('ip', ['netns', 'exec', netns, cmd, ...args], { input });
const natSave = async () => (await inNs('iptables-save', ['-t', 'nat'])).stdout;

// What portmap's first ADD leaves (its shared chains, their static rules, the jumps to them).
const PORTMAP_SHARED = `*nat
:CNI-HOSTPORT-DNAT - [0:0]
:CNI-HOSTPORT-SETMARK - [0:0]
:CNI-HOSTPORT-MASQ - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
COMMIT
`;
// One published pod port, as portmap's ADD adds it.
const POD_PORT = `*nat
:CNI-DN-race - [0:0]
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"skiff\\" id: \\"race\\"" -m multiport --dports 18080 -j CNI-DN-race
-A CNI-DN-race -p tcp --dport 18080 -j DNAT --to-destination 10.99.0.2:80
COMMIT
`;
const POD_PORT_GONE = `*nat
-D CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"skiff\\" id: \\"race\\"" -m multiport --dports 18080 -j CNI-DN-race
-F CNI-DN-race
-X CNI-DN-race
COMMIT
`;

/** The real removeHostportChains (the built one), run inside the namespace. */
async function removeInNs(): Promise<string> {
  const mod = path.join(repoRoot, 'dist/cluster/hostport-chains.js');
  const r = await inNs(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(mod)}); console.log(await m.removeHostportChains());`]);
  expect(r.stderr).toBe('');
  return r.stdout.trim();
}

beforeAll(async () => {
  expect((await runCommand('ip', ['netns', 'add', netns])).code).toBe(0);
});
afterAll(async () => {
  await runCommand('ip', ['netns', 'delete', netns]); // its nat table with it
});

describe('removing portmap shared chains', () => {
  it('keeps every rule when a portmap ADD lands between the read and the write, and removes them once unused', async () => {
    expect((await inNs('iptables-restore', ['--noflush'], PORTMAP_SHARED)).code).toBe(0);
    const plan = planHostportCleanup(await natSave());
    expect(plan.inUse).toBeUndefined();
    expect(plan.deleteChains.sort()).toEqual(['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']);

    // The racing ADD, then the planned removal: refused as a whole.
    expect((await inNs('iptables-restore', ['--noflush'], POD_PORT)).code).toBe(0);
    const applied = await inNs('iptables-restore', ['-w', '5', '--noflush'], plan.restore);
    expect(applied.code).not.toBe(0);
    const after = await natSave();
    expect(after).toMatch(/^-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT$/m);
    expect(after).toMatch(/^-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT$/m);
    expect(after).toMatch(/^-A POSTROUTING .*-j CNI-HOSTPORT-MASQ$/m);
    expect(after).toMatch(/^-A CNI-HOSTPORT-SETMARK .*--set-xmark 0x2000\/0x2000$/m);

    // While the pod's port is published, skiff down keeps them.
    expect(await removeInNs()).toMatch(/^kept iptables CNI-HOSTPORT-\* chains: 1 published pod port chain\(s\)/);
    expect(await natSave()).toMatch(/^:CNI-HOSTPORT-DNAT/m);

    // Its port gone, skiff down removes all of them, jumps included.
    expect((await inNs('iptables-restore', ['--noflush'], POD_PORT_GONE)).code).toBe(0);
    const removed = /^removed iptables chains (.*)$/.exec(await removeInNs());
    expect(removed?.[1].split(', ').sort()).toEqual(['CNI-HOSTPORT-DNAT', 'CNI-HOSTPORT-MASQ', 'CNI-HOSTPORT-SETMARK']);
    expect(await natSave()).not.toMatch(/CNI-HOSTPORT/);
    expect(await removeInNs()).toBe('no CNI-HOSTPORT-* chains to remove');
  });
});
