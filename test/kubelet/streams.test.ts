// kubectl exec and kubectl port-forward into a real pod (conmon + runc, CNI) through the real
// API server and the kubelet's streaming endpoints, with the kubectl versions that speak each
// envelope: 1.33 (exec over WebSocket v5, port-forward tunnelled in a WebSocket), 1.30 (exec
// over WebSocket, port-forward over SPDY) and 1.27 (both over SPDY).
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
