// Starting one conmon per container (the CRI-O monitor): it runs `<runtime> create`, reports
// the container's PID on a sync pipe, then stays behind as the container's parent, writing
// its stdout/stderr as a CRI-format log, its exit code to `<exit-dir>/<id>` and an `oom` file
// into the bundle when the kernel OOM-killed something in its cgroup. conmon double-forks, so
// containers outlive the process that started them.
import { spawn } from 'node:child_process';
import fsSync from 'node:fs';
import { PassThrough } from 'node:stream';
import { RuntimeError } from '../cri.js';
import type { OciRuntime } from './oci-runtime.js';
import { monitorViaCompanion, type MonitorHandle, type MonitorRequest } from './spawner.js';

export interface ConmonOptions {
  id: string;
  name: string;
  bundle: string;
  runtime: OciRuntime;
  logPath: string;
  exitDir: string;
  socketDir: string;
  /** Bytes after which conmon truncates the log (CRI-O's log_size_max); unlimited when absent. */
  logSizeMax?: number;
  conmonPath?: string;
  /**
   * A command conmon runs once the container has exited and its exit file is written
   * (`--exit-command`, as podman runs `podman container cleanup`); the first word is the program.
   */
  exitCommand?: string[];
  /**
   * The container's stdin through conmon (`-i`): attach clients write to it. It closes when
   * the first attach session ends if `stdinOnce`, else it stays open (`--leave-stdin-open`).
   */
  stdin?: boolean;
  stdinOnce?: boolean;
  /** A terminal (`-t`): conmon takes the pty's master from the OCI runtime's console socket. */
  tty?: boolean;
}

export interface ConmonStarted {
  /** The container's init process, as the OCI runtime created it (not yet started). */
  pid: number;
  conmonPid: number;
}

export const conmonPidFile = (bundle: string) => `${bundle}/conmon.pid`;
export const containerPidFile = (bundle: string) => `${bundle}/pidfile`;
export const oomFile = (bundle: string) => `${bundle}/oom`;
/**
 * conmon's attach socket (SOCK_SEQPACKET), bound in the bundle through its socket dir's
 * symlink; and its control fifo, where `1 <height> <width>` resizes the terminal (ctrl.c).
 */
export const attachSocketName = 'attach';
export const controlFifo = (bundle: string) => `${bundle}/ctl`;

/** How long conmon's monitor may take to report on `<runtime> create`. */
const SYNC_TIMEOUT_MS = 120_000;

/** Reads the first JSON message conmon writes on the sync pipe ({"data": pid} or {"data": -1, "message": ...}). */
function readSyncMessage(stream: NodeJS.ReadableStream): Promise<{ data: number; message?: string }> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (b: Buffer) => {
      buf += b.toString();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      stream.off('data', onData);
      try {
        resolve(JSON.parse(buf.slice(0, nl)) as { data: number; message?: string });
      } catch (e) {
        reject(new RuntimeError('Internal', `conmon wrote an unreadable sync message: ${buf.slice(0, nl)}`, { cause: e }));
      }
    };
    stream.on('data', onData);
    stream.once('end', () => {
      if (buf.indexOf('\n') < 0) reject(new RuntimeError('Internal', `conmon closed its sync pipe without a message${buf ? `: ${buf}` : ''}`));
    });
    stream.once('error', reject);
  });
}

/** conmon started from this process (the spawn companion switched off). */
function monitorDirectly(req: MonitorRequest): MonitorHandle {
  const child = spawn(req.cmd, req.args, {
    // fd 3 is the sync pipe, fd 4 the start pipe; conmon's own stdio goes nowhere so it never
    // blocks on a dead reader.
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
    detached: true,
    cwd: req.cwd,
    env: req.env,
  });
  const fd3 = (child.stdio[3] as NodeJS.ReadableStream | null) ?? new PassThrough().end();
  const fd4 = child.stdio[4] as NodeJS.WritableStream | null;
  fd4?.on('error', () => undefined); // conmon died early: the sync pipe says so
  return {
    fd3,
    endFd4: (data) => fd4?.end(data),
    onExit: (cb) => child.once('exit', cb),
    onError: (cb) => child.once('error', cb),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    release: () => {
      child.removeAllListeners('exit');
      (fd3 as unknown as { destroy(): void }).destroy();
      (fd4 as unknown as { destroy(): void } | null)?.destroy();
      child.unref();
    },
  };
}

function startMonitor(req: MonitorRequest): MonitorHandle {
  return monitorViaCompanion(req) ?? monitorDirectly(req);
}

/** A conmon that has started and waits on its start pipe before it runs `<runtime> create`. */
export interface PendingConmon {
  /** Lets conmon go on: it runs `<runtime> create` and reports the container's PID. */
  start(): Promise<ConmonStarted>;
  /** Kills the waiting conmon (it has not forked yet, so nothing else is left behind). */
  abort(): void;
}

/**
 * Spawns conmon holding it at its start pipe (`_OCI_STARTPIPE`, the pipe Podman uses to place
 * conmon in a cgroup before it forks): conmon loads, parses its options and opens the log
 * while the caller mounts the rootfs and writes the bundle, and runs `<runtime> create` only
 * when `start()` is called. The log's directory and the bundle directory must exist already.
 */
export function spawnConmon(o: ConmonOptions): PendingConmon {
  const args = [
    '--api-version', '1',
    '-c', o.id,
    '-u', o.id,
    '-n', o.name,
    '-r', o.runtime.path,
    '-b', o.bundle,
    '-p', containerPidFile(o.bundle),
    '-P', conmonPidFile(o.bundle),
    '-l', `k8s-file:${o.logPath}`,
    '--exit-dir', o.exitDir,
    '--socket-dir-path', o.socketDir,
    '--log-level', 'error',
    ...o.runtime.globalArgs().flatMap((a) => ['--runtime-arg', a]),
  ];
  if (o.stdin) args.push('-i', ...(o.stdinOnce ? [] : ['--leave-stdin-open']));
  if (o.tty) args.push('-t');
  if (o.logSizeMax && o.logSizeMax > 0) args.push('--log-size-max', String(o.logSizeMax));
  if (o.exitCommand?.length) {
    // conmon runs it in its own working directory, the bundle, which the command itself or a
    // removal at the same time may delete: it runs from / instead (a node whose module loader
    // looks up a deleted working directory can hang rather than fail).
    const command = ['/bin/sh', '-c', 'cd / && exec "$@"', 'exit-command', ...o.exitCommand];
    args.push('--exit-command', command[0], ...command.slice(1).flatMap((a) => ['--exit-command-arg', a]));
  }
  const proc = startMonitor({ cmd: o.conmonPath ?? 'conmon', args, cwd: o.bundle, env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3', _OCI_STARTPIPE: '4' } });
  let timer: NodeJS.Timeout | undefined;
  // conmon's first process exits once it has forked the monitor, which reports when
  // `<runtime> create` is done; a monitor that dies closes the sync pipe (a rejection at
  // once). A monitor alive but silent is given as long as the kubelet gives a runtime call
  // (its runtime-request-timeout, 2 min): giving up sooner, on a machine slow enough, left the
  // create running with nobody to remove the container it made.
  const gaveUp = new Promise<never>((_resolve, reject) => {
    proc.onError((e) => reject(new RuntimeError('Unavailable', `cannot start conmon: ${e.message}`, { cause: e })));
    proc.onExit((code) => {
      timer = setTimeout(() => reject(new RuntimeError('Internal', `conmon exited (${code}) and its monitor has not reported on the sync pipe in ${SYNC_TIMEOUT_MS / 1000} s`)), SYNC_TIMEOUT_MS);
      timer.unref();
    });
  });
  gaveUp.catch(() => undefined); // settled by the race below or never observed
  const message = readSyncMessage(proc.fd3);
  message.catch(() => undefined);
  let exited = false;
  proc.onExit(() => (exited = true));
  const release = () => {
    if (timer) clearTimeout(timer);
    proc.release();
  };
  return {
    async start() {
      let msg: { data: number; message?: string };
      try {
        proc.endFd4('0');
        msg = await Promise.race([message, gaveUp]);
      } finally {
        release();
      }
      if (msg.data < 0) throw new RuntimeError('Internal', `creating container ${o.id}: ${(msg.message ?? 'unknown error').trim()}`);
      let conmonPid = 0;
      try {
        conmonPid = Number(fsSync.readFileSync(conmonPidFile(o.bundle), 'utf8').trim());
      } catch {
        // conmon writes it before it reports; a missing file leaves 0 (no monitor PID known)
      }
      return { pid: msg.data, conmonPid };
    },
    abort() {
      // Closing the start pipe would let conmon go on (it reads EOF as "start"): kill it instead.
      if (!exited) proc.kill();
      release();
    },
  };
}

/** conmon runs `<runtime> create` at once; resolves with the created container's PID. */
export function startConmon(o: ConmonOptions): Promise<ConmonStarted> {
  return spawnConmon(o).start();
}

/** True when `pid` is alive and is a conmon (so a recycled PID is never signalled). */
export async function isConmon(pid: number): Promise<boolean> {
  if (!pid) return false;
  try {
    // procfs: never waits on a disk, so a synchronous read is cheaper than a thread-pool trip
    return fsSync.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0].endsWith('conmon');
  } catch {
    return false;
  }
}

/** Kills a conmon left behind (it normally exits on its own after the container does). */
export async function killConmon(pid: number): Promise<void> {
  if (!(await isConmon(pid))) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  for (let i = 0; i < 100 && (await isConmon(pid)); i++) await new Promise((r) => setTimeout(r, 20));
}
