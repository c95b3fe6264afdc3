// A command whose stdin, stdout and stderr are pipes of this process: the OCI runtime's exec
// without a TTY (CRI Exec, ExecSync). Started by the spawn companion, which hands this process
// its ends of the pipes (spawner.ts), so the start costs no fork of this process; where the
// companion is switched off, by Node's spawn. Either way the same: stdout and stderr apart,
// stdin's end() is the command's EOF, no stdin is /dev/null, the answer comes once the command
// has started (a command that cannot start is a rejection), and `exited` is its code or signal.
import { spawn } from 'node:child_process';
import { streamViaCompanion, type CommandExit, type StreamRequest, type StreamedCommand } from './spawner.js';

export type { CommandExit, StreamedCommand };

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
