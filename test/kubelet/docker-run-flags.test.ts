// The seed's `docker run --memory 200m --memory-swap 1G --cpu-shares 1024 --publish` through the
// cluster, end to end on the real parts: `skiff run` with docker's flags, and the same pod as a
// manifest applied with the real kubectl, through the real scheduler (it used to refuse them:
// "Insufficient skiff.dev/memory-swap"), the kubelet and skiff's runtime. Each pod runs,
// answers on its published port, and its container's cgroup holds docker's numbers on the
// hierarchy this machine uses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Pod } from '../../api/types/core.js';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { RestClient } from '../../client/rest.js';
import { Scheduler } from '../../scheduler/scheduler.js';
import { expectDockerRunCgroup } from '../fixtures/cgroups.js';
import { freePort } from '../fixtures/ports.js';
import { repoRoot, skiffEntry } from '../fixtures/process.js';
import { eventually, startNodeCluster, type NodeCluster } from './harness.js';
import { haveKubectl, KUBECTL } from '../compat/kubectl-harness.js';

const exec = promisify(execFile);

let c: NodeCluster;
let dir = '';
let schedClient: RestClient | undefined;
let stopScheduler: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // The kubelet's server gives the API server its HTTPS side, which kubectl needs to send a token.
  c = await startNodeCluster({ kubeletServer: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-docker-run-'));
  const { api } = c.controlPlane;
  schedClient = new RestClient({ server: api.url, token: api.schedulerToken, namespace: 'default' });
  const s = new Scheduler({ client: schedClient, identity: `docker-run-${process.pid}` });
  const ac = new AbortController();
  const done = s.run(ac.signal);
  stopScheduler = async () => {
    ac.abort();
    await done.catch(() => undefined);
  };
}, 120_000);

afterAll(async () => {
  await stopScheduler?.();
  schedClient?.close();
  await c?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 180_000);

async function skiff(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const kubeconfig = path.join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, buildKubeconfig({ server: c.apiUrl, token: c.adminToken, name: 'test' }));
  return exec(process.execPath, [skiffEntry, ...args], { cwd: repoRoot, timeout: 90_000, env: { ...process.env, KUBECONFIG: kubeconfig, HOME: dir } });
}


async function kubectl(args: string[]): Promise<{ stdout: string; stderr: string }> {
  const https = c.apiHttps;
  if (!https) throw new Error('no HTTPS API server');
  const kubeconfig = path.join(dir, 'kubeconfig-https');
  await writeKubeconfig(kubeconfig, buildKubeconfig({ server: https.url, ca: await readFile(https.caFile), token: c.adminToken, name: 'test' }));
  return exec(KUBECTL, ['--kubeconfig', kubeconfig, '-n', c.ns, ...args], { timeout: 60_000, env: { ...process.env, HOME: dir } });
}

async function httpStatus(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

describe("docker run's resource flags through the cluster", () => {
  it('skiff run --publish --memory 200m --memory-swap 1G --cpu-shares 1024 runs, answers, and sets the cgroup as docker does', async () => {
    const port = await freePort();
    const run = await skiff([
      'run', 'web', '-n', c.ns, '--image', c.image, '--publish', `${port}:8080`,
      '--memory', '200m', '--memory-swap', '1G', '--cpu-shares', '1024', '--wait', '--timeout', '60s',
      '--command', '--', 'httpd', '-f', '-p', '8080', '-h', '/etc',
    ]);
    expect(run.stdout).toContain('pod/web created');

    await expectRunsAsDockerWould('web', port);
  }, 150_000);

  it.runIf(haveKubectl)('a Pod manifest with a skiff.dev/memory-swap limit, applied with kubectl, runs the same', async () => {
    const port = await freePort();
    const manifest: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-manifest' },
      spec: {
        containers: [
          {
            name: 'web',
            image: c.image,
            command: ['httpd', '-f', '-p', '8080', '-h', '/etc'],
            ports: [{ containerPort: 8080, hostPort: port }],
            resources: { requests: { cpu: '1' }, limits: { memory: '200Mi', 'skiff.dev/memory-swap': '1Gi' } },
          },
        ],
      },
    };
    const file = path.join(dir, 'web-manifest.json');
    await writeFile(file, JSON.stringify(manifest));
    expect((await kubectl(['apply', '-f', file])).stdout).toContain('pod/web-manifest created');
    await expectRunsAsDockerWould('web-manifest', port);
  }, 150_000);
});

/** Bound by the scheduler, Running, answering on the published port, docker's numbers in its cgroup; then deleted. */
async function expectRunsAsDockerWould(name: string, port: number): Promise<void> {
  const p = await c.waitPod(name, (x) => x.status?.phase === 'Running', 'Running', 60_000);
  expect(p.spec.nodeName).toBe(c.node);
  expect(p.spec.containers[0]?.resources).toEqual({ requests: { cpu: '1', memory: '200Mi' }, limits: { memory: '200Mi', 'skiff.dev/memory-swap': '1Gi' } });
  const answers = await eventually(async () => ((await httpStatus(`http://127.0.0.1:${port}/hostname`)) === 200 ? true : undefined), `${name} answers on the published port`, 30_000).catch(async (e: Error) => {
    // What the host's nat table holds for it, for whoever reads the failure.
    const nat = (await exec('iptables-save', ['-t', 'nat']).catch((x: Error) => ({ stdout: x.message }))).stdout;
    const relevant = nat.split('\n').filter((l) => l.includes(String(port)) || /HOSTPORT|^-A (PREROUTING|OUTPUT|POSTROUTING)/.test(l));
    throw new Error(`${e.message}; pod IP ${p.status?.podIP}; nat rules:\n${relevant.join('\n')}`);
  });
  expect(answers).toBe(true);

  const id = (p.status?.containerStatuses?.[0]?.containerID ?? '').replace(/^[a-z]+:\/\//, '');
  const cgroup = c.runtime.containerCgroup(id);
  if (!cgroup) throw new Error(`no cgroup for container ${id}`);
  await expectDockerRunCgroup(cgroup);

  // httpd as PID 1 ignores SIGTERM: a short grace period keeps the suite short.
  await c.admin.pods.delete(name, { namespace: c.ns, gracePeriodSeconds: 1 });
  await c.waitGone(name, 60_000);
}
