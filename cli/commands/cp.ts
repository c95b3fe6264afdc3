// skiff cp LOCAL [NS/]POD:PATH and skiff cp [NS/]POD:PATH LOCAL, as kubectl cp does it: tar
// through exec. Into the pod, a tar made here (streams/tar-pack.ts) feeds `tar -xmf - -C DIR`;
// out of it, `tar cf - PATH` feeds the guarded extraction in streams/tar-extract.ts. Both
// stream, so a large file never sits in memory.
import { Command } from 'commander';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { chooseContainer } from '../pod-target.js';
import { runRemoteCommand, type RemoteCommandTarget } from '../streams/remote-command.js';
import { extractTar, tarPrefix } from '../streams/tar-extract.js';
import { packTar } from '../streams/tar-pack.js';
import { runVerb, type Io } from '../verb.js';

export type FileSpec = { local: string } | { namespace?: string; pod: string; path: string };

/** kubectl's file spec: `[NS/]POD:PATH` is in a pod; anything else (or starting with / or .) is local. */
export function parseFileSpec(arg: string): FileSpec {
  const colon = arg.indexOf(':');
  if (colon < 0 || arg.startsWith('/') || arg.startsWith('.')) return { local: arg };
  const podPart = arg.slice(0, colon);
  const file = arg.slice(colon + 1);
  if (file === '') throw new CliError(`${arg}: a path in the pod is required after ":"`);
  const parts = podPart.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new CliError(`${arg}: expected [NAMESPACE/]POD:PATH`);
  return parts.length === 2 ? { namespace: parts[0], pod: parts[1]!, path: file } : { pod: parts[0]!, path: file };
}

/** Which way the copy goes; one side local, the other in a pod. */
export function copyDirection(src: string, dest: string): { into: { local: string; remote: Extract<FileSpec, { pod: string }> } } | { outOf: { remote: Extract<FileSpec, { pod: string }>; local: string } } {
  const from = parseFileSpec(src);
  const to = parseFileSpec(dest);
  if ('local' in from && !('local' in to)) return { into: { local: from.local, remote: to } };
  if (!('local' in from) && 'local' in to) return { outOf: { remote: from, local: to.local } };
  throw new CliError('one of src or dest must be a local file specification and the other a pod (POD:PATH)');
}

interface CpFlags extends ConnectionFlags {
  container?: string;
}

/** Drops busybox's and GNU tar's note about names made relative: kubectl users see it as noise. */
function tarStderr(io: Io): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (!/removing leading [`']\/' from member names/i.test(line)) io.stderr.write(`${line}\n`);
      cb();
    },
    final(cb) {
      if (pending) io.stderr.write(pending);
      cb();
    },
  });
}

const discard = () => new Writable({ write: (_c, _e, cb) => cb() });

async function target(ctx: CliContext, remote: { namespace?: string; pod: string }, flags: CpFlags, io: Io): Promise<Omit<RemoteCommandTarget, 'command'>> {
  const namespace = remote.namespace ?? ctx.namespace;
  const pod = await ctx.rest.pods.get(remote.pod, { namespace });
  const { container, note } = chooseContainer(pod, flags.container);
  if (note) io.stderr.write(`${note}\n`);
  return { kind: 'exec', namespace, pod: remote.pod, container, tty: false };
}

function failed(what: string, result: { exitCode: number; message?: string }): CliError {
  return new CliError(`${what}: ${result.message ?? `exit code ${result.exitCode}`}`);
}

export async function cpAction(src: string, dest: string, flags: CpFlags, ctx: CliContext, io: Io): Promise<void> {
  const direction = copyDirection(src, dest);
  const warn = (line: string) => io.stderr.write(`${line}\n`);
  if ('into' in direction) {
    const { local, remote } = direction.into;
    const base = await target(ctx, remote, flags, io);
    let destPath = remote.path;
    const isDir = await runRemoteCommand(ctx.rest, { ...base, command: ['test', '-d', destPath] }, { stdout: discard() });
    if (isDir.exitCode === 0) destPath = path.posix.join(destPath, path.basename(path.resolve(local)));
    const pack = await packTar(local, path.posix.basename(destPath), warn);
    const result = await runRemoteCommand(ctx.rest, { ...base, command: ['tar', '-xmf', '-', '-C', path.posix.dirname(destPath)] }, { stdin: Readable.from(pack), stdout: io.stdout, stderr: tarStderr(io) });
    if (result.exitCode !== 0) throw failed(`copying into ${remote.pod}:${destPath}`, result);
    return;
  }
  const { remote, local } = direction.outOf;
  const base = await target(ctx, remote, flags, io);
  const tarStream = new PassThrough();
  const extraction = extractTar(tarStream, { prefix: tarPrefix(remote.path), destination: local, warn });
  // A failed write here stops the copy: nothing would read the rest of the pod's tar.
  const abort = new AbortController();
  let extractError: unknown;
  extraction.catch((err: unknown) => {
    extractError = err;
    abort.abort();
  });
  let result;
  try {
    result = await runRemoteCommand(ctx.rest, { ...base, command: ['tar', 'cf', '-', remote.path] }, { stdout: tarStream, stderr: tarStderr(io), signal: abort.signal });
  } finally {
    tarStream.end();
  }
  if (extractError) throw extractError;
  if (result.exitCode !== 0) {
    tarStream.destroy();
    throw failed(`copying ${remote.pod}:${remote.path}`, result);
  }
  await extraction;
}

export function cpCommand(): Command {
  const cmd = new Command('cp')
    .description('Copy files and directories to and from containers')
    .usage('[-c CONTAINER] SRC DEST  (one of them [NAMESPACE/]POD:PATH)')
    .argument('<src>', 'LOCAL or [NAMESPACE/]POD:PATH')
    .argument('<dest>', 'LOCAL or [NAMESPACE/]POD:PATH')
    .option('-c, --container <name>', 'the container (default: the default container, else the first)');
  withConnectionFlags(cmd);
  return cmd.action(async (src: string, dest: string, flags: CpFlags) => runVerb(flags, (ctx, io) => cpAction(src, dest, flags, ctx, io)));
}
