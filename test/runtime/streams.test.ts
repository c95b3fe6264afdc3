// Streaming exec, attach and port-forward on the real parts (runc in a pty of ours, conmon's
// attach socket through the spawn companion's relay, the companion's connect in the pod's
// namespace): what only a real terminal and real processes show (a resize reaching `stty size`,
// Ctrl-C reaching `sleep`), and hygiene: hundreds of execs, attaches and connections leave
// this process's descriptors, the companion's and the container's processes as they were.
// The CRI contract (cri-contract.test.ts) covers the rest on both the fake and the real runtime.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isRuntimeError, type PodSandboxConfig, type StreamSession } from '../../runtime/cri.js';
import { httpGet, textOf } from '../../runtime/testing/cri-contract.js';
import { eventually } from '../fixtures/eventually.js';
import { runContainer, startHarness, startHttpd, waitFor, type Harness } from './harness.js';

let h: Harness;
let sb: { id: string; config: PodSandboxConfig };
let ctr: string;

beforeAll(async () => {
  h = await startHarness({ runtime: 'runc' });
  const config = h.sandboxConfig('streams');
  sb = { id: await h.rt.runPodSandbox(config), config };
  ctr = await runContainer(h, sb.id, sb.config, h.containerConfig('main', { command: ['sleep', '100000'] }));
});
afterAll(async () => {
  await h?.teardown();
});

/** Collects a session's output as it comes; until() waits for a pattern in it. */
function watch(s: StreamSession) {
  let out = '';
  s.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return {
    get text() {
      return out;
    },
    until: (re: RegExp) => waitFor(async () => re.test(out), `${re} in the terminal (got ${JSON.stringify(out)})`, 10_000),
  };
}

/** The OCI runtime's exec processes still running for this harness's root: their PIDs and command lines. */
function runtimeExecProcesses(): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmd.includes(h.root) && cmd.split('\0').includes('exec')) found.push({ pid: Number(pid), cmd: cmd.replace(/\0/g, ' ') });
  }
  return found;
}
const runtimeExecs = () => runtimeExecProcesses().map((p) => p.cmd);

/** A process's parent, from /proc. */
function parentOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** The pipe (or socket) a process has on a descriptor, as /proc names it. */
const fdTarget = (pid: number | 'self', fd: number | string) => fs.readlinkSync(`/proc/${pid}/fd/${fd}`);

/** The container's processes (what `ps` in it lists, less ps itself). */
async function containerProcesses(): Promise<string[]> {
  const r = await h.rt.execSync(ctr, ['ps', '-o', 'pid,args'], 10);
  return r.stdout
    .toString()
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() && !/ ps -o /.test(l));
}

const fdCount = () => fs.readdirSync('/proc/self/fd').length;

/**
 * The attach relays open in this process's spawn companions: their descriptors on
 * SOCK_SEQPACKET sockets (conmon's attach sockets; nothing else in the companion is one).
 */
function companionRelays(): number {
  const seqpacket = new Set<string>();
  for (const line of fs.readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[4] === '0005' && f[6]) seqpacket.add(f[6]);
  }
  let n = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid || !fs.readlinkSync(`/proc/${pid}/exe`).endsWith('skiff-spawn')) continue;
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        if (inode && seqpacket.has(inode)) n++;
      }
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

/** A container's processes, as its `ps` lists them. */
async function containerPs(id: string): Promise<string[]> {
  return (await h.rt.execSync(id, ['ps', '-o', 'args'], 10)).stdout.toString().split('\n');
}

/** Exec pid files anywhere under the runtime root (they live in bundles while an exec runs). */
const bundlePidFiles = () => fs.readdirSync(path.join(h.root, 'rt'), { recursive: true, encoding: 'utf8' }).filter((f) => /exec-[0-9a-f]+\.pid$/.test(f));

describe('exec with a TTY', () => {
  // The runtime sizes the container's terminal just after starting the process (busybox stty
  // then prints an error and exits 0), hence the wait for a size.
  it('starts at the size asked, follows a resize, and merges the streams', async () => {
    // After the resize the runtime resizes the container's terminal on its SIGWINCH, a moment
    // later: the shell waits (up to 5 s) for the size to change before printing it.
    const s = await h.rt.exec(ctr, {
      cmd: ['sh', '-c', 'until stty size | grep -q .; do sleep 0.05; done; stty size; echo to-err >&2; read x; for i in $(seq 100); do [ "$(stty size)" = "31 91" ] || break; sleep 0.05; done; stty size'],
      tty: true,
      stdin: true,
      size: { width: 91, height: 31 },
    });
    expect(s.stderr).toBeUndefined();
    const t = watch(s);
    await t.until(/31 91[^]*to-err/);
    s.resize({ width: 120, height: 50 });
    s.stdin?.write('go\r');
    expect(await s.exited).toBe(0);
    expect(t.text).toMatch(/50 120/);
  });

  it('Ctrl-C interrupts sleep (130); an exit code comes back; end of stdin is end of input', async () => {
    const sleeping = await h.rt.exec(ctr, { cmd: ['sleep', '1000'], tty: true, stdin: true });
    await new Promise((r) => setTimeout(r, 300));
    sleeping.stdin?.write(Buffer.from([3]));
    expect(await sleeping.exited).toBe(130);

    const seven = await h.rt.exec(ctr, { cmd: ['sh', '-c', 'exit 7'], tty: true });
    expect(await seven.exited).toBe(7);

    const cat = await h.rt.exec(ctr, { cmd: ['cat'], tty: true, stdin: true });
    const t = watch(cat);
    cat.stdin?.write('line\r');
    await t.until(/line/);
    cat.stdin?.end();
    expect(await cat.exited).toBe(0);
  });

  it('kill ends the exec\'d process; no runtime process or pid file is left', async () => {
    const s = await h.rt.exec(ctr, { cmd: ['sleep', '1000'], tty: true, stdin: true });
    await new Promise((r) => setTimeout(r, 200));
    s.kill();
    expect(await s.exited).toBe(137);
    await textOf(s.stdout);
    expect(runtimeExecs()).toEqual([]);
    expect(bundlePidFiles()).toEqual([]);
  });
});

describe('exec without a TTY', () => {
  /**
   * One exec of `cat` checked while it runs: who started the runtime's exec, and with the
   * companion, that its stdio are pipes whose other ends this process holds (Node's spawn
   * gives socketpairs, whose ends /proc names apart); then stdout and stderr apart, stdin's
   * end as the process's EOF, the exit code, and nothing left behind. The runtime's parent.
   */
  async function checkedExec(pipes: boolean): Promise<number> {
    const s = await h.rt.exec(ctr, { cmd: ['sh', '-c', 'cat; echo to-err >&2; exit 4'], stdin: true });
    const [out, err] = [textOf(s.stdout), textOf(s.stderr as NonNullable<typeof s.stderr>)];
    // `cat` waits for its input, so the runtime's exec (no -d) is running.
    const runtime = await eventually(() => runtimeExecProcesses()[0], "the runtime's exec running");
    const here = new Set(
      fs.readdirSync('/proc/self/fd').map((fd) => {
        try {
          return fdTarget('self', fd);
        } catch {
          return ''; // the directory's own descriptor, closed by now
        }
      }),
    );
    for (const fd of [0, 1, 2]) expect([fdTarget(runtime.pid, fd), here.has(fdTarget(runtime.pid, fd))]).toEqual([expect.stringMatching(pipes ? /^pipe:/ : /^socket:/), pipes]);
    const parent = parentOf(runtime.pid);
    s.stdin?.write('in\n');
    s.stdin?.end();
    expect(await out).toBe('in\n');
    expect(await err).toBe('to-err\n');
    expect(await s.exited).toBe(4);
    await eventually(() => runtimeExecs().length === 0 && bundlePidFiles().length === 0, 'no runtime exec or pid file left');
    return parent;
  }

  it('is started by the spawn companion, its streams pipes handed to this process', async () => {
    const parent = await checkedExec(true);
    expect(fs.readlinkSync(`/proc/${parent}/exe`)).toMatch(/\/dist\/bin\/skiff-spawn$/);
    expect(parentOf(parent)).toBe(process.pid);
  });

  it('is started by this process with SKIFF_SPAWN_HELPER=0, and behaves the same', async () => {
    const saved = process.env.SKIFF_SPAWN_HELPER;
    process.env.SKIFF_SPAWN_HELPER = '0';
    try {
      expect(await checkedExec(false)).toBe(process.pid);
      const probe = await h.rt.execSync(ctr, ['sh', '-c', 'echo out; echo err >&2; exit 2'], 10);
      expect({ out: probe.stdout.toString(), err: probe.stderr.toString(), code: probe.exitCode }).toEqual({ out: 'out\n', err: 'err\n', code: 2 });
    } finally {
      if (saved === undefined) delete process.env.SKIFF_SPAWN_HELPER;
      else process.env.SKIFF_SPAWN_HELPER = saved;
    }
  });

  it('ExecSync keeps 16 MiB of each stream, reads the rest, and times out by killing the process', async () => {
    const big = await h.rt.execSync(ctr, ['sh', '-c', 'head -c 20000000 /dev/zero; echo err >&2'], 30);
    expect(big.stdout.length).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(big.stdout.length).toBeLessThan(20_000_000);
    expect(big.stderr.toString()).toBe('err\n');
    expect(big.exitCode).toBe(0);
    const slow = await h.rt.execSync(ctr, ['sleep', '1000'], 1).catch((e: unknown) => e);
    expect(isRuntimeError(slow, 'Unavailable') && slow.message).toMatch(/timed out after 1s/);
    await eventually(() => runtimeExecs().length === 0, 'no runtime exec left');
    expect((await containerProcesses()).filter((p) => /sleep 1000$/.test(p))).toEqual([]);
  });
});

describe('port-forward', () => {
  it('is Unavailable, saying why, without the spawn companion', async () => {
    const saved = process.env.SKIFF_SPAWN_HELPER;
    process.env.SKIFF_SPAWN_HELPER = '0';
    try {
      const e = await h.rt.portForward(sb.id, 80).catch((err: unknown) => err);
      expect(isRuntimeError(e, 'Unavailable') && e.message).toMatch(/needs the spawn companion/);
    } finally {
      if (saved === undefined) delete process.env.SKIFF_SPAWN_HELPER;
      else process.env.SKIFF_SPAWN_HELPER = saved;
    }
  });

  it('carries data both ways with half-close; connections overlap', async () => {
    // busybox nc -l answers one connection; -ll with -e keeps listening. Its accept queue is
    // short (past ~10 at once it resets some), so this goes 5 at a time; httpd takes 20 at once
    // in the contract suite.
    await runContainer(h, sb.id, sb.config, h.containerConfig('echo', { command: ['nc', '-ll', '-p', '7000', '-e', 'cat'] }));
    await waitFor(async () => {
      (await h.rt.portForward(sb.id, 7000)).destroy();
      return true;
    }, 'nc on 7000');
    const echo = async (i: number) => {
      const sock = await h.rt.portForward(sb.id, 7000);
      const got = textOf(sock);
      sock.write(`hello ${i}\n`);
      sock.end(`bye ${i}\n`);
      return got;
    };
    const answers: string[] = [];
    for (let i = 0; i < 50; i += 5) answers.push(...(await Promise.all(Array.from({ length: 5 }, (_, k) => echo(i + k)))));
    expect(answers).toEqual(Array.from({ length: 50 }, (_, i) => `hello ${i}\nbye ${i}\n`));
  });
});

describe('attach', () => {
  it('keeps stdout and stderr apart for a container without a TTY', async () => {
    const id = await runContainer(h, sb.id, sb.config, h.containerConfig('apart', { command: ['sh', '-c', 'while read l; do echo "out $l"; echo "err $l" >&2; done'], stdin: true }));
    const s = await h.rt.attach(id, { stdin: true });
    const out = watch(s);
    let err = '';
    s.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    s.stdin?.write('one\n');
    await out.until(/^out one\n$/);
    await waitFor(async () => err === 'err one\n', `stderr apart (got ${JSON.stringify(err)})`);
    s.kill();
    await h.rt.stopContainer(id, 0);
  });

  it('a shell on the container\'s terminal: sized at attach, resized, Ctrl-C reaching it, and exit as the container\'s', async () => {
    const id = await runContainer(h, sb.id, sb.config, h.containerConfig('tty', { command: ['sh'], stdin: true, tty: true }));
    const s = await h.rt.attach(id, { stdin: true, size: { width: 91, height: 31 } });
    expect(s.stderr).toBeUndefined();
    const t = watch(s);
    // A size reaches the container's terminal a moment after it is asked for (SIGWINCH, as a window's).
    const sized = (rows: number, cols: number) =>
      eventually(
        async () => {
          s.stdin?.write('stty size\r');
          return t.text.includes(`\r\n${rows} ${cols}\r\n`);
        },
        `stty size ${rows} ${cols}`,
        15_000,
        { intervalMs: 300 },
      );
    await sized(31, 91);
    s.resize({ width: 120, height: 50 });
    await sized(50, 120);
    s.stdin?.write('sleep 1000\r');
    await waitFor(async () => (await containerPs(id)).some((l) => l.includes('sleep 1000')), 'sleep running');
    s.stdin?.write(Buffer.from([3]));
    await waitFor(async () => !(await containerPs(id)).some((l) => l.includes('sleep 1000')), 'sleep interrupted');
    s.stdin?.write('exit 5\r');
    expect(await s.exited).toBe(5);
    await textOf(s.stdout);
  });

  it('detaching 100 times leaves the container running, no descriptor behind here and no relay in the companion', async () => {
    const savedIdle = process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
    process.env.SKIFF_SPAWN_HELPER_IDLE_MS = '600000';
    try {
      const id = await runContainer(h, sb.id, sb.config, h.containerConfig('cat', { command: ['cat'], stdin: true }));
      const echo = async (line: string, detach: boolean) => {
        const s = await h.rt.attach(id, { stdin: true });
        const t = watch(s);
        s.stdin?.write(`${line}\n`);
        // conmon gives every attached session all output: the others' lines come too.
        await t.until(new RegExp(`${line}\n`));
        if (detach) s.kill();
        return s;
      };
      const warm = await echo('warm', false);
      expect(companionRelays()).toBe(1);
      warm.kill();
      await waitFor(async () => companionRelays() === 0, 'the first session\'s relay closed');
      const before = fdCount();
      for (let i = 0; i < 100; i += 10) await Promise.all(Array.from({ length: 10 }, (_, k) => echo(`line ${i + k}`, true)));
      expect((await h.rt.containerStatus(id)).state).toBe('CONTAINER_RUNNING');
      await waitFor(async () => fdCount() === before && companionRelays() === 0, 'descriptors back, and no relay open').catch((e: Error) => {
        throw new Error(`${e.message}: ${fdCount()} descriptors (${before} before), ${companionRelays()} relays`);
      });
      // stdinOnce is not set: the container's stdin outlived every session.
      (await echo('still here', true)).kill();
      await h.rt.stopContainer(id, 0);
    } finally {
      if (savedIdle === undefined) delete process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
      else process.env.SKIFF_SPAWN_HELPER_IDLE_MS = savedIdle;
    }
  });

  it('is Unavailable, saying why, without the spawn companion', async () => {
    const saved = process.env.SKIFF_SPAWN_HELPER;
    process.env.SKIFF_SPAWN_HELPER = '0';
    try {
      const e = await h.rt.attach(ctr, {}).catch((err: unknown) => err);
      expect(isRuntimeError(e, 'Unavailable') && e.message).toMatch(/needs the spawn companion/);
    } finally {
      if (saved === undefined) delete process.env.SKIFF_SPAWN_HELPER;
      else process.env.SKIFF_SPAWN_HELPER = saved;
    }
  });
});

describe('hygiene', () => {
  it('200 execs and 200 port-forward connections leave no descriptor, process or pid file behind', async () => {
    await startHttpd(h, sb, 8080, 'hygiene');
    // Keep the spawn companion up throughout, so its own pipes count the same before and after.
    const savedIdle = process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
    process.env.SKIFF_SPAWN_HELPER_IDLE_MS = '600000';
    try {
      (await h.rt.portForward(sb.id, 8080)).destroy();
      const procsBefore = await containerProcesses();
      await waitFor(async () => fdCount() > 0, 'fds');
      const fdsBefore = fdCount();

      const one = async (i: number) => {
        const tty = i % 10 === 0;
        const s = await h.rt.exec(ctr, { cmd: ['sh', '-c', i % 7 === 0 ? 'sleep 1000' : 'cat; echo done'], stdin: true, tty });
        const out = textOf(s.stdout);
        if (s.stderr) void textOf(s.stderr);
        if (i % 7 === 0) s.kill();
        else s.stdin?.end(tty ? '' : `in ${i}\n`);
        const code = await s.exited;
        await out;
        return code;
      };
      const codes: number[] = [];
      for (let i = 0; i < 200; i += 20) codes.push(...(await Promise.all(Array.from({ length: 20 }, (_, k) => one(i + k)))));
      expect(codes.filter((c) => c === 137)).toHaveLength(Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 7 === 0).length);
      expect(codes.filter((c) => c !== 137 && c !== 0)).toEqual([]);

      for (let i = 0; i < 200; i += 20) {
        const answers = await Promise.all(Array.from({ length: 20 }, async () => httpGet(await h.rt.portForward(sb.id, 8080))));
        for (const a of answers) expect(a).toMatch(/hygiene/);
      }

      await waitFor(async () => fdCount() === fdsBefore, `this process's descriptors back to ${fdsBefore} (now ${fdCount()})`);
      expect(runtimeExecs()).toEqual([]);
      expect(bundlePidFiles()).toEqual([]);
      expect(await containerProcesses()).toEqual(procsBefore);
    } finally {
      if (savedIdle === undefined) delete process.env.SKIFF_SPAWN_HELPER_IDLE_MS;
      else process.env.SKIFF_SPAWN_HELPER_IDLE_MS = savedIdle;
    }
  }, 180_000);
});
