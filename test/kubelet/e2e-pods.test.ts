// End to end on the real parts: etcd, API server, local registry, the kubelet and skiff's
// runtime (conmon + crun/runc, overlayfs, cgroups, CNI). Pods are bound by setting
// spec.nodeName (the scheduler has its own suites).
import { describe, expect, it } from 'vitest';
import type { Container, Pod } from '../../api/types/core.js';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isRuntimeError } from '../../runtime/cri.js';
import { ImageService } from '../../runtime/image-service.js';
import { buildBusyboxImage, pushImage } from '../fixtures/images.js';
import { eventually, nodeClusterPerFile, type NodeCluster } from './harness.js';

let c: NodeCluster;

nodeClusterPerFile({}, (started) => {
  c = started;
});

function pod(name: string, containers: Container[], extra: Partial<Pod['spec']> = {}): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: c.node, terminationGracePeriodSeconds: 2, containers, ...extra } };
}

const sh = (name: string, script: string, extra: Partial<Container> = {}): Container => ({ name, image: c.image, command: ['sh', '-c', script], ...extra });
const running = (p: Pod) => p.status?.phase === 'Running';
const state = (p: Pod, i = 0) => p.status?.containerStatuses?.[i];

describe('kubelet end to end', () => {
  it('a pod with two containers, env, command/args, ports and resources goes Running with a pod IP; env reaches the process', async () => {
    await c.createPod(
      pod('two', [
        sh('web', 'echo "$GREETING from $POD_NAME at $POD_IP" > /tmp/hello; exec sleep 3600', {
          env: [
            { name: 'GREETING', value: 'hello' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          ],
          ports: [{ containerPort: 8080 }],
          resources: { requests: { cpu: '100m', memory: '32Mi' }, limits: { cpu: '500m', memory: '64Mi' } },
        }),
        { name: 'side', image: c.image, command: ['sleep'], args: ['3600'] },
      ]),
    );
    const p = await c.waitPod('two', (x) => running(x) && x.status?.conditions?.find((k) => k.type === 'Ready')?.status === 'True', 'Running and Ready', 60_000);
    expect(p.status?.podIP).toMatch(/^10\.89\./);
    expect(p.status?.containerStatuses?.map((s) => [s.name, s.ready, s.restartCount])).toEqual([
      ['web', true, 0],
      ['side', true, 0],
    ]);
    expect(p.status?.containerStatuses?.[0].imageID).toContain('sha256:');
    const id = (p.status?.containerStatuses?.[0].containerID ?? '').replace(/^[a-z]+:\/\//, '');
    const out = await c.runtime.execSync(id, ['cat', '/tmp/hello'], 5);
    expect(out.stdout.toString().trim()).toBe(`hello from two at ${p.status?.podIP}`);
  });

  it.each([
    ['Never', 1, 'Failed'],
    ['Never', 0, 'Succeeded'],
    ['OnFailure', 0, 'Succeeded'],
  ] as const)('restartPolicy %s, exit %i: %s with restartCount 0', async (policy, code, phase) => {
    const name = `exit-${policy.toLowerCase()}-${code}`;
    await c.createPod(pod(name, [sh('app', `exit ${code}`)], { restartPolicy: policy }));
    const p = await c.waitPod(name, (x) => x.status?.phase === phase, phase, 60_000);
    expect(state(p)?.state?.terminated?.exitCode).toBe(code);
    expect(state(p)?.state?.terminated?.reason).toBe(code === 0 ? 'Completed' : 'Error');
    expect(state(p)?.restartCount).toBe(0);
  });

  it('a crashing container under Always restarts, then shows CrashLoopBackOff with its last exit', async () => {
    await c.createPod(pod('crash', [sh('app', 'exit 3')]));
    const p = await c.waitPod('crash', (x) => state(x)?.state?.waiting?.reason === 'CrashLoopBackOff', 'CrashLoopBackOff', 60_000);
    expect(p.status?.phase).toBe('Running');
    expect(state(p)?.restartCount).toBeGreaterThanOrEqual(1);
    expect(state(p)?.lastState?.terminated?.exitCode).toBe(3);
    expect(state(p)?.state?.waiting?.message).toMatch(/^back-off \d+s restarting failed container=app pod=crash_/);

    // Each sync in backoff repeats the BackOff event: one Event object whose count grows.
    const backoff = await eventually(async () => {
      const list = await c.admin.events.list({ namespace: c.ns });
      const mine = list.items.filter((e) => e.involvedObject.name === 'crash' && e.reason === 'BackOff');
      // Timestamps have whole seconds: wait for a repeat in a later second, too.
      const later = Date.parse(mine[0]?.lastTimestamp ?? '') > Date.parse(mine[0]?.firstTimestamp ?? '');
      return mine.length === 1 && (mine[0].count ?? 0) >= 2 && later ? mine : undefined;
    }, 'one BackOff event with count >= 2', 60_000);
    expect(backoff[0]).toMatchObject({ type: 'Warning', source: { component: 'kubelet', host: c.node }, message: expect.stringMatching(/^Back-off restarting failed container app in pod crash_/) });
  });

  it('terminationMessagePath: what the container wrote there is the message of its exit', async () => {
    await c.createPod(pod('tmsg', [sh('app', 'echo bye > /dev/termination-log; exit 3')], { restartPolicy: 'Never' }));
    const p = await c.waitPod('tmsg', (x) => x.status?.phase === 'Failed', 'Failed', 60_000);
    expect(state(p)?.state?.terminated).toMatchObject({ exitCode: 3, reason: 'Error', message: 'bye\n' });
  });

  it('terminationMessagePath elsewhere, as a non-root user; FallbackToLogsOnError takes the log tail when the file is empty', async () => {
    await c.createPod(
      pod(
        'tmsg2',
        [
          sh('custom', 'echo "done as $(id -u)" > /tmp/msg', { terminationMessagePath: '/tmp/msg', securityContext: { runAsUser: 1234 } }),
          sh('fallback', 'for i in $(seq 1 100); do echo line $i; done; exit 2', { terminationMessagePolicy: 'FallbackToLogsOnError' }),
          sh('nofallback', 'echo only in the log; exit 2'),
        ],
        { restartPolicy: 'Never' },
      ),
    );
    const p = await c.waitPod('tmsg2', (x) => x.status?.phase === 'Failed', 'Failed', 60_000);
    expect(state(p, 0)?.state?.terminated).toMatchObject({ exitCode: 0, message: 'done as 1234\n' });
    const tail = state(p, 1)?.state?.terminated?.message ?? '';
    expect(tail.split('\n').filter(Boolean)).toEqual(Array.from({ length: 80 }, (_, i) => `line ${i + 21}`));
    expect(state(p, 2)?.state?.terminated?.exitCode).toBe(2);
    expect(state(p, 2)?.state?.terminated?.message).toBeUndefined();
  });

  it('a container over its memory limit is OOMKilled, shown in lastState after the restart', async () => {
    const limits = { memory: '16Mi', 'skiff.dev/memory-swap': '16Mi' };
    await c.createPod(pod('oom', [sh('app', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); sleep 3600', { resources: { limits } })]));
    const p = await c.waitPod('oom', (x) => state(x)?.lastState?.terminated?.reason === 'OOMKilled', 'OOMKilled in lastState', 60_000);
    expect(state(p)?.lastState?.terminated?.exitCode).toBe(137);
    expect(state(p)?.restartCount).toBeGreaterThanOrEqual(1);
  });

  it('a missing image gives ErrImagePull with the registry message, then ImagePullBackOff', async () => {
    await c.createPod(pod('noimage', [{ name: 'app', image: `${c.registryHost}/nothing:here` }]));
    const p = await c.waitPod('noimage', (x) => state(x)?.state?.waiting?.reason === 'ErrImagePull', 'ErrImagePull', 60_000);
    expect(state(p)?.state?.waiting?.message).toBeTruthy();
    await c.waitPod('noimage', (x) => state(x)?.state?.waiting?.reason === 'ImagePullBackOff', 'ImagePullBackOff', 60_000);
    expect(p.status?.phase).toBe('Pending');
  });

  it("pulls through the registry's auth: the node's registries.yaml (0600) carries the credentials the registry wants", async () => {
    const { reg, store, registriesYaml } = c.controlPlane;
    if (!reg?.auth || !store || !registriesYaml) throw new Error('the control plane has no registry');
    expect((await stat(registriesYaml)).mode & 0o777).toBe(0o600);
    await pushImage(reg.host, 'authpull:1', store, await buildBusyboxImage(store, { config: { Cmd: ['sleep', '3600'] } }), reg.auth);
    const anonymous = await new ImageService({ root: path.join(c.runtimeRoot, '..', 'anonymous') }).pullImage({ image: `${reg.host}/authpull:1` }).catch((e: unknown) => e);
    expect(isRuntimeError(anonymous, 'Unauthenticated'), String(anonymous)).toBe(true);
    await c.createPod(pod('authpull', [{ name: 'app', image: `${reg.host}/authpull:1` }]));
    const p = await c.waitPod('authpull', running, 'Running', 60_000);
    expect(state(p)?.imageID).toBeTruthy();
  });

  it('a failing httpGet liveness probe restarts the container; a failing readiness probe keeps it Running but not Ready', async () => {
    await c.createPod(
      pod('probes', [
        sh('live', 'exec sleep 3600', { livenessProbe: { httpGet: { port: 8081, path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 } }),
        sh('unready', 'exec sleep 3600', { readinessProbe: { tcpSocket: { port: 8082 }, periodSeconds: 1 } }),
      ]),
    );
    const p = await c.waitPod('probes', (x) => (state(x, 0)?.restartCount ?? 0) >= 1, 'liveness restart', 60_000);
    expect(p.status?.phase).toBe('Running');
    const q = await c.waitPod('probes', (x) => !!state(x, 1)?.state?.running, 'unready running');
    expect(state(q, 1)?.ready).toBe(false);
    expect(q.status?.conditions?.find((k) => k.type === 'Ready')?.status).toBe('False');
    const events = await eventually(async () => {
      const list = await c.admin.events.list({ namespace: c.ns });
      const mine = list.items.filter((e) => e.involvedObject.name === 'probes');
      return mine.some((e) => e.reason === 'Killing') ? mine : undefined;
    }, 'Unhealthy and Killing events');
    const unhealthy = events.filter((e) => e.reason === 'Unhealthy').map((e) => e.message ?? '');
    expect(unhealthy.some((m) => m.startsWith('Liveness probe failed: '))).toBe(true);
    expect(unhealthy.some((m) => m.startsWith('Readiness probe failed: '))).toBe(true);
  });

  it('a graceful delete stops the containers and removes the pod; the sandbox goes too', async () => {
    await c.createPod(pod('bye', [sh('app', 'trap "exit 0" TERM; while true; do sleep 0.2; done')]));
    const p = await c.waitPod('bye', running, 'Running', 60_000);
    await c.admin.pods.delete('bye', { namespace: c.ns, gracePeriodSeconds: 5 });
    await c.waitGone('bye', 30_000);
    const left = (await c.runtime.listPodSandbox()).filter((s) => s.metadata.uid === p.metadata.uid);
    expect(left).toEqual([]);
  });

  it('preStop hooks run before the stop signal: an exec hook first, a sleep hook holding SIGTERM back for its seconds', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'skiff-prestop-'));
    try {
      // Each container's TERM trap notes whether its exec hook's file was there, and when it came.
      const trap = (n: string) => `trap 'if [ -f /out/${n}-hook ]; then echo after > /out/${n}-term; else echo before > /out/${n}-term; fi; cut -d" " -f1 /proc/uptime >> /out/${n}-term; exit 0' TERM; while true; do sleep 0.2; done`;
      const mount = [{ name: 'out', mountPath: '/out' }];
      await c.createPod(
        pod('prestop', [
          sh('exec', trap('exec'), { volumeMounts: mount, lifecycle: { preStop: { exec: { command: ['sh', '-c', 'touch /out/exec-hook'] } } } }),
          sh('sleep', trap('sleep'), { volumeMounts: mount, lifecycle: { preStop: { sleep: { seconds: 3 } } } }),
        ], { terminationGracePeriodSeconds: 10, volumes: [{ name: 'out', hostPath: { path: out } }] }),
      );
      await c.waitPod('prestop', (x) => (x.status?.containerStatuses ?? []).filter((s) => s.state?.running).length === 2, 'both running', 60_000);
      const deletedAt = Number((await readFile('/proc/uptime', 'utf8')).split(' ')[0]);
      await c.admin.pods.delete('prestop', { namespace: c.ns });
      await c.waitGone('prestop', 30_000);
      const [execTerm, sleepTerm] = await Promise.all(['exec', 'sleep'].map((n) => readFile(path.join(out, `${n}-term`), 'utf8')));
      expect(execTerm.split('\n')[0]).toBe('after');
      expect(Number(sleepTerm.split('\n')[1]) - deletedAt).toBeGreaterThanOrEqual(3);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
