// What ExecSync and Exec share: the running container an exec goes into, the pid file the OCI
// runtime writes for the exec'd process, starting the runtime's exec without a TTY, and killing
// that process by its host PID. Killing the
// runtime's `exec` instead would leave the process running in the container (SIGKILL cannot be
// forwarded); killing the process ends the runtime's exec, which then reports 128+9.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RuntimeError } from '../cri.js';
import { startStreamCommand, type StreamedCommand } from '../oci/stream-command.js';
import type { ContainerRecord, RuntimeContext } from '../runtime-context.js';
import { getContainer, refreshContainer } from './container-state.js';

/** The container, which must be running for an exec. */
export async function runningContainer(ctx: RuntimeContext, idOrPrefix: string, cmd: string[]): Promise<ContainerRecord> {
  if (!Array.isArray(cmd) || cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
  const rec = await refreshContainer(ctx, getContainer(ctx, idOrPrefix));
  if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${rec.id} is not running (${rec.state})`);
  return rec;
}

/** A fresh pid file for one exec, in the container's bundle. */
export const execPidFile = (rec: ContainerRecord) => path.join(rec.bundle, `exec-${crypto.randomBytes(6).toString('hex')}.pid`);

/**
 * `<runtime> exec` of cmd in the container without a TTY, its stdio pipes of this process
 * (stream-command.ts: started by the spawn companion); a runtime that cannot start is Unavailable.
 */
export function startRuntimeExec(ctx: RuntimeContext, rec: ContainerRecord, cmd: string[], pidFile: string, stdin: boolean): Promise<StreamedCommand> {
  return startStreamCommand({ cmd: ctx.oci.path, args: ctx.oci.execArgs(rec.id, cmd, pidFile), env: process.env, stdin }).catch((e: Error) => {
    throw new RuntimeError('Unavailable', `cannot run ${ctx.oci.name} exec: ${e.message}`, { cause: e });
  });
}

/** How long a kill waits for the runtime to write the pid file of a process it is still starting. */
const PID_FILE_WAIT_MS = 5_000;

/**
 * The exec'd process's host PID, once the runtime has started it and written the pid file;
 * undefined when the runtime ends first or the file does not come in time.
 */
export async function execPid(pidFile: string, runtimeDone: () => boolean): Promise<number | undefined> {
  for (const deadline = Date.now() + PID_FILE_WAIT_MS; Date.now() < deadline; await sleep(10)) {
    // Done first: after the runtime's exec ends, the PID in a file not yet removed may be another process's.
    if (runtimeDone()) return undefined;
    const pid = Number((await fs.readFile(pidFile, 'utf8').catch(() => '')).trim());
    if (pid > 0) return pid;
  }
  return undefined;
}

/**
 * SIGKILLs the exec'd process named by the pid file (waiting for the file while the runtime
 * is still starting it). When the runtime ends first there is nothing to kill; when the file
 * never comes, the runtime's own process is killed (`orElse`).
 */
export async function killExecProcess(pidFile: string, runtimeDone: () => boolean, orElse: () => void): Promise<void> {
  const pid = await execPid(pidFile, runtimeDone);
  if (pid === undefined) {
    if (!runtimeDone()) orElse();
    return;
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** An exit as a shell reports it: the code, or 128 + the signal's number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | number | null): number {
  if (code !== null) return code;
  const n = typeof signal === 'number' ? signal : signal ? os.constants.signals[signal] : undefined;
  return n ? 128 + n : 1;
}
