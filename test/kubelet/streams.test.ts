// kubectl exec, attach and port-forward into a real pod (conmon + runc, CNI) through the real
// API server and the kubelet's streaming endpoints, with the kubectl versions that speak each
// envelope: 1.33 (exec and attach over WebSocket v5, port-forward tunnelled in a WebSocket),
// 1.30 (exec and attach over WebSocket, port-forward over SPDY) and 1.27 (all over SPDY).
// Named explicitly: the default kubectl is a dispatcher that runs the server's minor (1.30).
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../api/types/core.js';
import { KUBECTL, KUBECTL_VERSIONS, expectExecOutErrExit, expectExecStdinEchoed, expectPortForward, kubectlBinary, runKubectl, startKubectl, type KubectlOn } from '../fixtures/kubectl-stream-checks.js';
import { haveTool } from '../fixtures/tools.js';
import { eventually, type NodeCluster } from './harness.js';
import { startWebPodCluster, type WebPodCluster } from './web-pod-cluster.js';

let cluster: WebPodCluster | undefined;
let c: NodeCluster;
let kubeconfig = '';
const on = (version: string): KubectlOn => ({ kubeconfig, namespace: c.ns, version });

/** What busybox's shell writes after its prompt: a query for the cursor's position (DSR). */
const CURSOR_QUERY = '\u001b[6n';

/** A pod of one container `app` on the node, and once it runs. */
async function runningPod(name: string, container: Omit<Container, 'name' | 'image'>): Promise<void> {
  await c.createPod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name },
    spec: { nodeName: c.node, terminationGracePeriodSeconds: 1, restartPolicy: 'Never', containers: [{ name: 'app', image: c.image, ...container }] },
  });
  await eventually(async () => (await c.getPod(name)).status?.phase === 'Running', `pod ${name} Running`, 90_000);
}

beforeAll(async () => {
  cluster = await startWebPodCluster();
  ({ c, kubeconfig } = cluster);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

describe.runIf(haveTool(KUBECTL))('kubectl exec', () => {
  for (const version of KUBECTL_VERSIONS) {
    it(`${version}: stdout and stderr apart, and the exit code`, () => expectExecOutErrExit(on(version), 'web'));
  }

  it('1.33 -i: 10 MiB of stdin through cat, byte for byte', () => expectExecStdinEchoed(on('1.33'), 'web'));
});

describe.runIf(haveTool(KUBECTL))('kubectl port-forward', () => {
  for (const version of KUBECTL_VERSIONS) {
    it(`${version}: answers 200 sequential and 50 concurrent curls`, () => expectPortForward(on(version), 'web', 8080, 'hello from web\n'), 120_000);
  }
});

describe.runIf(haveTool(KUBECTL))('kubectl attach', () => {
  for (const version of KUBECTL_VERSIONS) {
    it(`${version} -i: piped stdin echoed back by cat; with stdinOnce its end ends the container`, async () => {
      const name = `cat-once-${version.replace('.', '-')}`;
      await runningPod(name, { command: ['cat'], stdin: true, stdinOnce: true });
      const r = await runKubectl(on(version), ['attach', '-i', name], 'hello through attach\n');
      expect(r.stdout.toString(), r.stderr).toBe('hello through attach\n');
      await eventually(async () => (await c.getPod(name)).status?.phase === 'Succeeded', `pod ${name} Succeeded`, 30_000);
    }, 120_000);
  }

  it('a client that goes away detaches: the container runs on, with its stdin, for the next one', async () => {
    await runningPod('cat-keep', { command: ['cat'], stdin: true });
    for (const [version, line] of [
      ['1.33', 'first'],
      ['1.27', 'second'],
    ] as const) {
      const k = startKubectl(on(version), ['attach', '-i', 'cat-keep'], 'pipe');
      try {
        // Written until echoed: kubectl may still be connecting when the first line goes.
        await eventually(
          async () => {
            k.child.stdin?.write(`${line}\n`);
            return k.output().includes(`${line}\n`);
          },
          `${line} echoed`,
          30_000,
          { intervalMs: 500 },
        ).catch((e: Error) => {
          throw new Error(`${e.message}; kubectl wrote ${JSON.stringify(k.output())}`);
        });
      } finally {
        await k.kill9();
      }
      expect((await c.getPod('cat-keep')).status?.phase).toBe('Running');
    }
  }, 120_000);

  for (const version of KUBECTL_VERSIONS) {
    it(`${version} -it: a shell on the container's terminal, at the size of the client's`, async () => {
      const name = `shell-${version.replace('.', '-')}`;
      await runningPod(name, { command: ['sh'], stdin: true, tty: true });
      const term = pty.spawn(kubectlBinary(version), ['--kubeconfig', kubeconfig, '-n', c.ns, 'attach', '-it', name], { cols: 97, rows: 31, env: { ...process.env, TERM: 'xterm' } });
      let out = '';
      term.onData((d) => (out += d));
      const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
      const failWith = (e: Error) => {
        throw new Error(`${e.message}; the terminal showed ${JSON.stringify(out)}`);
      };
      try {
        // The prompt came before the attach: enter asks for a new one.
        await eventually(
          async () => {
            term.write('\r');
            // busybox's prompt, perhaps followed by its query for the cursor's position
            return out.endsWith('/ # ') || out.endsWith(`/ # ${CURSOR_QUERY}`);
          },
          'a prompt',
          30_000,
          { intervalMs: 500 },
        ).catch(failWith);
        term.write('echo $((6 * 7)); stty size\r');
        await eventually(async () => /\r\n42\r\n31 97\r\n/.test(out), 'the answer and the size', 30_000).catch(failWith);
        term.resize(120, 40);
        // The new size reaches the container's terminal a moment later (SIGWINCH, as a window's).
        await eventually(
          async () => {
            term.write('stty size\r');
            return out.includes('\r\n40 120\r\n');
          },
          'the new size',
          30_000,
          { intervalMs: 500 },
        ).catch(failWith);
        term.write('exit\r');
        expect(await exited).toBe(0);
        await eventually(async () => (await c.getPod(name)).status?.phase === 'Succeeded', `pod ${name} Succeeded`, 30_000);
      } finally {
        term.kill();
      }
    }, 120_000);
  }
});
