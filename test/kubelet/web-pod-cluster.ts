// What the streaming suites (kubectl's and skiff's exec, cp and port-forward) start from: a node
// cluster whose kubelet serves streams, a kubeconfig for its HTTPS API server with the admin
// token (kubectl sends tokens over HTTPS only), and the pod `web`: busybox httpd on 8080
// answering "hello from web\n".
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { eventually, startNodeCluster, type NodeCluster } from './harness.js';

export interface WebPodCluster {
  c: NodeCluster;
  dir: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

export async function startWebPodCluster(): Promise<WebPodCluster> {
  const c = await startNodeCluster({ kubeletServer: true });
  const dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-streams-'));
  const stop = async () => {
    await c.teardown();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const kubeconfig = path.join(dir, 'kubeconfig');
    const https = c.apiHttps;
    if (!https) throw new Error('no HTTPS API server');
    await writeKubeconfig(kubeconfig, buildKubeconfig({ server: https.url, ca: await readFile(https.caFile), token: c.adminToken, name: 'streams' }));
    await c.createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: {
        nodeName: c.node,
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: c.image, command: ['sh', '-c', 'mkdir -p /www && echo hello from web > /www/index.html && exec httpd -f -p 8080 -h /www'] }],
      },
    });
    let last: unknown;
    await eventually(async () => {
      const st = (await c.getPod('web')).status;
      last = st;
      return st?.phase === 'Running';
    }, 'pod web Running', 90_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(last)}`);
    });
    return { c, dir, kubeconfig, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
