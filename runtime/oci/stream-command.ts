// A command whose stdin, stdout and stderr are pipes of this process: the OCI runtime's exec
// without a TTY (CRI Exec, ExecSync). Started by the spawn companion, which hands this process
// its ends of the pipes (spawner.ts), so the start costs no fork of this process; where the
// companion is switched off, by Node's spawn. Either way the same: stdout and stderr apart,
// stdin's end() is the command's EOF, no stdin is /dev/null, the answer comes once the command
// has started (a command that cannot start is a rejection), and `exited` is its code or signal.
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { streamViaCompanion } from './spawner.js';

export interface StreamRequest {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Whether this process writes its stdin; without, the command reads /dev/null. */
  stdin: boolean;
}

/** How a command ended: its exit code, or the signal that ended it. */
export interface CommandExit {
  code: number | null;
  signal: NodeJS.Signals | number | null;
}

export interface StreamedCommand {
  /** end() is the command's EOF. */
  stdin?: Writable;
  stdout: Readable;
  stderr: Readable;
  exited: Promise<CommandExit>;
  /** SIGKILL to the command (not to what it started). */
  kill(): void;
}

export function startStreamCommand(req: StreamRequest): Promise<StreamedCommand> {
  return streamViaCompanion(req) ?? spawnDirectly(req);
}

async function spawnDirectly(req: StreamRequest): Promise<StreamedCommand> {
  const child = spawn(req.cmd, req.args, { stdio: [req.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: req.env });
  const exited = new Promise<CommandExit>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => undefined); // a failure to start is the answer's
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('spawn', () => {
      const { stdin, stdout, stderr } = child;
      if (!stdout || !stderr) return reject(new Error('no pipes from spawn'));
      resolve({ stdin: stdin ?? undefined, stdout, stderr, exited, kill: () => child.kill('SIGKILL') });
    });
  });
}
