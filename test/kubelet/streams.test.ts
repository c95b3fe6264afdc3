// kubectl exec, attach and port-forward into a real pod (conmon + runc, CNI) through the real
// API server and the kubelet's streaming endpoints, with the kubectl versions that speak each
// envelope: 1.33 (exec and attach over WebSocket v5, port-forward tunnelled in a WebSocket),
// 1.30 (exec and attach over WebSocket, port-forward over SPDY) and 1.27 (all over SPDY).
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../api/types/core.js';
import { freePort } from '../fixtures/ports.js';
import { haveTool } from '../fixtures/tools.js';
import { eventually, type NodeCluster } from './harness.js';
import { startWebPodCluster, type WebPodCluster } from './web-pod-cluster.js';

const KUBECTL = '/usr/bin/kubectl';
/** Where the versioned binaries (kubectl.1.27, ...) sit: beside the real kubectl. */
const kubectlDir = haveTool(KUBECTL) ? path.dirname(realpathSync(KUBECTL)) : '';

let cluster: WebPodCluster | undefined;
let c: NodeCluster;
let kubeconfig = '';

/** A versioned kubectl beside the real one ("1.27"), or the default. */
function kubectl(version?: string): string {
  return version ? path.join(kubectlDir, `kubectl.${version}`) : KUBECTL;
}

function run(bin: string, args: string[], input?: Buffer): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--kubeconfig', kubeconfig, '-n', c.ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.end(input);
  });
}

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

/** A kubectl left running, its output gathered as it comes. */
function started(bin: string, args: string[]): { child: ReturnType<typeof spawn>; output: () => string } {
  const child = spawn(bin, ['--kubeconfig', kubeconfig, '-n', c.ns, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  return { child, output: () => out };
}

beforeAll(async () => {
  cluster = await startWebPodCluster();
  ({ c, kubeconfig } = cluster);
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

describe.runIf(haveTool(KUBECTL))('kubectl exec', () => {
  for (const version of [undefined, '1.30', '1.27']) {
    it(`${version ?? 'default'}: stdout and stderr apart, and the exit code`, async () => {
      const r = await run(kubectl(version), ['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
      expect(r.stdout.toString()).toBe('out\n');
      expect(r.stderr).toContain('err\n');
      expect(r.code).toBe(3);
    });
  }

  it('-i: 10 MiB of stdin through cat, byte for byte', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const r = await run(kubectl(), ['exec', '-i', 'web', '--', 'cat'], data);
    expect(r.code, r.stderr).toBe(0);
    expect(createHash('sha256').update(r.stdout).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });
});

describe.runIf(haveTool(KUBECTL))('kubectl port-forward', () => {
  for (const version of [undefined, '1.30', '1.27']) {
    it(`${version ?? 'default'}: answers sequential and concurrent requests`, async () => {
      const local = await freePort();
      const pf = spawn(kubectl(version), ['--kubeconfig', kubeconfig, '-n', c.ns, 'port-forward', 'pod/web', `${local}:8080`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let log = '';
      pf.stdout.on('data', (b: Buffer) => (log += b.toString()));
      pf.stderr.on('data', (b: Buffer) => (log += b.toString()));
      try {
        await eventually(async () => log.includes('Forwarding from'), `port-forward ready (${log})`, 30_000);
        for (let i = 0; i < 200; i++) {
          const res = await fetch(`http://127.0.0.1:${local}/`);
          expect(await res.text()).toBe('hello from web\n');
        }
        const many = await Promise.all(Array.from({ length: 50 }, () => fetch(`http://127.0.0.1:${local}/`).then((r) => r.text())));
        expect(many.every((t) => t === 'hello from web\n')).toBe(true);
      } finally {
        pf.kill('SIGTERM');
      }
    }, 120_000);
  }
});

describe.runIf(haveTool(KUBECTL))('kubectl attach', () => {
  for (const version of [undefined, '1.30', '1.27']) {
    it(`${version ?? 'default'} -i: piped stdin echoed back by cat; with stdinOnce its end ends the container`, async () => {
      const name = `cat-once-${(version ?? 'default').replace('.', '-')}`;
      await runningPod(name, { command: ['cat'], stdin: true, stdinOnce: true });
      const r = await run(kubectl(version), ['attach', '-i', name], Buffer.from('hello through attach\n'));
      expect(r.stdout.toString(), r.stderr).toBe('hello through attach\n');
      await eventually(async () => (await c.getPod(name)).status?.phase === 'Succeeded', `pod ${name} Succeeded`, 30_000);
    }, 120_000);
  }

  it('a client that goes away detaches: the container runs on, with its stdin, for the next one', async () => {
    await runningPod('cat-keep', { command: ['cat'], stdin: true });
    for (const [version, line] of [
      [undefined, 'first'],
      ['1.27', 'second'],
    ] as const) {
      const k = started(kubectl(version), ['attach', '-i', 'cat-keep']);
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
        k.child.kill('SIGKILL');
      }
      await new Promise((r) => k.child.once('close', r));
      expect((await c.getPod('cat-keep')).status?.phase).toBe('Running');
    }
  }, 120_000);

  it('-it: a shell on the container\'s terminal, at the size of the client\'s', async () => {
    await runningPod('shell', { command: ['sh'], stdin: true, tty: true });
    const term = pty.spawn(kubectl(), ['--kubeconfig', kubeconfig, '-n', c.ns, 'attach', '-it', 'shell'], { cols: 97, rows: 31, env: { ...process.env, TERM: 'xterm' } });
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
      await eventually(async () => (await c.getPod('shell')).status?.phase === 'Succeeded', 'pod shell Succeeded', 30_000);
    } finally {
      term.kill();
    }
  }, 120_000);
});
