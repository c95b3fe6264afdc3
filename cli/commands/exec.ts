// skiff exec [-i] [-t] POD [-c CONTAINER] -- CMD [ARGS...] and skiff attach POD [-c C] [-i] [-t]:
// a process in a container, through the API server (pods/POD/exec, pods/POD/attach), as kubectl
// runs it: stdin with -i, a terminal in raw mode with -t (only when -i is given and stdin is a
// terminal, as kubectl's SetupTTY decides), and the remote exit code as ours, with kubectl's
// "command terminated with exit code N".
import { Command } from 'commander';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { chooseContainer, podName } from '../pod-target.js';
import { runRemoteCommand, type RemoteCommandTarget } from '../streams/remote-command.js';
import { rawTerminal } from '../streams/terminal.js';
import { runVerb, type Io } from '../verb.js';

export interface StreamFlags extends ConnectionFlags {
  container?: string;
  stdin?: boolean;
  tty?: boolean;
  quiet?: boolean;
}

export interface RemoteCommandInvocation {
  kind: 'exec' | 'attach';
  pod: string;
  command: string[];
  flags: StreamFlags;
}

/** How a finished command reads to the user and the exit code it leaves. */
export function reportResult(result: { exitCode: number; message?: string; status?: { reason?: string } }, io: Io, quiet = false): number {
  if (result.exitCode === 0) return 0;
  if (result.status?.reason === 'NonZeroExitCode') {
    if (!quiet) io.stderr.write(`command terminated with exit code ${result.exitCode}\n`);
    return result.exitCode;
  }
  throw new CliError(result.message ?? `command failed with exit code ${result.exitCode}`);
}

export async function remoteCommandAction(inv: RemoteCommandInvocation, ctx: CliContext, io: Io): Promise<void> {
  if (inv.kind === 'exec' && inv.command.length === 0) throw new CliError('you must specify at least one command for the container');
  const name = podName(inv.pod, inv.kind);
  const pod = await ctx.rest.pods.get(name, { namespace: ctx.namespace });
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw new CliError(`cannot ${inv.kind} into a container in a completed pod; current phase is ${phase}`);
  const { container, note } = chooseContainer(pod, inv.flags.container);
  if (note && !inv.flags.quiet) io.stderr.write(`${note}\n`);
  const stdin = Boolean(inv.flags.stdin);
  const terminal = inv.flags.tty && stdin ? rawTerminal() : undefined;
  if (inv.flags.tty && stdin && !terminal && !inv.flags.quiet) io.stderr.write('Unable to use a TTY - input is not a terminal or the right kind of file\n');
  const target: RemoteCommandTarget = { kind: inv.kind, namespace: ctx.namespace, pod: name, container, command: inv.command, tty: terminal !== undefined };
  if (inv.kind === 'attach' && !inv.flags.quiet) {
    io.stderr.write(`If you don't see a command prompt, try pressing enter.\n`);
  }
  try {
    const result = await runRemoteCommand(ctx.rest, target, {
      stdin: stdin ? process.stdin : undefined,
      stdout: io.stdout,
      stderr: terminal ? undefined : io.stderr,
      terminal,
    });
    process.exitCode = reportResult(result, io, inv.flags.quiet);
  } finally {
    terminal?.restore();
    // A stdin still open (a terminal never ends) would keep the process alive.
    if (stdin) process.stdin.destroy();
  }
}

type Run = (inv: RemoteCommandInvocation) => Promise<void>;

const defaultRun: Run = (inv) => runVerb(inv.flags, (ctx, io) => remoteCommandAction(inv, ctx, io));

function streamOptions(cmd: Command): Command {
  cmd
    .option('-c, --container <name>', 'the container (default: the default container, else the first)')
    .option('-i, --stdin', 'pass stdin to the container')
    .option('-t, --tty', 'stdin is a TTY')
    .option('-q, --quiet', 'only print output from the remote session');
  return withConnectionFlags(cmd);
}

export function execCommand(run: Run = defaultRun): Command {
  const cmd = new Command('exec')
    .description('Execute a command in a container')
    .usage('[-i] [-t] POD [-c CONTAINER] -- COMMAND [args...]')
    .argument('<pod>', 'POD or pod/POD')
    .argument('[command...]', 'the command and its arguments, after --');
  return streamOptions(cmd).action(async (pod: string, command: string[], flags: StreamFlags) => run({ kind: 'exec', pod, command, flags }));
}

export function attachCommand(run: Run = defaultRun): Command {
  const cmd = new Command('attach').description('Attach to a running container').argument('<pod>', 'POD or pod/POD');
  return streamOptions(cmd).action(async (pod: string, flags: StreamFlags) => run({ kind: 'attach', pod, command: [], flags }));
}
