// ConfigMaps and Secrets reaching real containers (etcd, API server, kubelet, conmon +
// runc/crun): env from a ConfigMap that appears late (CreateContainerConfigError, then the pod
// starts by itself), a Secret volume on tmpfs and a ConfigMap volume, both read-only, and an
// update reaching the running container. The objects come from an in-memory getter: the
// kubelet's path through the API server (GET .../configmaps/NAME) is unit-tested in
// kubelet/api-adapters.test.ts, and the end-to-end test through real ConfigMap and Secret
// kinds belongs with them.
import fs from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { FakeConfigGetter } from '../../kubelet/testing/fake-config-getter.js';
import { parseMountInfo } from '../../kubelet/tmpfs.js';
import { eventually } from '../fixtures/eventually.js';
import { nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;
const api = new FakeConfigGetter();

nodeClusterPerFile({ configGetter: api, syncFrequencyMs: 1000 }, (started) => {
  c = started;
});

async function tmpfsUnderKubelet(): Promise<string[]> {
  const root = path.join(c.controlPlane.root, 'kubelet');
  return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'))
    .filter((m) => m.mountPoint.startsWith(`${root}/`))
    .map((m) => m.mountPoint);
}

describe('ConfigMaps and Secrets in real containers', () => {
  it('env waits for its ConfigMap; volumes are read-only, the Secret on tmpfs; updates reach the running container', async () => {
    api.put('Secret', 'db', { password: 'hunter2' }, c.ns);
    api.put('ConfigMap', 'files', { 'app.conf': 'v=1' }, c.ns);
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'cfg-pod', namespace: c.ns },
      spec: {
        nodeName: c.node,
        terminationGracePeriodSeconds: 1,
        volumes: [
          { name: 'creds', secret: { secretName: 'db', defaultMode: 0o400 } },
          { name: 'files', configMap: { name: 'files' } },
        ],
        containers: [
          {
            name: 'app',
            image: c.image,
            command: ['sleep', '3600'],
            env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } }],
            volumeMounts: [
              { name: 'creds', mountPath: '/creds' },
              { name: 'files', mountPath: '/cfg' },
            ],
          },
        ],
      },
    };
    await c.createPod(pod);
    const waiting = await c.waitPod('cfg-pod', (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CreateContainerConfigError', 'CreateContainerConfigError', 60_000);
    expect(waiting.status?.containerStatuses?.[0]?.state?.waiting?.message).toBe('configmap "settings" not found');

    api.put('ConfigMap', 'settings', { mode: 'fast' }, c.ns);
    const running = await c.waitPod('cfg-pod', (p) => !!p.status?.containerStatuses?.[0]?.state?.running, 'Running once the ConfigMap exists', 30_000);
    const id = running.status?.containerStatuses?.[0]?.containerID?.replace(/^[a-z]+:\/\//, '') ?? '';
    const sh = async (script: string) => {
      const r = await c.runtime.execSync(id, ['sh', '-c', script], 5);
      return { code: r.exitCode, out: r.stdout.toString().trim() };
    };
    expect(await sh('echo "$MODE"')).toEqual({ code: 0, out: 'fast' });
    expect(await sh('cat /creds/password; echo; cat /cfg/app.conf')).toEqual({ code: 0, out: 'hunter2\nv=1' });
    expect((await sh("stat -L -c '%a' /creds/password")).out).toBe('400');
    expect((await sh("awk '$2 == \"/creds\" {print $3}' /proc/mounts")).out).toBe('tmpfs');
    expect((await sh('touch /cfg/new 2>/dev/null || echo refused')).out).toBe('refused');
    expect(await tmpfsUnderKubelet()).toHaveLength(1);

    api.put('ConfigMap', 'files', { 'app.conf': 'v=2' }, c.ns);
    await eventually(async () => (await sh('cat /cfg/app.conf')).out === 'v=2', 'the update in the running container', 15_000);

    await c.admin.pods.delete('cfg-pod', { namespace: c.ns });
    await c.waitGone('cfg-pod', 30_000);
    expect(await tmpfsUnderKubelet()).toEqual([]);
  }, 150_000);
});
