// ExecSync (exec probes, `skiff cri exec`): `<runtime> exec` of a command in the running
// container, inheriting its user, env, cwd and capabilities from the container's spec. On
// timeout the exec'd process is killed by its host PID (exec-process.ts), which also ends the
// runtime's exec. Started as a streaming exec is (stream-command.ts: by the spawn companion,
// no fork of this process), its output read here up to the cap; not the companion's `run`,
// which holds a command's whole output in the companion and sends it as one line of hex.
import fs from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { RuntimeError, type ExecSyncResponse } from '../cri.js';
import type { RuntimeContext } from '../runtime-context.js';
import { execPidFile, exitCodeOf, killExecProcess, runningContainer, startRuntimeExec } from './exec-process.js';

const MAX_OUTPUT = 16 * 1024 * 1024; // as CRI-O caps exec sync output

export async function execSync(ctx: RuntimeContext, idOrPrefix: string, cmd: string[], timeout: number): Promise<ExecSyncResponse> {
  const rec = await runningContainer(ctx, idOrPrefix, cmd);
  const pidFile = execPidFile(rec);
  const unavailable = (e: Error) => {
    throw new RuntimeError('Unavailable', `cannot run ${ctx.oci.name} exec: ${e.message}`, { cause: e });
  };
  let timedOut = false;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const child = await startRuntimeExec(ctx, rec, cmd, pidFile, false);
    const output = Promise.all([collect(child.stdout), collect(child.stderr)]);
    if (timeout > 0) {
      timer = setTimeout(() => {
        timedOut = true;
        void killExecProcess(pidFile, () => closed, child.kill);
      }, timeout * 1000);
    }
    const exited = child.exited.catch(unavailable).finally(() => {
      closed = true;
    });
    // Done as Node's 'close' is: the runtime has exited and both streams have ended.
    const [{ code, signal }, [stdout, stderr]] = await Promise.all([exited, output]);
    if (timedOut) throw new RuntimeError('Unavailable', `command ${JSON.stringify(cmd)} in container ${rec.id} timed out after ${timeout}s`);
    return { stdout, stderr, exitCode: exitCodeOf(code, signal) };
  } finally {
    closed = true;
    if (timer) clearTimeout(timer);
    await fs.rm(pidFile, { force: true });
  }
}

/** A stream's output, up to MAX_OUTPUT (the rest read and dropped, so the process is never stuck writing). */
function collect(from: Readable): Promise<Buffer> {
  const kept: Buffer[] = [];
  let len = 0;
  from.on('data', (b: Buffer) => {
    if (len < MAX_OUTPUT) kept.push(b);
    len += b.length;
  });
  from.on('error', () => undefined); // then closed: what came is the output
  return new Promise((resolve) => from.once('close', () => resolve(Buffer.concat(kept))));
}
