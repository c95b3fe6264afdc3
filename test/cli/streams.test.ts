// skiff exec, attach, cp and port-forward as a user runs them: the built `skiff` in its own
// process, through the real API server (HTTPS, bearer token) and the kubelet's streaming
// server into a pod run by conmon + runc. The terminal case runs skiff under a real pty.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../api/types/core.js';
import { startKubectl } from '../fixtures/kubectl-stream-checks.js';
import { freePort } from '../fixtures/ports.js';
import { outputsOf, skiffEntry, startSkiff, type Proc } from '../fixtures/process.js';
import { runInPty } from '../fixtures/terminal.js';
import { eventually, type NodeCluster } from '../kubelet/harness.js';
import { startWebPodCluster, type WebPodCluster } from '../kubelet/web-pod-cluster.js';

let cluster: WebPodCluster | undefined;
let c: NodeCluster;
let dir = '';
let env: NodeJS.ProcessEnv = {};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** `skiff ARGS` to its end, with `input` on stdin; stdout as bytes. */
async function skiff(args: string[], input?: Buffer | string): Promise<{ code: number | null; stdout: Buffer; stderr: string }> {
  const p = startSkiff([args[0]!, '-n', c.ns, ...args.slice(1)], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let err = '';
  p.child.stdout!.on('data', (b: Buffer) => out.push(b));
  p.child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  p.child.stdin!.on('error', () => undefined);
  p.child.stdin!.end(input);
  const closed = new Promise<void>((resolve) => p.child.once('close', () => resolve()));
  const { code } = await p.exited;
  await closed;
  return { code, stdout: Buffer.concat(out), stderr: err };
}

beforeAll(async () => {
  cluster = await startWebPodCluster();
  ({ c, dir } = cluster);
  env = { ...process.env, KUBECONFIG: cluster.kubeconfig, HOME: dir };
}, 120_000);

afterAll(async () => {
  await cluster?.stop();
}, 120_000);

describe('skiff exec', () => {
  it('keeps stdout and stderr apart and exits with the remote exit code', async () => {
    const r = await skiff(['exec', 'web', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
    expect(r.code).toBe(3);
    const ok = await skiff(['exec', 'pod/web', '-c', 'app', '--', 'true']);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
  });

  it('-i: 10 MiB of stdin through cat, byte for byte', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const r = await skiff(['exec', '-i', 'web', '--', 'cat'], data);
    expect(r.code, r.stderr).toBe(0);
    expect(sha256(r.stdout)).toBe(sha256(data));
  }, 60_000);

  it('reports what the server refuses: an unknown pod, an unknown container', async () => {
    const missing = await skiff(['exec', 'nope', '--', 'true']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('pods "nope" not found');
    const container = await skiff(['exec', 'web', '-c', 'other', '--', 'true']);
    expect(container.code).toBe(1);
    expect(container.stderr).toContain('container other is not valid for pod web');
  });

  it('-it under a terminal: raw mode, stty size follows a resize, Ctrl-C stops a sleep', async () => {
    const term = await runInPty(process.execPath, [skiffEntry, 'exec', '-it', 'web', '-n', c.ns, '--', 'sh'], { cols: 100, rows: 30, env });
    try {
      await term.waitFor('/ # ');
      await term.sizeIs(30, 100);
      term.pty.resize(120, 40);
      await term.sizeIs(40, 120);
      const mark = term.screen().length;
      term.write('sleep 1000\r');
      // Ctrl-C before the shell has made the sleep the terminal's foreground job would go to the shell.
      await eventually(async () => (await skiff(['exec', 'web', '--', 'sh', '-c', 'ps | grep -c "[s]leep 1000"'])).stdout.toString().trim() === '1', 'the sleep running', 15_000);
      term.write('\x03');
      await eventually(() => term.screen().slice(mark).includes('^C'), `Ctrl-C echoed (${JSON.stringify(term.screen().slice(mark))})`, 10_000);
      term.write('echo status $?\r');
      await eventually(() => /status 130/.test(term.screen().slice(mark)), `the sleep interrupted (${JSON.stringify(term.screen().slice(mark))})`, 10_000);
      term.write('exit 7\r');
      expect(await term.exited).toBe(7);
    } finally {
      term.kill();
    }
  }, 60_000);
});

describe('the default container', () => {
  it("is the annotated one, else the first, with kubectl's note when the pod has several", async () => {
    const container = (name: string) => ({ name, image: c.image, command: ['sh', '-c', `echo ${name} > /name && exec sleep 1000`] });
    await c.createPod({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pair', annotations: { 'kubectl.kubernetes.io/default-container': 'second' } },
      spec: { nodeName: c.node, terminationGracePeriodSeconds: 1, containers: [container('first'), container('second')] },
    });
    await c.waitPod('pair', (p) => p.status?.containerStatuses?.every((s) => s.ready) === true, 'pod pair ready', 60_000);
    const annotated = await skiff(['exec', 'pair', '--', 'cat', '/name']);
    expect(annotated.stdout.toString()).toBe('second\n');
    expect(annotated.stderr).toBe('Defaulted container "second" out of: first, second\n');
    const chosen = await skiff(['exec', 'pair', '-c', 'first', '--', 'cat', '/name']);
    expect(chosen).toMatchObject({ code: 0, stderr: '' });
    expect(chosen.stdout.toString()).toBe('first\n');
  }, 90_000);
});

describe('skiff attach', () => {
  it('speaks the exec protocol without a command on /attach and reports what the server answers', async () => {
    const p = startSkiff(['attach', '-n', c.ns, 'web', '-q'], { env });
    const result = outputsOf(p);
    try {
      const ended = await eventually(() => p.child.exitCode !== null, 'attach to end', 10_000).then(() => true, () => false);
      if (ended) {
        // Until the kubelet serves attach: its refusal, as the server words it, and a failure.
        const r = await result;
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^Error from server \(BadRequest\): .*attach is not served by this kubelet yet/m);
      } else {
        // Attached to httpd, which writes nothing and never ends: still attached, no error.
        expect(p.output()).not.toMatch(/^(error|Error from server)/m);
      }
    } finally {
      await p.stop();
    }
  }, 30_000);
});

describe('skiff cp', () => {
  it('copies a 10 MiB file into the pod and back, sha256 equal', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const local = path.join(dir, 'big.bin');
    await writeFile(local, data);
    const into = await skiff(['cp', local, 'web:/tmp/big.bin']);
    expect(into.code, into.stderr).toBe(0);
    const remoteSum = await skiff(['exec', 'web', '--', 'sha256sum', '/tmp/big.bin']);
    expect(remoteSum.stdout.toString().split(' ')[0]).toBe(sha256(data));
    const back = path.join(dir, 'big.back');
    const out = await skiff(['cp', `${c.ns}/web:/tmp/big.bin`, back]);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stderr).toBe('');
    expect(sha256(await readFile(back))).toBe(sha256(data));
  }, 90_000);

  it('copies a directory both ways', async () => {
    const src = path.join(dir, 'tree');
    await mkdir(path.join(src, 'sub'), { recursive: true });
    await writeFile(path.join(src, 'a.txt'), 'alpha\n');
    await writeFile(path.join(src, 'sub', 'b.txt'), 'beta\n');
    const into = await skiff(['cp', src, 'web:/tmp/tree']);
    expect(into.code, into.stderr).toBe(0);
    const listed = await skiff(['exec', 'web', '--', 'cat', '/tmp/tree/a.txt', '/tmp/tree/sub/b.txt']);
    expect(listed.stdout.toString()).toBe('alpha\nbeta\n');
    // Into an existing directory: it lands inside it, named as here.
    await skiff(['exec', 'web', '--', 'mkdir', '-p', '/tmp/into']);
    expect((await skiff(['cp', src, 'web:/tmp/into'])).code).toBe(0);
    expect((await skiff(['exec', 'web', '--', 'cat', '/tmp/into/tree/sub/b.txt'])).stdout.toString()).toBe('beta\n');
    const back = path.join(dir, 'tree.back');
    const out = await skiff(['cp', 'web:/tmp/tree', back]);
    expect(out.code, out.stderr).toBe(0);
    expect((await readdir(back)).sort()).toEqual(['a.txt', 'sub']);
    expect(await readFile(path.join(back, 'sub', 'b.txt'), 'utf8')).toBe('beta\n');
  }, 60_000);

  it('refuses a pod path that does not exist, with tar\'s reason', async () => {
    const r = await skiff(['cp', 'web:/no/such/file', path.join(dir, 'none')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such file|No such file/i);
  });

  it('stops, rather than hangs, when it cannot write here', async () => {
    const blocker = path.join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    const r = await skiff(['cp', 'web:/tmp/big.bin', path.join(blocker, 'sub', 'big.bin')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ENOTDIR|not a directory/);
  }, 60_000);
});

describe('skiff port-forward', () => {
  async function forward(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{ p: Proc; log: () => string }> {
    const p = startSkiff(['port-forward', '-n', c.ns, ...args], { env: { ...env, ...extraEnv } });
    let log = '';
    p.child.stdout!.on('data', (b: Buffer) => (log += b.toString()));
    p.child.stderr!.on('data', (b: Buffer) => (log += b.toString()));
    await eventually(() => log.includes('Forwarding from') || p.child.exitCode !== null, `port-forward ready (${log})`, 30_000);
    return { p, log: () => log };
  }

  it.each([
    ['in a WebSocket tunnel', {}],
    ['over SPDY', { SKIFF_PORT_FORWARD_WEBSOCKETS: 'false' }],
  ])('%s: answers 200 sequential and 50 concurrent requests', async (_how, extraEnv) => {
    const local = await freePort();
    const { p, log } = await forward(['pod/web', `${local}:8080`], extraEnv);
    try {
      expect(log()).toContain(`Forwarding from 127.0.0.1:${local} -> 8080`);
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`http://127.0.0.1:${local}/`);
        expect(await res.text()).toBe('hello from web\n');
      }
      const many = await Promise.all(Array.from({ length: 50 }, () => fetch(`http://127.0.0.1:${local}/`).then((r) => r.text())));
      expect(many.every((t) => t === 'hello from web\n')).toBe(true);
      // Ctrl-C stops it cleanly.
      process.kill(p.pid, 'SIGINT');
      expect(await p.exited).toEqual({ code: 0, signal: null });
    } finally {
      await p.stop();
    }
  }, 120_000);

  it(':REMOTE picks a free port; a refused remote port is reported and the forward keeps running', async () => {
    const { p, log } = await forward(['web', ':8080', ':9999']);
    try {
      const listed = () => [...log().matchAll(/Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)/g)].map((m) => ({ local: Number(m[1]), remote: Number(m[2]) }));
      const ports = await eventually(() => listed().length === 2 && listed(), `both ports listening (${log()})`, 10_000);
      expect(ports.map((x) => x.remote)).toEqual([8080, 9999]);
      const refused = ports[1]!.local;
      await fetch(`http://127.0.0.1:${refused}/`).catch(() => undefined);
      await eventually(() => /an error occurred forwarding \d+ -> 9999: .*refused/i.test(log()), `the refusal reported (${log()})`, 15_000);
      const res = await fetch(`http://127.0.0.1:${ports[0]!.local}/`);
      expect(await res.text()).toBe('hello from web\n');
    } finally {
      await p.stop();
    }
  }, 60_000);

  it("svc/NAME forwards a Service port to its targetPort on the selector's pod, as kubectl's does", async () => {
    await c.admin.pods.patch('web', { metadata: { labels: { service: 'web' } } }, { namespace: c.ns, type: 'merge' });
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: c.ns }, spec: { selector: { service: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } };
    await c.admin.resourceByName('services').create(service as never, { namespace: c.ns });
    try {
      for (const spec of ['80', 'http']) {
        const local = await freePort();
        const { p, log } = await forward(['svc/web', `${local}:${spec}`]);
        try {
          expect(log()).toContain(`Forwarding from 127.0.0.1:${local} -> 8080`);
          expect(await (await fetch(`http://127.0.0.1:${local}/`)).text()).toBe('hello from web\n');
        } finally {
          await p.stop();
        }
      }
      const unknown = await outputsOf(startSkiff(['port-forward', '-n', c.ns, 'svc/web', '8080'], { env }));
      expect(unknown.code).toBe(1);
      expect(unknown.err).toContain('error: Service web does not have a service port 8080');
      const local = await freePort();
      const pf = startKubectl({ kubeconfig: cluster!.kubeconfig, namespace: c.ns, version: '1.33' }, ['port-forward', 'svc/web', `${local}:80`]);
      try {
        await eventually(() => pf.output().includes('Forwarding from'), `kubectl port-forward ready (${pf.output()})`, 30_000);
        expect(pf.output()).toContain(`Forwarding from 127.0.0.1:${local} -> 8080`);
        expect(await (await fetch(`http://127.0.0.1:${local}/`)).text()).toBe('hello from web\n');
      } finally {
        await pf.stop();
      }
    } finally {
      await c.admin.resourceByName('services').delete('web', { namespace: c.ns });
    }
    const missing = await outputsOf(startSkiff(['port-forward', '-n', c.ns, 'deploy/nope', '8080'], { env }));
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('"nope" not found');
  }, 90_000);

  it("deploy/NAME and rs/NAME forward to their selector's most active pod, as kubectl's do", async () => {
    // No controllers run here: a Deployment and a ReplicaSet whose selector takes the Running
    // pod web, and an unscheduled (Pending) pod of the same labels that the order puts last.
    const labels = { forward: 'to-web' };
    await c.admin.pods.patch('web', { metadata: { labels } }, { namespace: c.ns, type: 'merge' });
    await c.admin.pods.create({ metadata: { name: 'web-pending', namespace: c.ns, labels }, spec: { containers: [{ name: 'app', image: c.image }] } } as Pod, { namespace: c.ns });
    const template = { metadata: { labels }, spec: { containers: [{ name: 'app', image: c.image }] } };
    const workload = (kind: string) => ({ apiVersion: 'apps/v1', kind, metadata: { name: 'web', namespace: c.ns }, spec: { replicas: 0, selector: { matchExpressions: [{ key: 'forward', operator: 'In', values: ['to-web'] }] }, template } });
    await c.admin.resourceByName('deployments', 'apps').create(workload('Deployment') as never, { namespace: c.ns });
    await c.admin.resourceByName('replicasets', 'apps').create(workload('ReplicaSet') as never, { namespace: c.ns });
    try {
      for (const target of ['deploy/web', 'rs/web']) {
        const local = await freePort();
        const { p, log } = await forward([target, `${local}:8080`]);
        try {
          expect(log()).toContain(`Forwarding from 127.0.0.1:${local} -> 8080`);
          expect(await (await fetch(`http://127.0.0.1:${local}/`)).text()).toBe('hello from web\n');
        } finally {
          await p.stop();
        }
      }
      // kubectl resolves deploy/NAME itself, from the same selector and order.
      const local = await freePort();
      const pf = startKubectl({ kubeconfig: cluster!.kubeconfig, namespace: c.ns, version: '1.33' }, ['port-forward', 'deploy/web', `${local}:8080`]);
      try {
        await eventually(() => pf.output().includes('Forwarding from'), `kubectl port-forward ready (${pf.output()})`, 30_000);
        expect(await (await fetch(`http://127.0.0.1:${local}/`)).text()).toBe('hello from web\n');
      } finally {
        await pf.stop();
      }
    } finally {
      await c.admin.pods.delete('web-pending', { namespace: c.ns });
    }
  }, 90_000);
});
