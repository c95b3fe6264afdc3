// Running a helper binary (crun/runc, ip, mount, CNI plugins) and collecting its output. One
// place, so every call has the same error shape: the command, its exit code and its stderr.
// Commands start from the spawn companion (spawner.ts) unless it is switched off; a few
// operations it does itself, with the equivalent command where it is off.
import { spawn } from 'node:child_process';
import { RuntimeError } from '../cri.js';
import type { CommandResult } from './command-result.js';
import { opViaCompanion, spawnViaCompanion, type CompanionOp, type SpawnedCommand, type SpawnRequest } from './spawner.js';

export type { CommandResult };

export interface CommandOptions {
  /**
   * Written to stdin, then stdin is closed. A promise lets the command start (and load) before
   * its input is known; if the promise rejects, the command is killed and that error returned.
   */
  input?: string | Promise<string>;
  env?: NodeJS.ProcessEnv;
  /** Kill the command (SIGKILL) after this many ms. */
  timeoutMs?: number;
}

/** A command started from this process (the spawn companion switched off). */
function spawnDirectly(req: SpawnRequest): SpawnedCommand {
  const child = spawn(req.cmd, req.args, { stdio: ['pipe', 'pipe', 'pipe'], env: req.env });
  const result = new Promise<CommandResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = req.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), req.timeoutMs) : undefined;
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
  child.stdin.on('error', () => {
    // The command may exit before reading its input; its exit code says what happened.
  });
  if (!req.waitInput) child.stdin.end(req.input ?? '');
  return { result, input: (data) => child.stdin.end(data), kill: () => child.kill('SIGKILL') };
}

export function runCommand(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const input = opts.input ?? '';
  const req: SpawnRequest = { cmd, args, env: opts.env ?? process.env, timeoutMs: opts.timeoutMs, ...(typeof input === 'string' ? { input } : { waitInput: true }) };
  const started = spawnViaCompanion(req) ?? spawnDirectly(req);
  let inputError: { e: unknown } | undefined;
  if (typeof input !== 'string') {
    input.then(
      (text) => started.input(text),
      (e: unknown) => {
        inputError = { e };
        started.kill();
      },
    );
  }
  return started.result.then(
    (r) => {
      if (inputError) throw inputError.e;
      return r;
    },
    (e: Error) => {
      throw new RuntimeError('Unavailable', `cannot run ${cmd}: ${e.message}`, { cause: e });
    },
  );
}

/** Like runCommand, but a non-zero exit is an Internal error carrying stderr. */
export async function mustRun(cmd: string, args: string[], opts: CommandOptions = {}): Promise<CommandResult> {
  const r = await runCommand(cmd, args, opts);
  if (r.code !== 0) throw new RuntimeError('Internal', `${cmd} ${args.join(' ')}: exit ${r.code}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/**
 * An operation the spawn companion does itself (spawner.ts, CompanionOp); where the companion
 * is switched off, `instead` runs the command that does the same. Answered as a command is.
 */
export function runOperation(op: CompanionOp, args: string[], instead: () => Promise<CommandResult>): Promise<CommandResult> {
  const viaCompanion = opViaCompanion(op, args);
  if (!viaCompanion) return instead();
  return viaCompanion.catch((e: Error) => {
    throw new RuntimeError('Unavailable', `cannot ${op} ${args[0] ?? ''}: ${e.message}`, { cause: e });
  });
}
