// A thin wrapper over the OCI runtime CLI (crun or runc: the same verbs and flags), with its
// state kept under a root of our own so several skiff runtimes on one machine never see each
// other's containers.
import fs from 'node:fs';
import { RuntimeError } from '../cri.js';
import { mustRun, runCommand } from './command.js';

export type OciRuntimeName = 'crun' | 'runc';

export interface OciState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'stopped' | 'paused';
  bundle: string;
}

const SEARCH = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin', '/bin', '/sbin'];

export function findBinary(name: string): string | undefined {
  for (const dir of SEARCH) {
    const p = `${dir}/${name}`;
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * crun 1.8 refuses cgroup v1 machines that also mount a cgroup2 hierarchy holding controllers
 * ("cgroups in hybrid mode not supported"); runc copes. So crun is the default only where it can run.
 */
export function crunUsable(): boolean {
  try {
    const st = fs.statfsSync('/sys/fs/cgroup');
    const CGROUP2_MAGIC = 0x63677270;
    if (st.type === CGROUP2_MAGIC) return true;
    const controllers = fs.readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').trim();
    return controllers === '';
  } catch {
    return true;
  }
}

export function chooseRuntime(preferred?: OciRuntimeName): { name: OciRuntimeName; path: string } {
  const order: OciRuntimeName[] = preferred ? [preferred] : crunUsable() ? ['crun', 'runc'] : ['runc', 'crun'];
  for (const name of order) {
    const p = findBinary(name);
    if (p) return { name, path: p };
  }
  throw new RuntimeError('Unavailable', `no OCI runtime found (looked for ${order.join(', ')} in ${SEARCH.join(':')})`);
}

/** True when `pid` is a live process (not a zombie). */
function aliveNotZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * What `runc start` does, without launching runc (a Go process start costs more than the rest
 * of a container start): a created runc container's init waits, in `open(O_WRONLY)` of
 * `<state>/<id>/exec.fifo`, for a reader; it writes one byte and execs the user's process (the
 * fd is close-on-exec, so the reader sees EOF at the exec). `runc start` opens the fifo for
 * reading, reads to EOF and removes it; runc then reports the container as running because the
 * fifo is gone. Same steps here. Returns false (nothing done) when the container is not a
 * created runc container whose init is alive, so the caller falls back to `runc start`, which
 * gives runc's own errors.
 */
export async function releaseRuncExecFifo(containerStateDir: string): Promise<boolean> {
  const fifo = `${containerStateDir}/exec.fifo`;
  let pid: number;
  try {
    if (!fs.lstatSync(fifo).isFIFO()) return false;
    pid = Number((JSON.parse(fs.readFileSync(`${containerStateDir}/state.json`, 'utf8')) as { init_process_pid?: number }).init_process_pid);
  } catch {
    return false;
  }
  if (!pid || !aliveNotZombie(pid)) return false;
  // The blocking open runs on a libuv thread; should init die meanwhile, nobody would ever open
  // the writing end, so a watchdog opens it (non-blocking) to let the read end through.
  const watchdog = setInterval(() => {
    if (aliveNotZombie(pid)) return;
    clearInterval(watchdog);
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    } catch {
      // no reader yet or the fifo is gone: the read below ends either way
    }
  }, 100);
  let data: Buffer;
  try {
    data = await fs.promises.readFile(fifo);
  } finally {
    clearInterval(watchdog);
  }
  if (data.length === 0) throw new RuntimeError('Internal', `container's init process (pid ${pid}) exited before it was started`);
  fs.rmSync(fifo, { force: true });
  return true;
}

export class OciRuntime {
  readonly name: OciRuntimeName;
  readonly path: string;
  /** The runtime's state directory (--root). */
  readonly stateRoot: string;

  constructor(opts: { name: OciRuntimeName; path: string; stateRoot: string }) {
    this.name = opts.name;
    this.path = opts.path;
    this.stateRoot = opts.stateRoot;
  }

  /** Arguments conmon passes before the verb. */
  globalArgs(): string[] {
    return [`--root=${this.stateRoot}`];
  }

  async version(): Promise<string> {
    const r = await runCommand(this.path, ['--version']);
    return r.stdout.split('\n')[0].replace(/^\S+ version /, '').trim();
  }

  /** undefined when the runtime does not know the container. */
  async state(id: string): Promise<OciState | undefined> {
    const r = await runCommand(this.path, [...this.globalArgs(), 'state', id]);
    if (r.code !== 0) {
      if (/does not exist|not exist|No such file/i.test(r.stderr)) return undefined;
      throw new RuntimeError('Internal', `${this.name} state ${id}: ${r.stderr.trim()}`);
    }
    return JSON.parse(r.stdout) as OciState;
  }

  async start(id: string): Promise<void> {
    if (this.name === 'runc' && (await releaseRuncExecFifo(`${this.stateRoot}/${id}`))) return;
    await mustRun(this.path, [...this.globalArgs(), 'start', id]);
  }

  /** Sends a signal to the init process; false when the container had already stopped. */
  async kill(id: string, signal: string): Promise<boolean> {
    const r = await runCommand(this.path, [...this.globalArgs(), 'kill', id, signal.replace(/^SIG/, '')]);
    if (r.code === 0) return true;
    if (/not running|stopped|does not exist|no such process|container not running/i.test(r.stderr)) return false;
    throw new RuntimeError('Internal', `${this.name} kill ${id} ${signal}: ${r.stderr.trim()}`);
  }

  /** Deletes the container (forcibly); idempotent. */
  async delete(id: string): Promise<void> {
    const r = await runCommand(this.path, [...this.globalArgs(), 'delete', '--force', id]);
    if (r.code !== 0 && !/does not exist|not exist|No such file/i.test(r.stderr)) {
      throw new RuntimeError('Internal', `${this.name} delete ${id}: ${r.stderr.trim()}`);
    }
  }

  /**
   * Arguments for `exec` of a command in a running container (execSync, exec). With tty the
   * runtime, in the foreground, makes the container's pty and relays it over its own stdio.
   */
  execArgs(id: string, cmd: string[], pidFile: string, tty = false): string[] {
    return [...this.globalArgs(), 'exec', ...(tty ? ['--tty'] : []), '--pid-file', pidFile, id, ...cmd];
  }
}
