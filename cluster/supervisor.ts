// Process supervision for `skiff up` and labs: each component runs as a child process with
// its output appended to a log file, is restarted with exponential backoff when it dies
// unexpectedly (reset after it has stayed up a while), and is stopped by its own PID:
// SIGTERM, then SIGKILL after a grace period. Stopping goes in reverse start order.
// Each component leads a process group of its own and signals go to that group, so helper
// processes it forked go with it (processes that daemonise, like conmon, leave the group
// on purpose and are not touched).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { EventEmitter } from 'node:events';
import path from 'node:path';
import { exponentialBackoffMs } from '../client/backoff.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from './state.js';

export interface ComponentSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Extra wrapping, e.g. ['nsenter', '--net=/run/netns/ns', '--'] for a lab node's kubelet. */
  prefix?: string[];
  /** Milliseconds to wait after SIGTERM before SIGKILL. */
  stopGraceMs?: number;
  /** Components the process runs inside itself (`skiff server`: apiserver, scheduler, ...), for `skiff status`. */
  hosts?: string[];
}

export interface ComponentState {
  name: string;
  pid?: number;
  running: boolean;
  restarts: number;
  lastExit?: { code: number | null; signal: string | null; at: string };
  logFile: string;
  hosts?: string[];
}

export interface SupervisorOptions {
  logDir: string;
  /** First restart delay; doubles up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run longer than this resets the backoff. */
  resetAfterMs?: number;
  /** Mirror component output to this stream too (skiff up --foreground). */
  tee?: NodeJS.WritableStream;
}

interface Managed {
  spec: ComponentSpec;
  state: ComponentState;
  child?: ChildProcess;
  log: WriteStream;
  /** Deaths since the last long run (or release): how long the next restart waits. */
  failures: number;
  startedAt: number;
  stopping: boolean;
  timer?: NodeJS.Timeout;
  exited?: Promise<void>;
}

/** Signals the process group led by `pid` (falling back to the process alone). */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export class Supervisor extends EventEmitter<{ exit: [ComponentState]; start: [ComponentState] }> {
  readonly #opts: Required<Omit<SupervisorOptions, 'tee'>> & Pick<SupervisorOptions, 'tee'>;
  readonly #components = new Map<string, Managed>();
  #stopped = false;

  constructor(opts: SupervisorOptions) {
    super();
    this.#opts = { initialBackoffMs: 500, maxBackoffMs: 10_000, resetAfterMs: 30_000, ...opts };
  }

  async start(spec: ComponentSpec): Promise<ComponentState> {
    if (this.#components.has(spec.name)) throw new Error(`component ${spec.name} already supervised`);
    await mkdir(this.#opts.logDir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const logFile = path.join(this.#opts.logDir, `${spec.name}.log`);
    const m: Managed = {
      spec,
      state: { name: spec.name, running: false, restarts: 0, logFile, ...(spec.hosts ? { hosts: [...spec.hosts] } : {}) },
      log: createWriteStream(logFile, { flags: 'a', mode: PRIVATE_FILE_MODE }),
      failures: 0,
      startedAt: 0,
      stopping: false,
    };
    this.#components.set(spec.name, m);
    this.#launch(m);
    return { ...m.state };
  }

  #launch(m: Managed): void {
    const [cmd, ...args] = [...(m.spec.prefix ?? []), m.spec.command, ...m.spec.args];
    const child = spawn(cmd, args, { cwd: m.spec.cwd, env: m.spec.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    m.child = child;
    m.startedAt = Date.now();
    const write = (b: Buffer) => {
      m.log.write(b);
      this.#opts.tee?.write(b);
    };
    child.stdout?.on('data', write);
    child.stderr?.on('data', write);
    m.exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        write(Buffer.from(`[supervisor] ${m.spec.name}: ${err.message}\n`));
      });
      child.once('exit', (code, signal) => {
        m.state.running = false;
        m.state.pid = undefined;
        m.state.lastExit = { code, signal, at: new Date().toISOString() };
        write(Buffer.from(`[supervisor] ${m.spec.name} exited (code ${code}, signal ${signal})\n`));
        this.emit('exit', { ...m.state });
        resolve();
        if (!m.stopping && !this.#stopped) this.#scheduleRestart(m);
      });
    });
    if (child.pid !== undefined) {
      m.state.pid = child.pid;
      m.state.running = true;
      this.emit('start', { ...m.state });
    }
  }

  #scheduleRestart(m: Managed): void {
    if (Date.now() - m.startedAt > this.#opts.resetAfterMs) m.failures = 0;
    const delay = exponentialBackoffMs(++m.failures, this.#opts.initialBackoffMs, this.#opts.maxBackoffMs);
    m.timer = setTimeout(() => {
      m.timer = undefined;
      if (m.stopping || this.#stopped) return;
      m.state.restarts++;
      this.#launch(m);
    }, delay);
  }

  status(): ComponentState[] {
    return [...this.#components.values()].map((m) => ({ ...m.state }));
  }

  get(name: string): ComponentState | undefined {
    const m = this.#components.get(name);
    return m && { ...m.state };
  }

  /** Stops a component but keeps it known, until release() (a lab's stop-node). */
  async hold(name: string): Promise<void> {
    const m = this.#components.get(name);
    if (!m || m.stopping) return;
    m.stopping = true;
    if (m.timer) clearTimeout(m.timer);
    await this.#terminate(m);
  }

  /** Starts a held component again. */
  release(name: string): void {
    const m = this.#components.get(name);
    if (!m || !m.stopping || this.#stopped) return;
    m.stopping = false;
    m.failures = 0;
    this.#launch(m);
  }

  isHeld(name: string): boolean {
    return this.#components.get(name)?.stopping === true;
  }

  async #terminate(m: Managed): Promise<void> {
    const child = m.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      const pid = child.pid;
      signalGroup(pid, 'SIGTERM');
      const kill = setTimeout(() => signalGroup(pid, 'SIGKILL'), m.spec.stopGraceMs ?? 10_000);
      await m.exited;
      clearTimeout(kill);
    }
  }

  /** Stops one component for good (no restart). */
  async stopComponent(name: string): Promise<void> {
    const m = this.#components.get(name);
    if (!m) return;
    m.stopping = true;
    if (m.timer) clearTimeout(m.timer);
    await this.#terminate(m);
    await new Promise<void>((r) => m.log.end(r));
    this.#components.delete(name);
  }

  /** Stops everything, last started first. */
  async stopAll(): Promise<void> {
    this.#stopped = true;
    for (const name of [...this.#components.keys()].reverse()) await this.stopComponent(name);
  }
}
