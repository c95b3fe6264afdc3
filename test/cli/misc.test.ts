// The verbs around the objects: version, cluster-info, config (reading and switching
// contexts in a kubeconfig kubectl could use too), logs errors, and what an unreachable
// server looks like.
import { readFile, writeFile } from 'node:fs/promises';
import { describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import type { Kubeconfig } from '../../client/kubeconfig.js';
import { freePort } from '../fixtures/ports.js';
import { cliClusterPerFile, type CliCluster } from './harness.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

let c: CliCluster;
cliClusterPerFile((started) => {
  c = started;
});

describe('cluster verbs', () => {
  it('version and cluster-info reach the server', async () => {
    const v = await c.skiff(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^Client Version: v\S+\nServer Version: \S+\n$/);
    const info = await c.skiff(['cluster-info']);
    expect(info).toMatchObject({ code: 0 });
    expect(info.stdout.split('\n')[0]).toBe(`Kubernetes control plane is running at ${c.api.url}`);
  });

  it('run --wait shows the pod\'s events until it runs', async () => {
    const run = c.spawn(['run', 'waiter', '--image', 'busybox', '--wait', '-n', 'default']);
    try {
      await vi.waitFor(async () => expect((await c.rest.pods.get('waiter')).metadata.uid).toBeTruthy(), { timeout: 120_000, interval: 200 });
      const uid = (await c.rest.pods.get('waiter')).metadata.uid;
      const now = new Date().toISOString();
      await c.rest.events.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'waiter.pulled', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'waiter', namespace: 'default', uid },
        reason: 'Pulled',
        message: 'Successfully pulled image "busybox"',
        type: 'Normal',
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      });
      await vi.waitFor(() => expect(run.output()).toContain('Normal  Pulled  Successfully pulled image "busybox"'), { timeout: 60_000, interval: 200 });
      expect(run.child.exitCode).toBeNull();
      await c.rest.pods.patchStatus('waiter', {
        status: { phase: 'Running', containerStatuses: [{ name: 'waiter', ready: true, restartCount: 0, image: 'busybox', imageID: '', state: { running: { startedAt: now } } }] },
      });
      expect((await run.exited).code).toBe(0);
      expect(run.output()).toContain('pod/waiter is running (1/1 ready)');
    } finally {
      await run.stop(2000);
    }
  });

  it('config switches contexts in the file, and get follows the context\'s namespace', async () => {
    // A second context for the same cluster, defaulting to namespace "other".
    const cfg = parseYaml(await readFile(c.kubeconfig, 'utf8')) as Kubeconfig;
    cfg.contexts.push({ name: 'other', context: { cluster: 'test', user: cfg.users[0]?.name ?? '', namespace: 'other' } });
    await writeFile(c.kubeconfig, toYaml(cfg));

    const view = await c.skiff(['config', 'view']);
    expect(view.stdout).toContain('token: REDACTED');
    expect(view.stdout).not.toContain(c.api.adminToken);

    expect(await c.skiff(['config', 'use-context', 'other'])).toMatchObject({ code: 0, stdout: 'Switched to context "other".\n' });
    expect(await c.skiff(['config', 'current-context'])).toMatchObject({ stdout: 'other\n' });
    expect((parseYaml(await readFile(c.kubeconfig, 'utf8')) as Kubeconfig)['current-context']).toBe('other');
    expect(await c.skiff(['get', 'pods'])).toMatchObject({ code: 0, stderr: 'No resources found in other namespace.\n' });
    expect(await c.skiff(['config', 'use-context', 'nope'])).toMatchObject({ code: 1, stderr: 'error: no context exists with the name: "nope"\n' });
  });

  it('logs of a missing pod is the server\'s NotFound', async () => {
    expect(await c.skiff(['logs', 'nope', '-n', 'default'])).toMatchObject({ code: 1, stderr: 'Error from server (NotFound): pods "nope" not found\n' });
  });

  it('an unreachable server is one line and exit code 1', async () => {
    const port = await freePort();
    const r = await c.skiff(['get', 'pods', '--server', `http://127.0.0.1:${port}`]);
    expect(r).toMatchObject({ code: 1, stdout: '', stderr: `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?\n` });
  });
});
