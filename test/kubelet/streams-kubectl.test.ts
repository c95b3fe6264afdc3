// The rest of kubectl's streaming verbs on the real parts (etcd, API server, kubelet, conmon +
// runc, CNI): `kubectl exec -it` in a real pseudo-terminal (prompt, size and resize, Ctrl-C,
// exit code), `kubectl cp` both ways, who may open pods/exec and pods/portforward, and the
// hygiene of the whole path: after hundreds of execs and a thousand forwarded connections the
// kubelet (in this process, with the API server) holds no more descriptors or memory than
// before, and no exec'd process is left in the container.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { promisify } from 'node:util';
import vm from 'node:vm';
import * as pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKubeconfig, writeKubeconfig } from '../../client/kubeconfig.js';
import { outputsOf, startProcess } from '../fixtures/process.js';
import { PortForwardClient, execOnce, httpGetOver, inPool, type StreamTarget } from '../fixtures/stream-client.js';
import { haveTool } from '../fixtures/tools.js';
import { eventually, startNodeCluster, startWebPod, type NodeCluster } from './harness.js';

const KUBECTL = '/usr/bin/kubectl';
const execFileAsync = promisify(execFile);

let c: NodeCluster;
let dir = '';
let target: StreamTarget;
const kubeconfigs: Record<'admin' | 'stranger' | 'node' | 'scheduler', string> = { admin: '', stranger: '', node: '', scheduler: '' };

/** Runs kubectl to its end with one of the kubeconfigs (stopped by PID after 60 s). */
async function kubectl(args: string[], who: keyof typeof kubeconfigs = 'admin'): Promise<{ code: number | null; out: string; err: string }> {
  const p = startProcess(KUBECTL, ['--kubeconfig', kubeconfigs[who], '-n', c.ns, ...args]);
  const timer = setTimeout(() => void p.stop(1000), 60_000);
  try {
    return await outputsOf(p);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  c = await startNodeCluster({ kubeletServer: true });
  dir = await mkdtemp(path.join(os.tmpdir(), 'skiff-streams-kubectl-'));
  const https = c.apiHttps;
  if (!https) throw new Error('no HTTPS API server');
  const ca = await readFile(https.caFile);
  const tokens = { admin: c.adminToken, stranger: randomBytes(16).toString('hex'), node: c.controlPlane.api.nodeToken(c.node), scheduler: c.controlPlane.api.schedulerToken };
  for (const who of Object.keys(kubeconfigs) as (keyof typeof kubeconfigs)[]) {
    kubeconfigs[who] = path.join(dir, `kubeconfig-${who}`);
    await writeKubeconfig(kubeconfigs[who], buildKubeconfig({ server: https.url, ca, token: tokens[who], name: who }));
  }
  target = { server: https.url, ca, token: c.adminToken, namespace: c.ns, pod: 'web' };
  await startWebPod(c, 'echo hello from web > /www/index.html');
}, 120_000);

afterAll(async () => {
  await c?.teardown();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe.runIf(haveTool(KUBECTL))('kubectl exec -it in a pseudo-terminal', () => {
  it('shows a prompt, follows the size, stops a command on Ctrl-C and exits with the shell’s code', async () => {
    const term = pty.spawn(KUBECTL, ['--kubeconfig', kubeconfigs.admin, '-n', c.ns, 'exec', '-it', 'web', '--', 'sh'], { name: 'xterm', cols: 80, rows: 24, env: { ...process.env, TERM: 'xterm' } as Record<string, string> });
    let screen = '';
    term.onData((d) => (screen += d));
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    /** What the terminal shows from here on, once `expected` appears in it. */
    const shown = (expected: RegExp, from: number, what: string, timeoutMs: number) =>
      eventually(() => expected.exec(screen.slice(from)), what, timeoutMs, { intervalMs: 20 }).catch((e: Error) => {
        throw new Error(`${e.message}; the screen: ${JSON.stringify(screen.slice(-400))}`);
      });
    const after = (input: string, expected: RegExp, what: string, timeoutMs = 15_000) => {
      const from = screen.length;
      term.write(input);
      return shown(expected, from, what, timeoutMs);
    };
    // Busybox's line editor ends its prompt with a cursor position request (ESC [6n), which
    // it does not wait for; left unanswered, as an answer would reach the shell as typed input.
    const prompt = new RegExp(`# (${String.fromCharCode(27)}\\[[0-9;]*[a-zA-Z])*$`);
    try {
      await shown(prompt, 0, 'a shell prompt', 30_000);
      // Until kubectl has put its terminal in raw mode, what is typed is the local terminal's
      // (a ^C would stop kubectl itself): wait for raw mode, then for the shell to answer an
      // empty line with a fresh prompt.
      const pts = (term as unknown as { ptsName: string }).ptsName;
      await eventually(async () => /-icanon\b.*-isig\b|-isig\b.*-icanon\b/s.test((await execFileAsync('stty', ['-F', pts, '-a'])).stdout), `kubectl's terminal ${pts} raw`, 15_000, { intervalMs: 20 });
      await eventually(() => after('\r', prompt, 'a fresh prompt', 1_000), 'the shell reading what is typed', 15_000);
      await after('stty size\r', /\n24 80\r/, 'stty size 24 80');
      term.resize(132, 43);
      await eventually(async () => (await after('stty size\r', /\n(\d+ \d+)\r/, 'stty size'))?.[1] === '43 132', 'stty size after resize', 15_000);
      await after('sleep 100\r', /sleep 100\r\n/, 'sleep echoed');
      // A ^C typed before the shell has made sleep the terminal's foreground job would reach
      // the shell's line editor instead: wait for sleep to run.
      await eventually(async () => (await execOnce(target, ['ps', '-o', 'args'])).stdout.includes('\nsleep 100'), 'sleep 100 running', 10_000);
      const sent = Date.now();
      await after('\x03', prompt, 'the prompt after Ctrl-C', 5_000);
      const interrupted = Date.now() - sent;
      expect(interrupted).toBeLessThan(5_000);
      await after('exit 4\r', /exit 4/, 'exit echoed');
      expect(await exited).toBe(4);
    } finally {
      // Stopped by its PID if a check above failed before the shell exited.
      try {
        process.kill(term.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }, 90_000);
});

describe.runIf(haveTool(KUBECTL))('kubectl cp', () => {
  it('copies 10 MiB into the pod and back out, byte for byte', async () => {
    const data = randomBytes(10 * 1024 * 1024);
    const sha = createHash('sha256').update(data).digest('hex');
    const src = path.join(dir, 'big.bin');
    const back = path.join(dir, 'big.back');
    await writeFile(src, data);
    const into = await kubectl(['cp', src, 'web:/tmp/big.bin']);
    expect(into.code, into.err).toBe(0);
    const inside = await kubectl(['exec', 'web', '--', 'sha256sum', '/tmp/big.bin']);
    expect(inside.out.split(' ')[0]).toBe(sha);
    const out = await kubectl(['cp', 'web:/tmp/big.bin', back]);
    expect(out.code, out.err).toBe(0);
    expect(createHash('sha256').update(await readFile(back)).digest('hex')).toBe(sha);
  }, 90_000);
});

/** The status code kubectl logged (at -v=6) for its request to a pod's subresource. */
function subresourceStatus(log: string, sub: 'exec' | 'portforward'): number | undefined {
  const m = new RegExp(`(?:GET|POST) https://\\S+/pods/web/${sub}\\S* (\\d{3})`).exec(log);
  return m ? Number(m[1]) : undefined;
}

describe.runIf(haveTool(KUBECTL))('who may exec and port-forward', () => {
  // kubectl with no credential at all asks for a username on stdin (client-go's basic-auth
  // prompt) and stops at its EOF; so kubectl carries a token the server does not know, and the
  // bare requests to the subresources carry none.
  it('no token, or an unknown one: 401', async () => {
    const exec = await kubectl(['exec', 'web', '--', 'true'], 'stranger');
    expect(exec.code).not.toBe(0);
    expect(exec.err).toMatch(/Unauthorized|must be logged in/);
    const pf = await kubectl(['port-forward', 'pod/web', '0:8080'], 'stranger');
    expect(pf.code).not.toBe(0);
    expect(pf.err).toMatch(/Unauthorized|must be logged in/);
    for (const sub of ['exec?command=true&stdout=true', 'portforward?ports=8080']) {
      expect(await postStatus(`/api/v1/namespaces/${c.ns}/pods/web/${sub}`)).toBe(401);
    }
  });

  for (const who of ['node', 'scheduler'] as const) {
    it(`${who}'s token: 403 for pods/exec and pods/portforward`, async () => {
      const exec = await kubectl(['-v=6', 'exec', 'web', '--', 'true'], who);
      expect(exec.code).not.toBe(0);
      expect(exec.err).toMatch(/forbidden/i);
      expect(subresourceStatus(exec.err, 'exec'), exec.err).toBe(403);
      const pf = await kubectl(['-v=6', 'port-forward', 'pod/web', '0:8080'], who);
      expect(pf.code).not.toBe(0);
      expect(pf.err).toMatch(/forbidden/i);
      expect(subresourceStatus(pf.err, 'portforward'), pf.err).toBe(403);
    }, 60_000);
  }

  it("the kubelet's own port refuses a node's token on /exec and /portForward (403)", async () => {
    const ks = c.kubeletServer;
    if (!ks) throw new Error('no kubelet server');
    const token = c.controlPlane.api.nodeToken(c.node);
    for (const p of [`/exec/${c.ns}/web/app?command=true&output=1`, `/portForward/${c.ns}/web?port=8080`]) {
      expect(await postStatus(p, { base: ks.url, ca: ks.ca, token })).toBe(403);
      expect(await postStatus(p, { base: ks.url, ca: ks.ca })).toBe(401);
    }
  });
});

/** A plain POST's status code, trusting the given CA (the API server's by default). */
function postStatus(p: string, o: { base?: string; ca?: Buffer | string; token?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${o.base ?? target.server}${p}`, { method: 'POST', ca: o.ca ?? target.ca, agent: false, headers: o.token ? { authorization: `Bearer ${o.token}` } : {} }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('error', reject);
    req.end();
  });
}

/** This process's open descriptors: the kubelet and the API server run in it. */
const openFds = () => readdirSync('/proc/self/fd').length;
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;
// A full collection before each heap reading, so what is counted is what is still held.
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const heapMiB = () => {
  collect();
  return process.memoryUsage().heapUsed / (1 << 20);
};

/**
 * Tolerances: a few descriptors come and go with timers and pooled agents; RSS keeps pages
 * the allocator and V8 have taken once, so it gets a wide margin, and the collected heap a
 * narrow one (8 MiB over 2,200 streams is under 4 KiB each).
 */
const FD_SLACK = 16;
const RSS_SLACK_MIB = 96;
const HEAP_SLACK_MIB = 8;

describe.runIf(haveTool(KUBECTL))('hygiene', () => {
  it('after 200 kubectl execs, 1,000 execs and 1,000 forwarded connections, descriptors and memory are flat and no exec is left behind', async () => {
    // Warm up every path once, so what is allocated once (pools, JIT, the spawn companion) is in the baseline.
    await inPool(20, 5, async () => expect((await execOnce(target, ['true'])).exitCode).toBe(0));
    const warm = await PortForwardClient.connect(target);
    await inPool(20, 5, async () => expect((await httpGetOver(await warm.open(8080))).toString()).toBe('hello from web\n'));
    warm.close();
    const before = { fds: openFds(), rss: rssMiB(), heap: heapMiB() };

    const kubectlRuns = await inPool(200, 8, () => kubectl(['exec', 'web', '--', 'true']));
    expect(kubectlRuns.filter((r) => r.code !== 0).map((r) => r.err)).toEqual([]);

    const execs = await inPool(1000, 16, () => execOnce(target, ['sh', '-c', 'echo ok']));
    expect(execs.filter((r) => r.exitCode !== 0 || r.stdout !== 'ok\n')).toEqual([]);

    // 1,000 connections over 10 SPDY sessions of 100, each session closed after its last one.
    let answered = 0;
    await inPool(10, 2, async () => {
      const session = await PortForwardClient.connect(target);
      try {
        await inPool(100, 10, async () => {
          if ((await httpGetOver(await session.open(8080))).toString() === 'hello from web\n') answered++;
        });
      } finally {
        session.close();
      }
    });
    expect(answered).toBe(1000);

    const after = await eventually(() => {
      const now = { fds: openFds(), rss: rssMiB(), heap: heapMiB() };
      return now.fds <= before.fds + FD_SLACK ? now : undefined;
    }, `descriptors back to ${before.fds} + ${FD_SLACK} (now ${openFds()})`, 30_000);
    console.log(
      `hygiene: fds ${before.fds} -> ${after.fds} (slack ${FD_SLACK}), RSS ${before.rss.toFixed(0)} -> ${after.rss.toFixed(0)} MiB (slack ${RSS_SLACK_MIB}), heap after GC ${before.heap.toFixed(1)} -> ${after.heap.toFixed(1)} MiB (slack ${HEAP_SLACK_MIB})`,
    );
    expect(after.rss).toBeLessThanOrEqual(before.rss + RSS_SLACK_MIB);
    expect(after.heap).toBeLessThanOrEqual(before.heap + HEAP_SLACK_MIB);

    // Inside the container: the main process and this ps, nothing else.
    const ps = await execOnce(target, ['ps', '-o', 'pid,args']);
    const procs = ps.stdout.trim().split('\n').slice(1).map((l) => l.trim().split(/\s+/).slice(1).join(' '));
    expect(procs.filter((p) => !p.startsWith('ps '))).toEqual(['httpd -f -p 8080 -h /www']);
  }, 240_000);
});
