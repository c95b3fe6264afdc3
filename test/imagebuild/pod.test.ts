// A built image through the cluster: `skiff build` on a node's runtime root (its base pulled
// from the local registry), then a pod using it with imagePullPolicy Never — the kubelet on
// that node runs it straight from the node's image store, with the image's own CMD, ENV,
// WORKDIR and USER.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { buildImage } from '../../imagebuild/builder.js';
import { nodeClusterPerFile, type NodeCluster } from '../kubelet/harness.js';

let c: NodeCluster;

nodeClusterPerFile({}, (started) => {
  c = started;
});

describe('a built image in a pod', { timeout: 120_000 }, () => {
  it('the kubelet runs an image skiff build just wrote, without pulling it', async () => {
    const ctx = path.join(c.runtimeRoot, '..', 'build-ctx');
    await mkdir(ctx, { recursive: true });
    await writeFile(path.join(ctx, 'greeting.txt'), 'hello from a built image');
    await writeFile(
      path.join(ctx, 'Dockerfile'),
      `FROM ${c.image}
ENV WHO=pod
WORKDIR /srv
COPY greeting.txt .
RUN chown 65534 /srv
USER 65534
CMD ["sh", "-c", "echo \\"$(cat greeting.txt), $WHO, uid $(id -u) in $(pwd)\\" > /dev/termination-log"]
`,
    );
    const tag = 'localhost/built-pod:1';
    await buildImage({ images: c.images, context: ctx, tags: [tag] });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'built' },
      spec: { nodeName: c.node, restartPolicy: 'Never', terminationGracePeriodSeconds: 2, containers: [{ name: 'app', image: tag, imagePullPolicy: 'Never' }] },
    };
    await c.createPod(pod);
    const p = await c.waitPod('built', (x) => x.status?.phase === 'Succeeded' || x.status?.phase === 'Failed', 'finished', 60_000);
    expect(p.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, message: 'hello from a built image, pod, uid 65534 in /srv\n' });
  });
});
