// Features the kubelet's unit tests check only against runtime/fake, end to end on the real
// parts (etcd, API server, local registry, kubelet, conmon + runc/crun, overlayfs, CNI): init
// containers in order before the app, an emptyDir two containers share, and the Never pull policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../api/types/core.js';
import { startNodeCluster, type NodeCluster } from '../kubelet/harness.js';

let c: NodeCluster;

beforeAll(async () => {
  c = await startNodeCluster();
}, 120_000);

afterAll(async () => {
  await c?.teardown();
}, 180_000);

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({ name, image: c.image, command: ['sh', '-c', script], ...extra });

function pod(name: string, spec: Partial<Pod['spec']>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.node, terminationGracePeriodSeconds: 1, containers: [], ...spec } };
}

describe('kubelet features on the real runtime', () => {
  it('init containers run in order to completion before the app; two containers share an emptyDir', async () => {
    const mount = [{ name: 'shared', mountPath: '/shared' }];
    await c.createPod(
      pod('init-share', {
        volumes: [{ name: 'shared', emptyDir: {} }],
        initContainers: [sh('first', 'echo first >> /shared/order', { volumeMounts: mount }), sh('second', 'echo second >> /shared/order', { volumeMounts: mount })],
        containers: [
          sh('writer', 'echo from-writer > /shared/note; exec sleep 3600', { volumeMounts: mount }),
          sh('reader', 'while [ ! -e /shared/note ]; do sleep 0.1; done; cat /shared/order /shared/note > /tmp/seen; exec sleep 3600', { volumeMounts: mount }),
        ],
      }),
    );
    const p = await c.waitPod('init-share', (x) => x.status?.phase === 'Running' && (x.status.containerStatuses ?? []).every((s) => s.ready), 'Running and ready', 60_000);
    expect(p.status?.initContainerStatuses?.map((s) => [s.name, s.state?.terminated?.exitCode])).toEqual([
      ['first', 0],
      ['second', 0],
    ]);
    const reader = p.status?.containerStatuses?.find((s) => s.name === 'reader');
    const id = reader?.containerID?.replace(/^[a-z]+:\/\//, '') ?? '';
    const seen = await c.runtime.execSync(id, ['cat', '/tmp/seen'], 5);
    expect(seen.stdout.toString()).toBe('first\nsecond\nfrom-writer\n');
  });

  it('imagePullPolicy Never: an image not on the node is ErrImageNeverPull; one present runs', async () => {
    await c.createPod(pod('never-absent', { containers: [sh('app', 'exec sleep 3600', { image: `${c.registryHost}/not/here:v1`, imagePullPolicy: 'Never' })] }));
    const absent = await c.waitPod('never-absent', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ErrImageNeverPull', 'ErrImageNeverPull', 30_000);
    expect(absent.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain('not/here');

    await c.images.pullImage({ image: c.image });
    await c.createPod(pod('never-present', { containers: [sh('app', 'exec sleep 3600', { imagePullPolicy: 'Never' })] }));
    await c.waitPod('never-present', (x) => x.status?.phase === 'Running', 'Running', 30_000);
  });
});
