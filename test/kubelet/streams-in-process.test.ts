// Streams to a kubelet that runs in the API server's own process (as `skiff server` runs them):
// the API server hands the client's connection to the kubelet's stream handler, and no
// connection reaches the kubelet's TLS port; switched off (SKIFF_KUBELET_STREAMS_IN_PROCESS=0)
// the same streams go over that port with the API server's client certificate, as they do to
// every other node. Each case watches the kernel's table of connections to the kubelet's port
// while an exec runs, and checks the streams' bytes and exit codes on both paths.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExecOutErrExit, expectExecStdinEchoed, expectPortForward, runKubectl, startKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { eventually, type NodeCluster } from './harness.js';
import { startWebPodCluster, type WebPodCluster } from './web-pod-cluster.js';

let cluster: WebPodCluster | undefined;
let c: NodeCluster;
let kubeletPort = 0;
const on = (): KubectlOn => ({ kubeconfig: cluster?.kubeconfig ?? '', namespace: c.ns, version: '1.33' });

beforeAll(async () => {
  cluster = await startWebPodCluster();
  c = cluster.c;
  kubeletPort = Number(new URL(c.kubeletServer?.url ?? '').port);
}, 120_000);

afterAll(async () => {
  delete process.env.SKIFF_KUBELET_STREAMS_IN_PROCESS;
  await cluster?.stop();
}, 120_000);

/** Established TCP connections the kubelet's port has accepted (/proc/net/tcp: local port, state 01). */
async function kubeletConnections(): Promise<number> {
  const rows = (await readFile('/proc/net/tcp', 'utf8')).split('\n').slice(1);
  return rows.filter((row) => {
    const [, local, , state] = row.trim().split(/\s+/);
    return state === '01' && Number.parseInt(local?.split(':')[1] ?? '', 16) === kubeletPort;
  }).length;
}

/** The connections to the kubelet's port while `kubectl exec` runs a command that waits on its stdin. */
async function connectionsDuringExec(): Promise<number> {
  const k = startKubectl(on(), ['exec', '-i', 'web', '--', 'sh', '-c', 'echo started; cat >/dev/null'], 'pipe');
  try {
    let out = '';
    k.child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
    await eventually(async () => out.includes('started'), 'exec started', 30_000);
    return await kubeletConnections();
  } finally {
    k.child.stdin?.end();
    await k.stop();
  }
}

describe('streams to the kubelet in the API server’s process', () => {
  it('go to its handler on the client’s connection: none reaches its port; output, exit codes and stdin pass', async () => {
    expect(await connectionsDuringExec()).toBe(0);
    await expectExecOutErrExit(on(), 'web');
    await expectExecStdinEchoed(on(), 'web');
    await expectPortForward(on(), 'web', 8080, 'hello from web\n', { sequential: 20, concurrent: 10 });
  }, 120_000);

  it('switched off, go over its TLS port as to any other node', async () => {
    process.env.SKIFF_KUBELET_STREAMS_IN_PROCESS = '0';
    try {
      expect(await connectionsDuringExec()).toBe(1);
      await expectExecOutErrExit(on(), 'web');
      await expectPortForward(on(), 'web', 8080, 'hello from web\n', { sequential: 20, concurrent: 10 });
    } finally {
      delete process.env.SKIFF_KUBELET_STREAMS_IN_PROCESS;
    }
  }, 120_000);

  it('refuse as the TLS path does: the kubelet’s words in the same Status', async () => {
    // A container that has exited in a pod that still runs: the kubelet, not the API server, refuses.
    await c.createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'half-done' },
      spec: {
        nodeName: c.node,
        terminationGracePeriodSeconds: 1,
        restartPolicy: 'Never',
        containers: [
          { name: 'done', image: c.image, command: ['true'] },
          { name: 'app', image: c.image, command: ['sleep', '3600'] },
        ],
      },
    });
    await eventually(async () => {
      const st = (await c.getPod('half-done')).status;
      return st?.phase === 'Running' && !!st.containerStatuses?.find((s) => s.name === 'done')?.state?.terminated;
    }, 'container done exited, pod Running', 90_000);
    const refusal = () => runKubectl(on(), ['exec', 'half-done', '-c', 'done', '--', 'true']);
    const direct = await refusal();
    process.env.SKIFF_KUBELET_STREAMS_IN_PROCESS = '0';
    const overTls = await refusal().finally(() => delete process.env.SKIFF_KUBELET_STREAMS_IN_PROCESS);
    expect(direct.code).toBe(1);
    expect(direct.stderr).toMatch(/BadRequest.*container "done" in pod "half-done" is not running/);
    expect(overTls.code).toBe(1);
    expect(overTls.stderr).toBe(direct.stderr);
  }, 120_000);
});
