// Starting helper processes (ip, CNI plugins, mount, the OCI runtime) from a small companion
// process instead of from this one. Node forks with fork(2): the kernel copies the page tables
// of the whole calling process, and the calling thread waits until the child has exec'd. In a
// kubelet holding a hundred pods that is 2-3 ms of its only thread per command, ten commands per
// pod start. The companion is a bare `node -e` with a small heap: its forks are cheaper, and
// they no longer hold up this process's event loop.
//
// Protocol: one JSON object per line. To the companion: {t:'run', id, cmd, args, env, input?,
// waitInput?, timeoutMs?}, {t:'input', id, data}, {t:'kill', id}; for a monitor (conmon, which
// talks on fds 3 and 4) {t:'monitor', id, cmd, args, env, cwd}, {t:'write4', id, data},
// {t:'release', id}. From it: {t:'done', id, code, signal, stdout, stderr}, {t:'error', id,
// message}, and for a monitor {t:'fd3', id, data}, {t:'fd3end', id}, {t:'exit', id, code}.
// The companion exits when its stdin closes (this process went away, or left it idle);
// commands already started finish on their own.
// SKIFF_SPAWN_HELPER=0 starts every command directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type { CommandResult } from './command.js';

export interface SpawnRequest {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Known input; or, with waitInput, sent later with input(). */
  input?: string;
  waitInput?: boolean;
  timeoutMs?: number;
}

export interface SpawnedCommand {
  result: Promise<CommandResult>;
  input(data: string): void;
  kill(): void;
}

/** A started monitor process (conmon): fd 3 read, fd 4 written, detached. */
export interface MonitorRequest {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface MonitorHandle {
  /** What the process writes on its fd 3. */
  fd3: NodeJS.ReadableStream;
  /** Writes to its fd 4 and closes it. */
  endFd4(data: string): void;
  onExit(cb: (code: number | null) => void): void;
  onError(cb: (e: Error) => void): void;
  kill(): void;
  /** Forgets the process (it goes on by itself): pipes closed, nothing keeps this process alive for it. */
  release(): void;
}

type FromHelper =
  | { t: 'done'; id: number; code: number | null; signal: string | null; stdout: string; stderr: string }
  | { t: 'error'; id: number; message: string }
  | { t: 'fd3'; id: number; data: string }
  | { t: 'fd3end'; id: number }
  | { t: 'exit'; id: number; code: number | null };

interface Waiter {
  resolve?(r: CommandResult): void;
  reject(e: Error): void;
  onMessage?(m: FromHelper): void;
}

/**
 * The companion's program. It runs as `node -e` from this function's source, so it must not
 * use anything from this module's scope.
 */
function companion(): void {
  // `node -e` runs CommonJS: require is how this program gets its modules.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('node:child_process') as { spawn: typeof spawn };
  const children = new Map<number, ChildProcess>();
  const send = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
  const run = (m: { id: number; cmd: string; args: string[]; env: NodeJS.ProcessEnv; input?: string; waitInput?: boolean; timeoutMs?: number }) => {
    let child: ChildProcess;
    try {
      child = cp.spawn(m.cmd, m.args, { stdio: ['pipe', 'pipe', 'pipe'], env: m.env });
    } catch (e) {
      send({ t: 'error', id: m.id, message: (e as Error).message });
      return;
    }
    children.set(m.id, child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.stdin?.on('error', () => undefined);
    const timer = m.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), m.timeoutMs) : undefined;
    let failed = false;
    child.on('error', (e) => {
      failed = true;
      if (timer) clearTimeout(timer);
      children.delete(m.id);
      send({ t: 'error', id: m.id, message: e.message });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      children.delete(m.id);
      if (!failed) send({ t: 'done', id: m.id, code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (!m.waitInput) child.stdin?.end(m.input ?? '');
  };
  // A monitor (conmon): detached, its stdio on /dev/null, a pipe to read on fd 3 and one to
  // write on fd 4; what comes on fd 3 and its exit are forwarded.
  const monitor = (m: { id: number; cmd: string; args: string[]; env: NodeJS.ProcessEnv; cwd: string }) => {
    let child: ChildProcess;
    try {
      child = cp.spawn(m.cmd, m.args, { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'], detached: true, cwd: m.cwd, env: m.env });
    } catch (e) {
      send({ t: 'error', id: m.id, message: (e as Error).message });
      return;
    }
    children.set(m.id, child);
    const fd3 = child.stdio[3] as NodeJS.ReadableStream | null;
    const fd4 = child.stdio[4] as NodeJS.WritableStream | null;
    fd3?.on('data', (b: Buffer) => send({ t: 'fd3', id: m.id, data: b.toString() }));
    fd3?.on('end', () => send({ t: 'fd3end', id: m.id }));
    fd3?.on('error', () => undefined);
    fd4?.on('error', () => undefined);
    child.on('error', (e) => send({ t: 'error', id: m.id, message: e.message }));
    child.on('exit', (code) => send({ t: 'exit', id: m.id, code }));
  };
  const release = (id: number) => {
    const child = children.get(id);
    children.delete(id);
    if (!child) return;
    child.removeAllListeners('exit');
    for (const fd of [3, 4]) (child.stdio[fd] as unknown as { destroy(): void } | null)?.destroy();
    child.unref();
  };
  let buf = '';
  process.stdin.on('data', (b: Buffer) => {
    buf += b.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, nl)) as { t: string; id: number; data?: string };
      buf = buf.slice(nl + 1);
      if (m.t === 'run') run(m as unknown as Parameters<typeof run>[0]);
      else if (m.t === 'monitor') monitor(m as unknown as Parameters<typeof monitor>[0]);
      else if (m.t === 'input') children.get(m.id)?.stdin?.end(m.data ?? '');
      else if (m.t === 'write4') (children.get(m.id)?.stdio[4] as NodeJS.WritableStream | null | undefined)?.end(m.data ?? '');
      else if (m.t === 'kill') children.get(m.id)?.kill('SIGKILL');
      else if (m.t === 'release') release(m.id);
    }
  });
  process.stdin.on('end', () => process.exit(0));
}

/** How long the companion stays with nothing to do (SKIFF_SPAWN_HELPER_IDLE_MS overrides it). */
const IDLE_EXIT_MS = 3_000;

class Companion {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Waiter>();
  #next = 1;
  #buf = '';
  #idleTimer: NodeJS.Timeout | undefined;
  dead = false;

  constructor() {
    // esbuild (tsx, vitest) names functions through a helper; give the companion one.
    const source = `var __name = (f) => f; (${companion.toString()})();`;
    this.#child = spawn(process.execPath, ['--max-old-space-size=64', '--max-semi-space-size=1', '-e', source], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } });
    this.#child.stdin?.on('error', () => undefined);
    this.#child.stdout?.on('data', (b: Buffer) => this.#onData(b));
    const gone = (why: string) => {
      if (this.dead) return;
      this.dead = true;
      for (const p of this.#pending.values()) p.reject(new Error(`the spawn companion ${why}`));
      this.#pending.clear();
    };
    this.#child.on('error', (e) => gone(`failed: ${e.message}`));
    this.#child.on('exit', (code, signal) => gone(`exited (${signal ?? code})`));
    this.#idle();
  }

  #onData(b: Buffer): void {
    this.#buf += b.toString();
    for (let nl = this.#buf.indexOf('\n'); nl >= 0; nl = this.#buf.indexOf('\n')) {
      const m = JSON.parse(this.#buf.slice(0, nl)) as FromHelper;
      this.#buf = this.#buf.slice(nl + 1);
      const p = this.#pending.get(m.id);
      if (!p) continue;
      if (p.onMessage) {
        p.onMessage(m);
        continue;
      }
      this.#forget(m.id);
      if (m.t === 'done') p.resolve?.({ code: m.code ?? (m.signal ? 128 + 9 : 1), stdout: m.stdout, stderr: m.stderr });
      else if (m.t === 'error') p.reject(new Error(m.message));
    }
  }

  #forget(id: number): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#idle();
  }

  #add(id: number, w: Waiter): void {
    this.#pending.set(id, w);
    if (this.#pending.size === 1) this.#busy();
  }

  /**
   * Nothing pending: the companion must not keep this process alive, and after a while with
   * nothing to do it goes (a node at rest should not hold a Node process for it); the next
   * command starts a new one.
   */
  #idle(): void {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#pending.size > 0 || this.dead) return;
      this.dead = true;
      this.#child.stdin?.end();
    }, Number(process.env.SKIFF_SPAWN_HELPER_IDLE_MS ?? IDLE_EXIT_MS));
    this.#idleTimer.unref();
    this.#hold(false);
  }

  #busy(): void {
    clearTimeout(this.#idleTimer);
    this.#hold(true);
  }

  /** Whether the companion (its process and pipes) keeps this process's event loop alive. */
  #hold(on: boolean): void {
    for (const h of [this.#child, this.#child.stdout, this.#child.stdin] as unknown as ({ ref?(): void; unref?(): void } | null)[]) {
      if (on) h?.ref?.();
      else h?.unref?.();
    }
  }

  #send(o: unknown): void {
    this.#child.stdin?.write(`${JSON.stringify(o)}\n`);
  }

  run(req: SpawnRequest): SpawnedCommand {
    const id = this.#next++;
    const result = new Promise<CommandResult>((resolve, reject) => this.#add(id, { resolve, reject }));
    this.#send({ t: 'run', id, cmd: req.cmd, args: req.args, env: req.env, input: req.input, waitInput: req.waitInput, timeoutMs: req.timeoutMs });
    return {
      result,
      input: (data) => this.#send({ t: 'input', id, data }),
      kill: () => this.#send({ t: 'kill', id }),
    };
  }

  monitor(req: MonitorRequest): MonitorHandle {
    const id = this.#next++;
    const fd3 = new PassThrough();
    const exits: ((code: number | null) => void)[] = [];
    const errors: ((e: Error) => void)[] = [];
    this.#add(id, {
      reject: (e) => {
        for (const cb of errors) cb(e);
      },
      onMessage: (m) => {
        if (m.t === 'fd3') fd3.write(m.data);
        else if (m.t === 'fd3end') fd3.end();
        else if (m.t === 'exit') for (const cb of exits) cb(m.code);
        else if (m.t === 'error') for (const cb of errors) cb(new Error(m.message));
      },
    });
    this.#send({ t: 'monitor', id, cmd: req.cmd, args: req.args, env: req.env, cwd: req.cwd });
    return {
      fd3,
      endFd4: (data) => this.#send({ t: 'write4', id, data }),
      onExit: (cb) => exits.push(cb),
      onError: (cb) => errors.push(cb),
      kill: () => this.#send({ t: 'kill', id }),
      release: () => {
        if (!this.#pending.has(id)) return;
        this.#send({ t: 'release', id });
        this.#forget(id);
        fd3.destroy();
      },
    };
  }
}

let shared: Companion | undefined;

function companionInUse(): Companion | undefined {
  if (process.env.SKIFF_SPAWN_HELPER === '0') return undefined;
  if (!shared || shared.dead) shared = new Companion();
  return shared;
}

/** Starts a command through the companion (started, or restarted, on first use); undefined when it is switched off. */
export function spawnViaCompanion(req: SpawnRequest): SpawnedCommand | undefined {
  return companionInUse()?.run(req);
}

/** Starts a monitor process (conmon) through the companion; undefined when it is switched off. */
export function monitorViaCompanion(req: MonitorRequest): MonitorHandle | undefined {
  return companionInUse()?.monitor(req);
}
