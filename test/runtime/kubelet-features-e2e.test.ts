// Features the kubelet's unit tests check only against runtime/fake, end to end on the real
// parts (etcd, API server, local registry, kubelet, conmon + runc/crun, overlayfs, CNI): init
// containers in order before the app, an emptyDir two containers share, the Never pull policy,
// runAsNonRoot, and exec/tcp/startup probes that pass.
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../api/types/core.js';
import { nodeClusterPerFile, type NodeCluster } from '../kubelet/harness.js';

let c: NodeCluster;

nodeClusterPerFile({}, (started) => {
  c = started;
});

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

  it('runAsNonRoot: runAsUser 0 is CreateContainerConfigError; a non-root user runs as that user', async () => {
    await c.createPod(pod('nonroot-0', { containers: [sh('app', 'exec sleep 3600', { securityContext: { runAsNonRoot: true, runAsUser: 0 } })] }));
    const refused = await c.waitPod('nonroot-0', (x) => x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError', 30_000);
    expect(refused.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain("runAsUser breaks non-root policy");

    await c.createPod(pod('nonroot-1000', { containers: [sh('app', 'exec sleep 3600', { securityContext: { runAsNonRoot: true, runAsUser: 1000 } })] }));
    const p = await c.waitPod('nonroot-1000', (x) => x.status?.phase === 'Running', 'Running', 30_000);
    const id = p.status?.containerStatuses?.[0]?.containerID?.replace(/^[a-z]+:\/\//, '') ?? '';
    expect((await c.runtime.execSync(id, ['id', '-u'], 5)).stdout.toString().trim()).toBe('1000');
  });

  it('passing exec readiness, tcp liveness and exec startup probes: Running, started and Ready, never restarted', async () => {
    await c.createPod(
      pod('probes-pass', {
        containers: [
          sh('app', 'touch /tmp/ready; exec httpd -f -p 8080', {
            startupProbe: { exec: { command: ['test', '-e', '/tmp/ready'] }, periodSeconds: 1 },
            readinessProbe: { exec: { command: ['test', '-e', '/tmp/ready'] }, periodSeconds: 1 },
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          }),
        ],
      }),
    );
    const p = await c.waitPod('probes-pass', (x) => x.status?.containerStatuses?.[0]?.ready === true, 'Ready', 30_000).catch(async (e: unknown) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify((await c.getPod('probes-pass')).status?.containerStatuses)}`);
    });
    expect(p.status?.containerStatuses?.[0]).toMatchObject({ started: true, restartCount: 0 });
    // A few more liveness periods: still the first instance.
    await new Promise((r) => setTimeout(r, 3000));
    expect((await c.getPod('probes-pass')).status?.containerStatuses?.[0]).toMatchObject({ ready: true, restartCount: 0 });
  });
});
