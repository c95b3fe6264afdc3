// ExecSync (exec probes, `skiff cri exec`): `<runtime> exec` of a command in the running
// container, inheriting its user, env, cwd and capabilities from the container's spec. On
// timeout the exec'd process is killed by its host PID (exec-process.ts), which also ends the
// runtime's exec.
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import { RuntimeError, type ExecSyncResponse } from '../cri.js';
import type { RuntimeContext } from '../runtime-context.js';
import { execPidFile, exitCodeOf, killExecProcess, runningContainer } from './exec-process.js';

const MAX_OUTPUT = 16 * 1024 * 1024; // as CRI-O caps exec sync output

export async function execSync(ctx: RuntimeContext, idOrPrefix: string, cmd: string[], timeout: number): Promise<ExecSyncResponse> {
  const rec = await runningContainer(ctx, idOrPrefix, cmd);
  const pidFile = execPidFile(rec);
  const child = spawn(ctx.oci.path, ctx.oci.execArgs(rec.id, cmd, pidFile), { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let outLen = 0;
  let errLen = 0;
  child.stdout.on('data', (b: Buffer) => {
    if (outLen < MAX_OUTPUT) out.push(b);
    outLen += b.length;
  });
  child.stderr.on('data', (b: Buffer) => {
    if (errLen < MAX_OUTPUT) err.push(b);
    errLen += b.length;
  });
  let timedOut = false;
  let closed = false;
  const timer =
    timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          void killExecProcess(pidFile, () => closed, () => child.kill('SIGKILL'));
        }, timeout * 1000)
      : undefined;
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new RuntimeError('Unavailable', `cannot run ${ctx.oci.name} exec: ${e.message}`, { cause: e })));
      child.once('close', (c, sig) => resolve(exitCodeOf(c, sig)));
    });
    if (timedOut) throw new RuntimeError('Unavailable', `command ${JSON.stringify(cmd)} in container ${rec.id} timed out after ${timeout}s`);
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code };
  } finally {
    closed = true;
    if (timer) clearTimeout(timer);
    await fs.rm(pidFile, { force: true });
  }
}
