// ExecSync (exec probes, `skiff cri exec`): `<runtime> exec` of a command in the running
// container, inheriting its user, env, cwd and capabilities from the container's spec. On
// timeout the exec'd process is killed by its host PID (the runtime's --pid-file), which also
// ends the runtime's exec.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError, type ExecSyncResponse } from '../cri.js';
import type { RuntimeContext } from '../runtime-context.js';
import { getContainer, refreshContainer } from './container-state.js';

const MAX_OUTPUT = 16 * 1024 * 1024; // as CRI-O caps exec sync output

export async function execSync(ctx: RuntimeContext, idOrPrefix: string, cmd: string[], timeout: number): Promise<ExecSyncResponse> {
  if (!Array.isArray(cmd) || cmd.length === 0) throw new RuntimeError('InvalidArgument', 'exec needs a command');
  const rec = await refreshContainer(ctx, getContainer(ctx, idOrPrefix));
  if (rec.state !== 'CONTAINER_RUNNING') throw new RuntimeError('FailedPrecondition', `container ${rec.id} is not running (${rec.state})`);
  const pidFile = path.join(rec.bundle, `exec-${crypto.randomBytes(6).toString('hex')}.pid`);
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
  const timer =
    timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          void fs
            .readFile(pidFile, 'utf8')
            .then((p) => process.kill(Number(p.trim()), 'SIGKILL'))
            .catch(() => child.kill('SIGKILL'));
        }, timeout * 1000)
      : undefined;
  try {
    const code = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) => reject(new RuntimeError('Unavailable', `cannot run ${ctx.oci.name} exec: ${e.message}`, { cause: e })));
      child.once('close', (c, sig) => resolve(c ?? (sig ? 128 + 9 : 1)));
    });
    if (timedOut) throw new RuntimeError('Unavailable', `command ${JSON.stringify(cmd)} in container ${rec.id} timed out after ${timeout}s`);
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: code };
  } finally {
    if (timer) clearTimeout(timer);
    await fs.rm(pidFile, { force: true });
  }
}
