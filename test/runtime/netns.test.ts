// Pinned namespaces and the placeholder `ip netns add` leaves when it is killed before it
// mounts (a kill -9 of the kubelet mid-sandbox): teardown removes both kinds.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, writeFileSync } from 'node:fs';
import { createNetns, deleteNetns, isNetnsMounted, netnsPath } from '../../runtime/network/netns.js';

describe('pinned network namespaces', () => {
  const names: string[] = [];
  afterEach(async () => {
    for (const n of names.splice(0)) await deleteNetns(n);
  });

  it('tells a pinned namespace from a cut-short placeholder, and deletes both', async () => {
    const real = `skiff-t${process.pid}-real`;
    const stub = `skiff-t${process.pid}-stub`;
    names.push(real, stub);
    await createNetns(real);
    writeFileSync(netnsPath(stub), '', { mode: 0 });
    expect(isNetnsMounted(netnsPath(real))).toBe(true);
    expect(isNetnsMounted(netnsPath(stub))).toBe(false);
    await deleteNetns(stub);
    await deleteNetns(real);
    expect(existsSync(netnsPath(stub))).toBe(false);
    expect(existsSync(netnsPath(real))).toBe(false);
    await deleteNetns(real); // idempotent
  });
});
