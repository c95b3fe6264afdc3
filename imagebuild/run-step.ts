// RUN: the command runs in a container of skiff's own kind (an OCI bundle run by runc/crun in
// the foreground) on the step's working rootfs, its output streamed to the build output.
// The host network is used (a build needs no more; this machine has no outside network
// anyway). Mount points the runtime had to create (/proc, /sys, /dev on a bare rootfs) are
// taken out again, so only what the command did ends up in the layer.
import { spawn } from 'node:child_process';
import { lstat, readdir, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { removeCgroupTree } from '../runtime/oci/cgroups.js';
import { runCommand } from '../runtime/oci/command.js';
import { chooseRuntime, type OciRuntimeName } from '../runtime/oci/oci-runtime.js';
import { buildSpec } from '../runtime/oci/spec.js';
import { resolveUser } from '../runtime/oci/user.js';
import { timed } from './trace.js';
import type { WorkingRootfs } from './working-rootfs.js';

export interface RunStepInput {
  rootfs: WorkingRootfs;
  args: string[];
  env: string[];
  cwd: string;
  user: string;
  /** Where the OCI runtime keeps its state (--root). */
  stateRoot: string;
  id: string;
  output: Writable;
  runtime?: OciRuntimeName;
}

export class RunStepError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'RunStepError';
  }
}

const RUNTIME_MOUNT_POINTS = ['proc', 'sys', 'dev'];

/** Runs the command; resolves when it exited 0, rejects with RunStepError otherwise. */
export async function runStep(input: RunStepInput): Promise<void> {
  const { rootfs } = input;
  const existed = new Set<string>();
  for (const p of RUNTIME_MOUNT_POINTS) if (await lstat(path.join(rootfs.merged, p)).catch(() => undefined)) existed.add(p);
  const user = await resolveUser(rootfs.merged, { imageUser: input.user });
  const env = [...input.env];
  if (!env.some((e) => e.startsWith('HOME='))) env.push(`HOME=${user.home ?? '/'}`);
  const cgroupsPath = `/skiff-build-${input.id}`;
  const spec = buildSpec({ args: input.args, env, cwd: input.cwd || '/', user, cgroupsPath, rootPath: rootfs.merged, hostname: 'skiff-build' });
  // Own mount, PID, IPC and UTS namespaces (buildSpec); no network namespace: the host's network.
  await writeFile(path.join(rootfs.dir, 'config.json'), JSON.stringify(spec));
  const runtime = chooseRuntime(input.runtime);
  const base = [`--root=${input.stateRoot}`];
  try {
    const code = await timed(`${path.basename(runtime.path)} run`, () => new Promise<number>((resolve, reject) => {
      const child = spawn(runtime.path, [...base, 'run', '--bundle', rootfs.dir, input.id], { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.on('data', (b: Buffer) => input.output.write(b));
      child.stderr.on('data', (b: Buffer) => input.output.write(b));
      child.on('error', reject);
      child.on('close', (c, sig) => resolve(c ?? (sig ? 128 + 9 : 1)));
    }));
    if (code !== 0) throw new RunStepError(`exit code ${code}`, code);
  } finally {
    await timed('runtime delete', () => runCommand(runtime.path, [...base, 'delete', '--force', input.id]));
    await removeCgroupTree(cgroupsPath).catch(() => undefined);
  }
  for (const p of RUNTIME_MOUNT_POINTS) {
    if (existed.has(p)) continue;
    // Through the merged view: the directory exists only in the upper one, so no whiteout is left.
    const dir = path.join(rootfs.merged, p);
    if ((await readdir(dir).catch(() => ['?'])).length === 0) await rmdir(dir);
  }
}
