// Image garbage collection on the real parts: the runtime root on a 64 MiB tmpfs of its own,
// images of a few MiB of random data each pulled from a local registry by pods run one after
// another, one image kept by a running pod. Once usage crosses 85% the kubelet removes unused
// images least recently used first, never the running pod's, down to 80% or below.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { statFs, usagePercent } from '../../kubelet/image-gc/fs-stats.js';
import { buildBusyboxImage, pushImage } from '../fixtures/images.js';
import { eventually, startNodeCluster, type NodeCluster } from './harness.js';

const MiB = 1024 * 1024;
/** Random bytes do not compress: each image takes about twice this (blob + unpacked layer). */
const FILL_MIB = 4;
const FILLERS = 8;

let c: NodeCluster;
const fillers: string[] = [];
let keep = '';

beforeAll(async () => {
  c = await startNodeCluster({ runtimeTmpfsMiB: 64, imageGC: { minAgeMs: 0 }, imageGCPeriodMs: 500 });
  const { reg, store } = c.controlPlane;
  if (!reg || !store) throw new Error('the control plane has no registry');
  const push = async (name: string) => {
    const img = await buildBusyboxImage(store, { config: { Cmd: ['true'] }, extraLayers: [{ entries: [{ name: 'fill', data: randomBytes(FILL_MIB * MiB) }], createdBy: 'fill' }] });
    await pushImage(reg.host, name, store, img, reg.auth);
    return `${reg.host}/${name}`;
  };
  keep = await push('keep:1');
  for (let i = 0; i < FILLERS; i++) fillers.push(await push(`fill${i}:1`));
}, 180_000);

afterAll(async () => {
  await c?.teardown();
}, 180_000);

const pod = (name: string, image: string, command: string[], restartPolicy: 'Always' | 'Never'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { nodeName: c.node, terminationGracePeriodSeconds: 1, restartPolicy, containers: [{ name: 'app', image, command }] },
});

async function tags(): Promise<string[]> {
  return (await c.images.listImages()).flatMap((i) => i.repoTags);
}

describe('kubelet image garbage collection', () => {
  it('above 85% removes unused images least recently used first, keeps the running pod\'s, ends at or below 80%', async () => {
    // The oldest use of all, but a running container keeps it.
    await c.createPod(pod('keep', keep, ['sleep', '3600'], 'Always'));
    await c.waitPod('keep', (p) => p.status?.phase === 'Running', 'Running', 60_000);
    // Each filler is pulled and used by a pod that finishes and is deleted: used in this order.
    const used: string[] = [];
    let removed: string[] = [];
    for (let i = 0; i < FILLERS && removed.length === 0; i++) {
      const name = `fill${i}`;
      await c.createPod(pod(name, fillers[i], ['true'], 'Never'));
      await c.waitPod(name, (p) => p.status?.phase === 'Succeeded', 'Succeeded', 60_000);
      used.push(fillers[i]);
      await c.admin.pods.delete(name, { namespace: c.ns, gracePeriodSeconds: 0 });
      await c.waitGone(name, 30_000);
      const have = await tags();
      removed = used.filter((t) => !have.includes(t));
    }
    expect(removed.length).toBeGreaterThan(0);
    // A pass removes until it is at or below the low threshold; let the one under way finish.
    const fs = await eventually(async () => {
      const s = await statFs(c.runtimeRoot);
      return usagePercent(s) <= 80 ? s : undefined;
    }, 'usage at or below 80%', 30_000);
    expect(usagePercent(fs)).toBeLessThanOrEqual(80);
    const have = await tags();
    removed = used.filter((t) => !have.includes(t));
    // Least recently used first: what went is the oldest fillers, in order; the newest stays.
    expect(removed).toEqual(used.slice(0, removed.length));
    expect(have).toContain(used[used.length - 1]);
    expect(have).toContain(keep);
    expect((await c.getPod('keep')).status?.phase).toBe('Running');
    // Freeing enough is no failure: no ImageGCFailed event on the node.
    const events = await c.admin.events.list({ namespace: 'default' });
    expect(events.items.filter((e) => e.involvedObject.name === c.node && e.reason === 'ImageGCFailed')).toEqual([]);
  }, 150_000);
});
