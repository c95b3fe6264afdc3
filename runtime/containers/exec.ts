// Exec (CRI's streaming Exec): a command in a running container with its streams open, for
// the kubelet's streaming server. Without a TTY, `<runtime> exec` with pipes: the runtime hands
// them to the process as its stdio, so stdout and stderr stay apart and ending stdin is the
// process's EOF. The spawn companion starts it and hands the pipes over (stream-command.ts):
// no fork of this process, whose loop would stand still meanwhile. With a TTY, `<runtime> exec --tty` in a pseudo-terminal of our own (node-pty):
// in the foreground the runtime makes the container's pty, puts ours in raw mode and relays
// between them, and follows our size on SIGWINCH, which a resize of ours delivers. So Ctrl-C
// written to stdin reaches the container's terminal, and `stty size` sees each resize.
// Input to the terminal waits until the process has started (the runtime writes its pid file
// after putting our pty in raw mode): earlier, our pty's line discipline would take a ^C or ^D
// for the runtime itself. The runtime sizes the container's terminal just after the process
// starts, as containerd does, so a process asking at once may still see 0x0; SIGWINCH follows.
// kill() (a client that went away) kills the exec'd process by its host PID and nothing else.
import fs from 'node:fs/promises';
import { PassThrough, Writable } from 'node:stream';
import type { IPty } from 'node-pty';
import { RuntimeError, type ExecOptions, type StreamSession, type TerminalSize } from '../cri.js';
import type { ContainerRecord, RuntimeContext } from '../runtime-context.js';
import { execPid, execPidFile, exitCodeOf, killExecProcess, runningContainer, startRuntimeExec } from './exec-process.js';

const DEFAULT_SIZE: TerminalSize = { width: 80, height: 24 };
/** What a terminal sends for end of input (VEOF, ^D): a TTY's stdin half-close. */
const EOT = Buffer.from([4]);

export async function exec(ctx: RuntimeContext, idOrPrefix: string, options: ExecOptions): Promise<StreamSession> {
  const rec = await runningContainer(ctx, idOrPrefix, options.cmd);
  return options.tty ? ttyExec(ctx, rec, options) : pipeExec(ctx, rec, options);
}

/**
 * What both kinds of session do once the runtime's exec ends: the pid file goes, behind the
 * exit code rather than before it (the client's answer need not wait for a file's removal; a
 * kill after the end reads no file, see killExecProcess).
 */
function settle(pidFile: string, exit: Promise<number>): Promise<number> {
  return exit.finally(() => void fs.rm(pidFile, { force: true }).catch(() => undefined));
}

async function pipeExec(ctx: RuntimeContext, rec: ContainerRecord, options: ExecOptions): Promise<StreamSession> {
  const pidFile = execPidFile(rec);
  const child = await startRuntimeExec(ctx, rec, options.cmd, pidFile, options.stdin === true);
  let done = false;
  // A process that stops reading its stdin must not crash this one with EPIPE.
  child.stdin?.on('error', () => undefined);
  const exited = settle(
    pidFile,
    child.exited
      .then(
        ({ code, signal }) => exitCodeOf(code, signal),
        (e: Error) => {
          throw new RuntimeError('Unavailable', `${ctx.oci.name} exec: ${e.message}`, { cause: e });
        },
      )
      .finally(() => {
        done = true;
        child.stdin?.destroy();
      }),
  );
  return {
    stdin: child.stdin,
    stdout: child.stdout,
    stderr: child.stderr,
    resize: () => undefined,
    exited,
    kill: () => void killExecProcess(pidFile, () => done, child.kill),
  };
}

async function ttyExec(ctx: RuntimeContext, rec: ContainerRecord, options: ExecOptions): Promise<StreamSession> {
  // Loaded on first use: a native module, which only a TTY needs.
  const pty = await import('node-pty').catch((e: unknown) => {
    throw new RuntimeError('Unavailable', `exec with a TTY needs the node-pty module: ${(e as Error).message}`, { cause: e });
  });
  const pidFile = execPidFile(rec);
  const size = options.size ?? DEFAULT_SIZE;
  let term: IPty;
  try {
    term = pty.spawn(ctx.oci.path, ctx.oci.execArgs(rec.id, options.cmd, pidFile, true), {
      cols: size.width,
      rows: size.height,
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', TERM: 'xterm' },
      encoding: null,
    });
  } catch (e) {
    throw new RuntimeError('Unavailable', `cannot run ${ctx.oci.name} exec in a pty: ${(e as Error).message}`, { cause: e });
  }
  let done = false;
  const stdout = new PassThrough();
  term.onData((d: string | Buffer) => stdout.write(d));
  const exited = settle(
    pidFile,
    new Promise<number>((resolve) =>
      term.onExit(({ exitCode, signal }) => {
        done = true;
        // node-pty delivers the last output before the exit; after it the pty is closed.
        stdout.end();
        resolve(signal ? exitCodeOf(null, signal) : exitCode);
      }),
    ),
  );
  const started = execPid(pidFile, () => done);
  const input = (data: Buffer, cb: () => void) =>
    void started.then(() => {
      if (!done) term.write(data);
      cb();
    });
  const stdin = options.stdin
    ? new Writable({
        write: (chunk: Buffer, _enc, cb) => input(chunk, cb),
        final: (cb) => input(EOT, cb),
      })
    : undefined;
  return {
    stdin,
    stdout,
    resize: (s) => {
      if (!done && s.width > 0 && s.height > 0) term.resize(s.width, s.height);
    },
    exited,
    kill: () => void killExecProcess(pidFile, () => done, () => term.kill('SIGKILL')),
  };
}
