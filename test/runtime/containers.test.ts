// Containers end to end on the real parts (conmon, crun/runc, overlayfs, CNI): logs with both
// streams and timestamps, exit codes and reasons, image/pod process rules, users, security
// defaults, mounts, stop signals and deadlines, exec, stats and log rotation.
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError, type PodSandboxConfig } from '../../runtime/cri.js';
import { runCommand } from '../../runtime/oci/command.js';
import { collectLogs, leftovers, runContainer, startHarness, waitExited, waitFor, type Harness } from './harness.js';

let h: Harness;
let sb: string;
let sc: PodSandboxConfig;

beforeAll(async () => {
  h = await startHarness();
  await h.images.addBusyboxImage('app', { entrypoint: ['sh', '-c'], cmd: ['echo from-image-cmd'], env: ['FROM_IMAGE=1', 'SHARED=image'], workingDir: '/tmp', user: 'app' });
  sc = h.sandboxConfig('web');
  sb = await h.rt.runPodSandbox(sc);
});
afterAll(async () => {
  await h?.teardown();
});

describe('logs and exit codes', () => {
  it('keeps stdout and stderr with timestamps and propagates the exit code', async () => {
    const before = Date.now();
    const id = await runContainer(h, sb, sc, h.containerConfig('out', { command: ['sh', '-c', 'echo to-stdout; echo to-stderr >&2; exit 3'] }));
    const st = await waitExited(h, id);
    expect(st.exitCode).toBe(3);
    expect(st.reason).toBe('Error');
    expect(st.startedAt).toBeGreaterThan(0);
    expect(st.finishedAt).toBeGreaterThanOrEqual(st.startedAt);
    const logs = await collectLogs(h.rt, id);
    expect(logs.map((l) => [l.stream, l.line])).toEqual([
      ['stdout', 'to-stdout'],
      ['stderr', 'to-stderr'],
    ]);
    for (const l of logs) {
      expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}/);
      expect(Date.parse(l.time.replace(/(\.\d{3})\d+/, '$1'))).toBeGreaterThanOrEqual(before - 1000);
    }
    const ok = await runContainer(h, sb, sc, h.containerConfig('ok', { command: ['true'] }));
    expect(await waitExited(h, ok)).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('reads tail, follow and the previous instance', async () => {
    const first = await runContainer(h, sb, sc, h.containerConfig('counter', { command: ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; done'] }));
    await waitExited(h, first);
    expect((await collectLogs(h.rt, first, { tailLines: 2 })).map((l) => l.line)).toEqual(['line4', 'line5']);
    const second = await runContainer(h, sb, sc, h.containerConfig('counter', { metadata: { name: 'counter', attempt: 1 }, command: ['sh', '-c', 'echo a; sleep 0.3; echo b'] }));
    // follow returns once the container has exited and its log is drained
    expect((await collectLogs(h.rt, second, { follow: true })).map((l) => l.line)).toEqual(['a', 'b']);
    expect((await collectLogs(h.rt, second, { previous: true })).map((l) => l.line)).toEqual(['line1', 'line2', 'line3', 'line4', 'line5']);
    const err = await collectLogs(h.rt, first, { previous: true }).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'NotFound')).toBe(true);
  });

  it('rotates a live log and conmon keeps writing to the new file', async () => {
    const id = await runContainer(h, sb, sc, h.containerConfig('rotating', { command: ['sh', '-c', 'echo before; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo after; sleep 30'] }));
    await waitFor(async () => (await collectLogs(h.rt, id)).length === 1, 'first line');
    await h.rt.rotateContainerLog(id, 3);
    await h.rt.execSync(id, ['touch', '/tmp/go'], 5);
    await waitFor(async () => (await collectLogs(h.rt, id)).length === 2, 'second line');
    const st = await h.rt.containerStatus(id);
    expect(await fs.readFile(`${st.logPath}.1`, 'utf8')).toMatch(/stdout F before\n$/);
    expect(await fs.readFile(st.logPath, 'utf8')).toMatch(/stdout F after\n$/);
    expect((await collectLogs(h.rt, id)).map((l) => l.line)).toEqual(['before', 'after']);
    await h.rt.stopContainer(id, 0);
  });
});

describe('process, user and security', () => {
  it("applies the image's Entrypoint/Cmd/Env/WorkingDir/User and the pod's overrides", async () => {
    const a = await runContainer(h, sb, sc, { metadata: { name: 'img', attempt: 0 }, image: { image: 'app' } });
    await waitExited(h, a);
    expect((await collectLogs(h.rt, a)).map((l) => l.line)).toEqual(['from-image-cmd']);

    const b = await runContainer(h, sb, sc, {
      metadata: { name: 'img-args', attempt: 0 },
      image: { image: 'app' },
      args: ['echo "$FROM_IMAGE $SHARED $HOSTNAME $HOME"; pwd; id'],
      envs: [{ key: 'SHARED', value: 'pod' }],
    });
    await waitExited(h, b);
    expect((await collectLogs(h.rt, b)).map((l) => l.line)).toEqual(['1 pod web /home/app', '/tmp', 'uid=1000(app) gid=1000(app) groups=50(staff)']);

    const c = await runContainer(h, sb, sc, {
      metadata: { name: 'img-cmd', attempt: 0 },
      image: { image: 'app' },
      command: ['id'],
      workingDir: '/',
      linux: { securityContext: { runAsUser: 65534, runAsGroup: 65534 } },
    });
    await waitExited(h, c);
    expect((await collectLogs(h.rt, c)).map((l) => l.line)).toEqual(['uid=65534(nobody) gid=65534(nogroup)']);
  });

  it("keeps a container's spec and record root's alone, and its non-root user still reads its /etc files", async () => {
    const c = await runContainer(h, sb, sc, {
      metadata: { name: 'private', attempt: 0 },
      image: { image: 'app' },
      command: ['sh', '-c', 'id -u; cat /etc/hostname; grep -c localhost /etc/hosts; test -r /etc/resolv.conf && echo resolv'],
      envs: [{ key: 'POD_SECRET', value: 's3cret' }],
      linux: { securityContext: { runAsUser: 65534, runAsGroup: 65534 } },
    });
    await waitExited(h, c);
    expect((await collectLogs(h.rt, c)).map((l) => l.line)).toEqual(['65534', 'web', '2', 'resolv']);
    // The pod's env is in the spec and the record: 0600 in 0700 directories of the state dir,
    // and the runtime root is 0700 too.
    const rt = path.join(h.root, 'rt');
    const state = h.stateDir;
    const dir = path.join(state, 'containers', c);
    const files = (await fs.readdir(dir)).filter((f) => f === 'config.json' || /^meta\.\d+\.json$/.test(f));
    expect(files).toContain('config.json');
    expect(files.length).toBeGreaterThan(1);
    expect(await fs.readFile(path.join(dir, 'config.json'), 'utf8')).toContain('POD_SECRET=s3cret');
    for (const f of files) expect((await fs.stat(path.join(dir, f))).mode & 0o777, f).toBe(0o600);
    for (const d of [rt, state, path.join(state, 'containers'), path.join(state, 'sandboxes'), dir, path.join(state, 'sandboxes', sb)]) expect((await fs.stat(d)).mode & 0o777, d).toBe(0o700);
  });

  it("gives Docker's default capabilities, masks /proc paths and honours read-only rootfs and noNewPrivs", async () => {
    const script = 'grep -E "^(CapBnd|NoNewPrivs)" /proc/self/status; cat /proc/kcore | wc -c; touch /x 2>/dev/null && echo rw || echo ro; (echo w > /proc/sys/kernel/hostname) 2>/dev/null || echo sys-ro';
    const id = await runContainer(h, sb, sc, h.containerConfig('sec', { command: ['sh', '-c', script], linux: { securityContext: { readonlyRootfs: true, noNewPrivs: true } } }));
    await waitExited(h, id);
    const lines = (await collectLogs(h.rt, id)).map((l) => l.line);
    // Docker's 14 default capabilities: 0x00000000a80425fb
    expect(lines).toContain('CapBnd:\t00000000a80425fb');
    expect(lines).toContain('NoNewPrivs:\t1');
    expect(lines).toContain('0'); // /proc/kcore is masked (bound to /dev/null)
    expect(lines).toContain('ro');
    expect(lines).toContain('sys-ro');
  });

  it('binds emptyDir-style and hostPath mounts, read-only when asked', async () => {
    const shared = path.join(h.root, 'pod-volumes', 'cache');
    const ro = path.join(h.root, 'host-ro');
    await fs.mkdir(ro, { recursive: true });
    await fs.writeFile(path.join(ro, 'config'), 'from-host\n');
    const id = await runContainer(h, sb, sc, h.containerConfig('vol', {
      command: ['sh', '-c', 'echo data > /cache/file; cat /etc/app/config; (echo x > /etc/app/other) 2>/dev/null || echo ro-mount'],
      mounts: [
        { containerPath: '/cache', hostPath: shared },
        { containerPath: '/etc/app', hostPath: ro, readonly: true },
      ],
    }));
    await waitExited(h, id);
    expect((await collectLogs(h.rt, id)).map((l) => l.line)).toEqual(['from-host', 'ro-mount']);
    expect(await fs.readFile(path.join(shared, 'file'), 'utf8')).toBe('data\n');
  });

  it('rejects bad input with a clear error and keeps serving', async () => {
    const e1 = await h.rt.createContainer(sb, h.containerConfig('bad', { image: { image: 'no-such-image' } }), sc).catch((e: unknown) => e);
    expect(isRuntimeError(e1, 'NotFound')).toBe(true);
    await h.images.addBusyboxImage('no-cmd', {});
    const e2 = await h.rt.createContainer(sb, { metadata: { name: 'nocmd', attempt: 0 }, image: { image: 'no-cmd' } }, sc).catch((e: unknown) => e);
    expect(isRuntimeError(e2, 'InvalidArgument')).toBe(true);
    const e5 = await h.rt.runPodSandbox({ metadata: { name: '', namespace: 'default', uid: 'x', attempt: 0 } }).catch((e: unknown) => e);
    expect(isRuntimeError(e5, 'InvalidArgument')).toBe(true);
    const e3 = await h.rt.createContainer(sb, h.containerConfig('baduser', { linux: { securityContext: { runAsUsername: 'ghost' } } }), sc).catch((e: unknown) => e);
    expect(isRuntimeError(e3, 'InvalidArgument')).toBe(true);
    const e4 = await h.rt.containerStatus('does-not-exist').catch((e: unknown) => e);
    expect(isRuntimeError(e4, 'NotFound')).toBe(true);
    // and the runtime still works
    const id = await runContainer(h, sb, sc, h.containerConfig('after-bad', { command: ['true'] }));
    expect((await waitExited(h, id)).exitCode).toBe(0);
  });
});

describe('a create that fails part way', () => {
  it('leaves no conmon, mount, bundle or log behind when it fails after conmon has started', async () => {
    // conmon is started first and held at its start pipe while the rootfs is mounted and the
    // user looked up; a user missing from the image fails the create after both have begun.
    const conmonsBefore = (await leftovers(h, [])).conmons.length;
    const bundlesBefore = await fs.readdir(path.join(h.stateDir, 'containers'));
    const err = await h.rt.createContainer(sb, h.containerConfig('ghostly', { linux: { securityContext: { runAsUsername: 'nobody-here' } } }), sc).catch((e: unknown) => e);
    expect(isRuntimeError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toMatch(/nobody-here/);
    await waitFor(async () => (await leftovers(h, [])).conmons.length === conmonsBefore, 'the held conmon to be gone');
    expect(await fs.readdir(path.join(h.stateDir, 'containers'))).toEqual(bundlesBefore);
    expect((await leftovers(h, [])).mounts.filter((l) => !bundlesBefore.some((b) => l.includes(b)))).toEqual([]);
    expect(await fs.readdir(path.join(h.root, 'rt', 'logs', sb, 'ghostly')).catch(() => [])).toEqual([]);
    // the same name works once the request is good, and runs as the image's user
    const ok = await runContainer(h, sb, sc, h.containerConfig('ghostly', { command: ['id', '-u'], linux: { securityContext: { runAsUsername: 'app' } } }));
    expect((await waitExited(h, ok)).exitCode).toBe(0);
    expect((await collectLogs(h.rt, ok)).map((l) => l.line)).toEqual(['1000']);
  });
});

describe('start', () => {
  it('starts a created container as the OCI runtime sees it, once, and refuses one whose process died before start', async () => {
    const oci = h.rt.ociRuntime;
    const state = async (id: string) => JSON.parse((await runCommand(oci.path, [`--root=${oci.stateRoot}`, 'state', id])).stdout) as { status: string };
    const id = await h.rt.createContainer(sb, h.containerConfig('started-once', { command: ['sleep', '30'] }), sc);
    expect((await state(id)).status).toBe('created');
    await h.rt.startContainer(id);
    expect((await state(id)).status).toBe('running');
    expect((await h.rt.containerStatus(id)).state).toBe('CONTAINER_RUNNING');
    const again = await h.rt.startContainer(id).catch((e: unknown) => e);
    expect(isRuntimeError(again, 'FailedPrecondition')).toBe(true);
    await h.rt.stopContainer(id, 0);

    // The created process is killed from outside before StartContainer: a clear error, not a hang.
    const doomed = await h.rt.createContainer(sb, h.containerConfig('doomed', { command: ['sleep', '30'] }), sc);
    await runCommand(oci.path, [`--root=${oci.stateRoot}`, 'kill', doomed, 'KILL']);
    await waitFor(async () => (await state(doomed)).status === 'stopped', 'the created process to die');
    const err = await h.rt.startContainer(doomed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((await h.rt.containerStatus(doomed)).state).not.toBe('CONTAINER_RUNNING');
  });
});

describe('stop, exec and stats', () => {
  it('lets a container that traps SIGTERM exit in its grace period and kills one that ignores it at the deadline', async () => {
    const trap = await runContainer(h, sb, sc, h.containerConfig('trapper', { command: ['sh', '-c', 'trap "echo got-term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'] }));
    const ignore = await runContainer(h, sb, sc, h.containerConfig('ignorer', { command: ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 0.1; done'] }));
    await waitFor(async () => (await collectLogs(h.rt, trap)).length > 0 && (await collectLogs(h.rt, ignore)).length > 0, 'both ready');
    await h.rt.stopContainer(trap, 10);
    const t = await h.rt.containerStatus(trap);
    expect(t).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 0, reason: 'Completed' });
    expect((await collectLogs(h.rt, trap)).map((l) => l.line)).toContain('got-term');

    // Stop with a 2 s grace period while watching: SIGTERM is ignored, so it is still running
    // after the signal, then SIGKILL (137) ends it.
    const stopping = h.rt.stopContainer(ignore, 2);
    await new Promise((r) => setTimeout(r, 500));
    expect((await h.rt.containerStatus(ignore)).state).toBe('CONTAINER_RUNNING');
    await stopping;
    expect(await h.rt.containerStatus(ignore)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
    // stopping again is a no-op
    await h.rt.stopContainer(ignore, 1);
  });

  it("sends the image's StopSignal instead of SIGTERM", async () => {
    await h.images.addBusyboxImage('stopper', { cmd: ['sh'], stopSignal: 'SIGUSR1' });
    const id = await runContainer(h, sb, sc, {
      metadata: { name: 'stopper', attempt: 0 },
      image: { image: 'stopper' },
      command: ['sh', '-c', 'trap "" TERM; trap "echo got-usr1; exit 0" USR1; echo ready; while :; do sleep 0.1; done'],
    });
    await waitFor(async () => (await collectLogs(h.rt, id)).length > 0, 'ready');
    await h.rt.stopContainer(id, 30);
    expect(await h.rt.containerStatus(id)).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((await collectLogs(h.rt, id)).map((l) => l.line)).toEqual(['ready', 'got-usr1']);
  });

  it('runs execSync with output, exit code and a timeout, and reports stats', async () => {
    const id = await runContainer(h, sb, sc, h.containerConfig('exec', { command: ['sh', '-c', 'head -c 20m /dev/zero > /dev/shm/fill; sleep 60'] }));
    const r = await h.rt.execSync(id, ['sh', '-c', 'echo out; echo err >&2; exit 7'], 5);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
    expect(r.exitCode).toBe(7);
    const hn = await h.rt.execSync(id, ['hostname'], 5);
    expect(hn.stdout.toString().trim()).toBe('web');
    const slow = await h.rt.execSync(id, ['sleep', '30'], 1).catch((e: unknown) => e);
    expect(isRuntimeError(slow)).toBe(true);
    expect(String(slow)).toMatch(/timed out/);

    await waitFor(async () => ((await h.rt.containerStats(id)).memory?.workingSetBytes ?? 0) > 20 * 2 ** 20, 'working set above 20 MiB');
    const s = await h.rt.containerStats(id);
    expect(s.attributes.id).toBe(id);
    expect(s.cpu?.usageCoreNanoSeconds).toBeGreaterThan(0);
    await h.rt.stopContainer(id, 0);
    const e = await h.rt.execSync(id, ['true'], 1).catch((x: unknown) => x);
    expect(isRuntimeError(e, 'FailedPrecondition')).toBe(true);
  });
});
