// The CRI contract: what RuntimeService promises, as one file of cases run by every
// implementation (containerd's snapshotter test suite, Hono's common.case.test.ts). The fake
// runs it in the unit tests (runtime/fake/fake-runtime.test.ts), skiff's real runtime on
// conmon + runc/crun in test/runtime/cri-contract.test.ts. Where the two disagree, the real
// runtime is the truth and the fake is fixed.
//
// A subject cannot run a process in the fake, so each case says what a container does as a
// Script, and the subject makes it happen: the real one runs it as `sh -c`, the fake one makes
// the container print and exit through its test hooks. An exec'd process is a Script too, and
// something listening in a pod for port-forward is the subject's to set up (serveHttp).
import type { Duplex, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError, type ContainerConfig, type ContainerStatus, type ImageService, type LogLine, type PodSandboxConfig, type RuntimeErrorKind, type RuntimeService } from '../cri.js';

/** What a container does once started. */
export interface Script {
  stdout?: string[];
  stderr?: string[];
  /** Exit code once it has printed; absent: it runs until stopped (and honours SIGTERM with 143). */
  exitCode?: number;
  /** After printing, copies its stdin to stdout until stdin ends (exec, or a container with `stdin` to attach to). */
  echoStdin?: boolean;
}

export interface CriSubject {
  rt: RuntimeService;
  /** An image every container of the suite may use, present before the suite starts. */
  image: string;
  sandboxConfig(name: string): PodSandboxConfig;
  /** A started container with this config carries out the script. */
  containerConfig(name: string, script: Script, attempt?: number): ContainerConfig;
  /**
   * Returns once a started container has carried out its script: exited, with an exit code in
   * it; printed its lines (after setting its SIGTERM trap), without one.
   */
  finish(id: string, script: Script): Promise<ContainerStatus>;
  /** The command an exec'd process carries the script out with. */
  execCommand(script: Script): string[];
  /** Something in the sandbox answers an HTTP GET on localhost:port with body; resolves once it does. */
  serveHttp(sandbox: { id: string; config: PodSandboxConfig }, port: number, body: string): Promise<void>;
  teardown(): Promise<void>;
}

/** The script as a busybox shell command, for subjects that run real processes. */
export function shellOf(script: Script): string[] {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const lines = [...(script.stdout ?? []).map((l) => `echo ${q(l)}`), ...(script.stderr ?? []).map((l) => `echo ${q(l)} >&2`), ...(script.echoStdin ? ['cat'] : [])];
  // A script that runs on sets its trap first: once it has printed, a SIGTERM is honoured
  // (PID 1 without a handler ignores it, and a stop would end in SIGKILL's 137).
  if (script.exitCode === undefined) return ['sh', '-c', [`trap 'exit 143' TERM`, ...lines, 'while true; do sleep 0.1; done'].join('; ')];
  return ['sh', '-c', [...lines, `exit ${script.exitCode}`].join('; ')];
}

async function errorKind(p: Promise<unknown>): Promise<RuntimeErrorKind | 'none' | 'other'> {
  try {
    await p;
    return 'none';
  } catch (e) {
    return isRuntimeError(e) ? e.kind : 'other';
  }
}

async function logsOf(rt: RuntimeService, id: string, opts: Parameters<RuntimeService['readLogs']>[1] = {}): Promise<LogLine[]> {
  const out: LogLine[] = [];
  for await (const l of rt.readLogs(id, opts)) out.push(l);
  return out;
}

const RUNS: Script = {};

/** Everything a stream carries until it ends. */
export async function textOf(r: Readable | Duplex): Promise<string> {
  let s = '';
  for await (const chunk of r) s += String(chunk);
  return s;
}

/** Reads a stream until what it carried ends with `want`; what it carried. */
export async function readUntil(r: Readable, want: string): Promise<string> {
  let s = '';
  for await (const chunk of r) {
    s += String(chunk);
    if (s.endsWith(want)) return s;
  }
  throw new Error(`stream ended before ${JSON.stringify(want)}: ${JSON.stringify(s)}`);
}

/** An HTTP/1.0 GET through a port-forward connection: the whole answer. */
export async function httpGet(conn: Duplex): Promise<string> {
  conn.end('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
  return textOf(conn);
}

export function describeCriContract(name: string, makeSubject: () => Promise<CriSubject>): void {
  describe(`CRI contract: ${name}`, () => {
    let s: CriSubject;
    let rt: RuntimeService;
    beforeAll(async () => {
      s = await makeSubject();
      rt = s.rt;
    });
    afterAll(async () => {
      await s?.teardown();
    });

    async function sandbox(podName: string): Promise<{ id: string; config: PodSandboxConfig }> {
      const config = s.sandboxConfig(podName);
      return { id: await rt.runPodSandbox(config), config };
    }

    async function started(sb: { id: string; config: PodSandboxConfig }, ctr: string, script: Script, attempt = 0): Promise<string> {
      const id = await rt.createContainer(sb.id, s.containerConfig(ctr, script, attempt), sb.config);
      await rt.startContainer(id);
      return id;
    }

    describe('sandboxes', () => {
      it('runs READY, lists with filters, stops NOTREADY (twice is fine) and removes (twice is fine)', async () => {
        const sb = await sandbox('sb-life');
        const st = await rt.podSandboxStatus(sb.id);
        expect(st).toMatchObject({ id: sb.id, state: 'SANDBOX_READY', metadata: sb.config.metadata });
        expect(st.createdAt).toBeGreaterThan(0);
        expect((await rt.listPodSandbox({ id: sb.id })).map((x) => x.state)).toEqual(['SANDBOX_READY']);
        await rt.stopPodSandbox(sb.id);
        await rt.stopPodSandbox(sb.id);
        expect((await rt.podSandboxStatus(sb.id)).state).toBe('SANDBOX_NOTREADY');
        expect((await rt.listPodSandbox({ state: 'SANDBOX_NOTREADY' })).map((x) => x.id)).toContain(sb.id);
        expect((await rt.listPodSandbox({ state: 'SANDBOX_READY' })).map((x) => x.id)).not.toContain(sb.id);
        await rt.removePodSandbox(sb.id);
        await rt.removePodSandbox(sb.id);
        expect(await rt.listPodSandbox({ id: sb.id })).toEqual([]);
        expect(await errorKind(rt.podSandboxStatus(sb.id))).toBe('NotFound');
      });

      it('says NotFound for a sandbox it does not know, except on remove', async () => {
        const unknown = 'f'.repeat(64);
        expect(await errorKind(rt.podSandboxStatus(unknown))).toBe('NotFound');
        expect(await errorKind(rt.stopPodSandbox(unknown))).toBe('NotFound');
        expect(await errorKind(rt.removePodSandbox(unknown))).toBe('none');
        expect(await errorKind(rt.createContainer(unknown, s.containerConfig('c', RUNS), s.sandboxConfig('nowhere')))).toBe('NotFound');
      });

      it('stopping a sandbox kills its running containers (137); removing it removes them', async () => {
        const sb = await sandbox('sb-stop');
        const id = await started(sb, 'runs', RUNS);
        await rt.stopPodSandbox(sb.id);
        expect(await rt.containerStatus(id)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
        expect(await errorKind(rt.createContainer(sb.id, s.containerConfig('late', RUNS), sb.config))).toBe('FailedPrecondition');
        await rt.removePodSandbox(sb.id);
        expect(await rt.listContainers({ podSandboxId: sb.id })).toEqual([]);
        expect(await errorKind(rt.containerStatus(id))).toBe('NotFound');
      });
    });

    describe('containers', () => {
      let sb: { id: string; config: PodSandboxConfig };
      beforeAll(async () => {
        sb = await sandbox('ctr');
      });

      it('goes CREATED → RUNNING → EXITED with times in order and the exit code', async () => {
        const id = await rt.createContainer(sb.id, s.containerConfig('ok', { stdout: ['hi'], exitCode: 0 }), sb.config);
        const created = await rt.containerStatus(id);
        expect(created).toMatchObject({ id, state: 'CONTAINER_CREATED', startedAt: 0, finishedAt: 0, exitCode: 0, metadata: { name: 'ok', attempt: 0 } });
        expect(created.createdAt).toBeGreaterThan(0);
        expect(created.imageRef).not.toBe('');
        expect((await rt.listContainers({ id })).map((c) => [c.podSandboxId, c.state])).toEqual([[sb.id, 'CONTAINER_CREATED']]);
        await rt.startContainer(id);
        const done = await s.finish(id, { stdout: ['hi'], exitCode: 0 });
        expect(done).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 0, reason: 'Completed' });
        expect(done.startedAt).toBeGreaterThanOrEqual(created.createdAt);
        expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt);
        expect((await rt.listContainers({ state: 'CONTAINER_EXITED', podSandboxId: sb.id })).map((c) => c.id)).toContain(id);
      });

      it('a non-zero exit is reason Error with its code', async () => {
        const script = { stderr: ['bad'], exitCode: 3 };
        const id = await started(sb, 'fails', script);
        expect(await s.finish(id, script)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 3, reason: 'Error' });
      });

      it('stops with the stop signal (143 when honoured) or SIGKILL at timeout 0 (137); stopping again is a no-op', async () => {
        const armed = { stdout: ['armed'] };
        const term = await started(sb, 'term', armed);
        // Stopped only once its trap is set: before that, SIGTERM to PID 1 is ignored.
        expect((await s.finish(term, armed)).state).toBe('CONTAINER_RUNNING');
        await rt.stopContainer(term, 10);
        const st = await rt.containerStatus(term);
        expect(st).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 143, reason: 'Error' });
        await rt.stopContainer(term, 10);
        expect(await rt.containerStatus(term)).toEqual(st);
        const kill = await started(sb, 'kill', RUNS);
        await rt.stopContainer(kill, 0);
        expect(await rt.containerStatus(kill)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 137, reason: 'Error' });
      });

      it('keeps labels and annotations, filters on labels, and execs in a running container', async () => {
        const config = { ...s.containerConfig('labelled', RUNS), labels: { app: 'contract', tier: 'x' }, annotations: { note: 'kept' } };
        const id = await rt.createContainer(sb.id, config, sb.config);
        await rt.startContainer(id);
        expect(await rt.containerStatus(id)).toMatchObject({ labels: config.labels, annotations: config.annotations });
        expect((await rt.listContainers({ labelSelector: { app: 'contract' } })).map((c) => c.id)).toEqual([id]);
        expect(await rt.listContainers({ labelSelector: { app: 'contract', tier: 'y' } })).toEqual([]);
        expect((await rt.execSync(id, ['true'], 5)).exitCode).toBe(0);
        await rt.stopContainer(id, 0);
      });

      it('refuses what the state does not allow: FailedPrecondition', async () => {
        const id = await started(sb, 'twice', RUNS);
        expect(await errorKind(rt.startContainer(id))).toBe('FailedPrecondition');
        await rt.stopContainer(id, 0);
        expect(await errorKind(rt.startContainer(id))).toBe('FailedPrecondition');
        expect(await errorKind(rt.execSync(id, ['true'], 5))).toBe('FailedPrecondition');
      });

      it('a second container with the same name and attempt in one sandbox is AlreadyExists', async () => {
        await rt.createContainer(sb.id, s.containerConfig('dup', RUNS), sb.config);
        expect(await errorKind(rt.createContainer(sb.id, s.containerConfig('dup', RUNS), sb.config))).toBe('AlreadyExists');
        expect(await errorKind(rt.createContainer(sb.id, s.containerConfig('dup', RUNS, 1), sb.config))).toBe('none');
      });

      it('says NotFound for a container it does not know, except on remove', async () => {
        const unknown = 'e'.repeat(64);
        expect(await errorKind(rt.containerStatus(unknown))).toBe('NotFound');
        expect(await errorKind(rt.startContainer(unknown))).toBe('NotFound');
        expect(await errorKind(rt.stopContainer(unknown, 0))).toBe('NotFound');
        expect(await errorKind(rt.execSync(unknown, ['true'], 5))).toBe('NotFound');
        expect(await errorKind(logsOf(rt, unknown))).toBe('NotFound');
        expect(await errorKind(rt.removeContainer(unknown))).toBe('none');
      });

      it('removes a running container (stopping it first), and removing again is fine', async () => {
        const id = await started(sb, 'rm-running', RUNS);
        await rt.removeContainer(id);
        await rt.removeContainer(id);
        expect(await rt.listContainers({ id })).toEqual([]);
        expect(await errorKind(rt.containerStatus(id))).toBe('NotFound');
      });
    });

    describe('exec and port-forward', () => {
      let sb: { id: string; config: PodSandboxConfig };
      let ctr: string;
      beforeAll(async () => {
        sb = await sandbox('streams');
        ctr = await started(sb, 'target', RUNS);
      });

      it('exec keeps stdout and stderr apart and carries the exit code back', async () => {
        const script = { stdout: ['to out'], stderr: ['to err'], exitCode: 3 };
        const e = await rt.exec(ctr, { cmd: s.execCommand(script) });
        expect(e.stdin).toBeUndefined();
        const [out, err, code] = await Promise.all([textOf(e.stdout), e.stderr ? textOf(e.stderr) : undefined, e.exited]);
        expect([out, err, code]).toEqual(['to out\n', 'to err\n', 3]);
      });

      it('exec reads stdin until the client half-closes it', async () => {
        const e = await rt.exec(ctr, { cmd: s.execCommand({ echoStdin: true, exitCode: 0 }), stdin: true });
        const out = textOf(e.stdout);
        e.stdin?.write('ping\n');
        e.stdin?.end('pong\n');
        expect(await out).toBe('ping\npong\n');
        expect(await e.exited).toBe(0);
      });

      it('kill ends the exec\'d process (137) and nothing else in the container', async () => {
        const e = await rt.exec(ctr, { cmd: s.execCommand(RUNS), stdin: true });
        e.kill();
        expect(await e.exited).toBe(137);
        expect((await rt.containerStatus(ctr)).state).toBe('CONTAINER_RUNNING');
      });

      it('exec needs a command and a running container it knows', async () => {
        expect(await errorKind(rt.exec(ctr, { cmd: [] }))).toBe('InvalidArgument');
        expect(await errorKind(rt.exec('d'.repeat(64), { cmd: ['true'] }))).toBe('NotFound');
        const gone = await started(sb, 'gone', RUNS);
        await rt.stopContainer(gone, 0);
        expect(await errorKind(rt.exec(gone, { cmd: ['true'] }))).toBe('FailedPrecondition');
      });

      it('port-forward connects to localhost:PORT in the pod, many connections at once', async () => {
        await s.serveHttp(sb, 8080, 'served in the pod');
        const answers = await Promise.all(Array.from({ length: 20 }, async () => httpGet(await rt.portForward(sb.id, 8080))));
        for (const a of answers) expect(a).toMatch(/^HTTP\/1\.[01] 200[^]*served in the pod/);
      });

      it('port-forward to a port nothing listens on is Unavailable; an unknown sandbox NotFound', async () => {
        expect(await errorKind(rt.portForward(sb.id, 8081))).toBe('Unavailable');
        expect(await errorKind(rt.portForward('c'.repeat(64), 8080))).toBe('NotFound');
        expect(await errorKind(rt.portForward(sb.id, 70000))).toBe('InvalidArgument');
      });
    });

    describe('attach', () => {
      let sb: { id: string; config: PodSandboxConfig };
      beforeAll(async () => {
        sb = await sandbox('attach');
      });
      const withStdin = (name: string, script: Script, extra: Partial<ContainerConfig> = {}): ContainerConfig => ({ ...s.containerConfig(name, script), stdin: true, ...extra });

      it('echoes what is written to a container kept with stdin, and detaching leaves it running with its stdin for the next', async () => {
        const id = await rt.createContainer(sb.id, withStdin('cat', { echoStdin: true }), sb.config);
        await rt.startContainer(id);
        const a = await rt.attach(id, { stdin: true });
        expect(a.stderr).toBeDefined();
        a.stdin?.write('ping\n');
        expect(await readUntil(a.stdout, 'ping\n')).toBe('ping\n');
        a.kill();
        expect((await rt.containerStatus(id)).state).toBe('CONTAINER_RUNNING');
        const b = await rt.attach(id, { stdin: true });
        b.stdin?.write('pong\n');
        expect(await readUntil(b.stdout, 'pong\n')).toBe('pong\n');
        b.kill();
        expect((await rt.containerStatus(id)).state).toBe('CONTAINER_RUNNING');
        await rt.stopContainer(id, 0);
      });

      it('with stdinOnce, the end of the input is the container\'s EOF: it exits and exited carries its code', async () => {
        const id = await rt.createContainer(sb.id, withStdin('once', { echoStdin: true, exitCode: 4 }, { stdinOnce: true }), sb.config);
        await rt.startContainer(id);
        const a = await rt.attach(id, { stdin: true });
        const out = textOf(a.stdout);
        a.stdin?.end('last words\n');
        expect(await out).toBe('last words\n');
        expect(await a.exited).toBe(4);
        expect(await rt.containerStatus(id)).toMatchObject({ state: 'CONTAINER_EXITED', exitCode: 4 });
      });

      it('attach needs a running container it knows; without stdin it gives none', async () => {
        expect(await errorKind(rt.attach('d'.repeat(64), { stdin: true }))).toBe('NotFound');
        const quiet = await started(sb, 'quiet', RUNS);
        const a = await rt.attach(quiet, { stdin: true });
        expect(a.stdin).toBeUndefined();
        a.kill();
        await rt.stopContainer(quiet, 0);
        expect(await errorKind(rt.attach(quiet, {}))).toBe('FailedPrecondition');
      });
    });

    describe('logs', () => {
      let sb: { id: string; config: PodSandboxConfig };
      beforeAll(async () => {
        sb = await sandbox('logs');
      });

      it('keeps both streams in order with timestamps, a tail, and the previous instance', async () => {
        const first: Script = { stdout: ['one', 'two', 'three'], exitCode: 0 };
        const a = await started(sb, 'talker', first);
        await s.finish(a, first);
        expect((await logsOf(rt, a)).map((l) => [l.stream, l.line, l.partial])).toEqual([
          ['stdout', 'one', false],
          ['stdout', 'two', false],
          ['stdout', 'three', false],
        ]);
        for (const l of await logsOf(rt, a)) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+/);
        expect((await logsOf(rt, a, { tailLines: 2 })).map((l) => l.line)).toEqual(['two', 'three']);
        expect(await errorKind(logsOf(rt, a, { previous: true }))).toBe('NotFound');

        const second: Script = { stdout: ['out'], stderr: ['err'], exitCode: 1 };
        const b = await started(sb, 'talker', second, 1);
        await s.finish(b, second);
        expect((await logsOf(rt, b)).map((l) => [l.stream, l.line])).toEqual([
          ['stdout', 'out'],
          ['stderr', 'err'],
        ]);
        expect((await logsOf(rt, b, { previous: true })).map((l) => l.line)).toEqual(['one', 'two', 'three']);
      });
    });
  });
}

export interface ImageSubject {
  images: ImageService;
  /** A reference the registry serves and the service does not hold yet. */
  pullable: string;
  /** A reference on the same registry that it does not serve. */
  missing: string;
  /** A container now uses the image with this ID (the real service learns it from its runtime). */
  useImage(id: string): Promise<void>;
  teardown(): Promise<void>;
}

/** What ImageService promises: pull, list, status and remove, and their error kinds. */
export function describeImageContract(name: string, makeSubject: () => Promise<ImageSubject>): void {
  describe(`CRI image contract: ${name}`, () => {
    let s: ImageSubject;
    beforeAll(async () => {
      s = await makeSubject();
    });
    afterAll(async () => {
      await s?.teardown();
    });

    it('pulls an image: its ID is what status (by reference or ID) and list show', async () => {
      expect(await s.images.imageStatus({ image: s.pullable })).toEqual({ image: null });
      const id = await s.images.pullImage({ image: s.pullable });
      expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
      const byRef = (await s.images.imageStatus({ image: s.pullable })).image;
      expect(byRef).toMatchObject({ id, repoTags: [s.pullable] });
      expect(byRef?.size).toBeGreaterThan(0);
      expect((await s.images.imageStatus({ image: id })).image?.id).toBe(id);
      expect((await s.images.listImages()).filter((i) => i.id === id).map((i) => i.repoTags)).toEqual([[s.pullable]]);
      // A second pull of what is present gives the same ID.
      expect(await s.images.pullImage({ image: s.pullable })).toBe(id);
    });

    it('a reference the registry lacks is NotFound, and nothing is listed for it', async () => {
      expect(await errorKind(s.images.pullImage({ image: s.missing }))).toBe('NotFound');
      expect(await s.images.imageStatus({ image: s.missing })).toEqual({ image: null });
    });

    it('removes by reference; removing again is NotFound', async () => {
      const id = await s.images.pullImage({ image: s.pullable });
      await s.images.removeImage({ image: s.pullable });
      expect(await s.images.imageStatus({ image: s.pullable })).toEqual({ image: null });
      expect((await s.images.listImages()).map((i) => i.id)).not.toContain(id);
      expect(await errorKind(s.images.removeImage({ image: s.pullable }))).toBe('NotFound');
      expect(await errorKind(s.images.removeImage({ image: id }))).toBe('NotFound');
    });

    it('refuses to remove an image a container uses (FailedPrecondition) unless forced', async () => {
      const id = await s.images.pullImage({ image: s.pullable });
      await s.useImage(id);
      expect(await errorKind(s.images.removeImage({ image: s.pullable }))).toBe('FailedPrecondition');
      expect((await s.images.imageStatus({ image: s.pullable })).image?.id).toBe(id);
      await s.images.removeImage({ image: s.pullable }, { force: true });
      expect(await s.images.imageStatus({ image: s.pullable })).toEqual({ image: null });
    });
  });
}
