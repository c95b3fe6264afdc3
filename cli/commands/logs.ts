// skiff logs POD [-c CONTAINER]: a container's log through the API server (which proxies
// the kubelet's CRI log files), with kubectl's -f, --tail, --previous, --timestamps,
// --since and --since-time. With several containers and no -c, the default container
// (annotation kubectl.kubernetes.io/default-container, else the first) is used and named.
import { Command } from 'commander';
import { withConnectionFlags, parseDuration, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { chooseContainer, podName } from '../pod-target.js';
import { runVerb, type Io } from '../verb.js';

interface LogsFlags extends ConnectionFlags {
  container?: string;
  follow?: boolean;
  tail?: string;
  previous?: boolean;
  timestamps?: boolean;
  since?: string;
  sinceTime?: string;
  limitBytes?: string;
}

export async function logsAction(arg: string, flags: LogsFlags, ctx: CliContext, io: Io): Promise<void> {
  const name = podName(arg, 'logs');
  const pods = ctx.rest.pods;
  const pod = await pods.get(name, { namespace: ctx.namespace });
  const { container, note } = chooseContainer(pod, flags.container);
  if (note) io.stderr.write(`${note}\n`);
  const tail = flags.tail === undefined ? -1 : Number(flags.tail);
  if (!Number.isInteger(tail)) throw new CliError(`invalid --tail "${flags.tail}": a whole number of lines (-1: all)`);
  if (flags.since && flags.sinceTime) throw new CliError('at most one of --since and --since-time may be given');
  const query = {
    container,
    follow: flags.follow || undefined,
    previous: flags.previous || undefined,
    timestamps: flags.timestamps || undefined,
    tailLines: tail >= 0 ? tail : undefined,
    sinceSeconds: flags.since ? Math.max(1, Math.ceil(parseDuration(flags.since) / 1000)) : undefined,
    sinceTime: flags.sinceTime,
    limitBytes: flags.limitBytes,
  };
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGINT', stop);
  try {
    const res = await pods.streamSubresource(name, 'log', { namespace: ctx.namespace, query, signal: abort.signal });
    for await (const chunk of res) io.stdout.write(chunk as Buffer);
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    process.off('SIGINT', stop);
  }
}

export function logsCommand(): Command {
  const cmd = new Command('logs')
    .description("Print the logs of a container in a pod")
    .argument('<pod>', 'POD or pod/POD')
    .option('-c, --container <name>', 'the container (default: the default container, else the first)')
    .option('-f, --follow', 'keep streaming new lines')
    .option('--tail <lines>', 'only the last N lines (-1: all)')
    .option('-p, --previous', 'the log of the previous, terminated instance of the container')
    .option('--timestamps', 'prefix each line with its RFC3339 timestamp')
    .option('--since <duration>', 'only lines newer than this (e.g. 5s, 2m, 3h)')
    .option('--since-time <time>', 'only lines after this RFC3339 time')
    .option('--limit-bytes <n>', 'stop after this many bytes');
  withConnectionFlags(cmd);
  return cmd.action(async (arg: string, flags: LogsFlags) => runVerb(flags, (ctx, io) => logsAction(arg, flags, ctx, io)));
}
