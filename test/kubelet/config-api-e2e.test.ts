// ConfigMaps end to end through the real API server (etcd, API server, kubelet with its node
// token, conmon + runc/crun): a pod waits in CreateContainerConfigError for a ConfigMap it
// names, the Node authorizer lets the kubelet get exactly the ConfigMaps its pods name, and
// an update reaches the running container's volume. Needs the ConfigMap kind and the Pod
// schema's ConfigMap fields (issue 20's other parts); Secrets the same way once that kind is served.
import { describe, expect, it } from 'vitest';
import type { ConfigMap, Pod } from '../../api/types/core.js';
import { eventually } from '../fixtures/eventually.js';
import { nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;
nodeClusterPerFile({ syncFrequencyMs: 1000 }, (started) => {
  c = started;
});

describe('ConfigMaps through the API server', () => {
  it('env waits for its ConfigMap, the node reads only what its pods name, an update reaches the volume', async () => {
    const cms = c.admin.resourceByName<ConfigMap>('configmaps', '');
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'files', namespace: c.ns }, data: { 'app.conf': 'v=1' } }, { namespace: c.ns });
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'unrelated', namespace: c.ns }, data: { x: 'y' } }, { namespace: c.ns });
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cm-pod', namespace: c.ns },
      spec: {
        nodeName: c.node,
        terminationGracePeriodSeconds: 1,
        volumes: [{ name: 'files', configMap: { name: 'files' } }],
        containers: [
          {
            name: 'app',
            image: c.image,
            command: ['sleep', '3600'],
            env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
            volumeMounts: [{ name: 'files', mountPath: '/cfg' }],
          },
        ],
      },
    };
    await c.createPod(pod);
    const w = await c.waitPod('cm-pod', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError', 60_000);
    expect(w.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('configmap "settings" not found');
    const nodeCms = c.controlPlane.nodeClient.resourceByName<ConfigMap>('configmaps', '');
    await expect(nodeCms.get('unrelated', { namespace: c.ns })).rejects.toThrow(/no relationship found/);
    await cms.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: c.ns }, data: { mode: 'fast' } }, { namespace: c.ns });
    const running = await c.waitPod('cm-pod', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, 'Running once the ConfigMap exists', 30_000);
    const id = running.status?.containerStatuses?.[0]?.containerID?.replace(/^[a-z]+:\/\//, '') ?? '';
    const sh = async (s: string) => (await c.runtime.execSync(id, ['sh', '-c', s], 5)).stdout.toString().trim();
    expect(await sh('echo "$MODE"; cat /cfg/app.conf')).toBe('fast\nv=1');
    const cur = await cms.get('files', { namespace: c.ns });
    await cms.update({ ...cur, data: { 'app.conf': 'v=2' } }, { namespace: c.ns });
    await eventually(async () => (await sh('cat /cfg/app.conf')) === 'v=2', 'the update in the running container', 15_000);
  }, 150_000);
});
