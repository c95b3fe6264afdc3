// skiff run NAME --image IMG [flags] [-- ARGS]: one pod from kubectl's and docker's flags
// (see cli/run/pod-from-flags.ts), created as it is, or printed with --dry-run=client -o yaml.
import { Command } from 'commander';
import { resourceForKind } from '../../api/resources.js';
import { createObject, dryRunSuffix, parseDryRun } from '../apply/apply-object.js';
import { collect } from '../apply/file-flags.js';
import { parseDuration, withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { parseOutput, printObjects } from '../printers/output.js';
import { podFromFlags, type RunFlags } from '../run/pod-from-flags.js';
import { runVerb, type Io } from '../verb.js';
import { waitRunning } from '../run/wait-running.js';

interface RunCommandFlags extends RunFlags, ConnectionFlags {
  dryRun?: string | boolean;
  output?: string;
  wait?: boolean;
  timeout?: string;
}

export async function runAction(name: string, args: string[], flags: RunCommandFlags, ctx: CliContext, io: Io): Promise<void> {
  const pod = podFromFlags(name, flags, args);
  const dryRun = parseDryRun(flags.dryRun);
  const output = flags.output ? parseOutput(flags.output) : undefined;
  const info = resourceForKind('v1', 'Pod');
  if (!info) throw new Error('the Pod resource is not served');
  const created = await createObject(ctx.rest, pod, { info, namespace: ctx.namespace, name, ref: `pod/${name}` }, dryRun);
  if (output) io.stdout.write(printObjects([{ apiVersion: 'v1', kind: 'Pod', ...created }], { output, clock: ctx.clock }, true));
  else io.stdout.write(`pod/${created.metadata.name ?? name} created${dryRunSuffix(dryRun)}\n`);
  if (flags.wait && dryRun === 'none') {
    // Events print as they arrive, so they cannot be aligned as a table; two spaces part the cells.
    const print = (line: string) => io.stdout.write(`  ${line.replace(/\t/g, '  ')}\n`);
    await waitRunning(ctx.rest, ctx.namespace, created.metadata.name ?? name, print, parseDuration(flags.timeout ?? '5m'), created.metadata.uid, {
      progressStream: io.stdout as NodeJS.WritableStream & { isTTY?: boolean },
    });
  }
}

export function runCommand(): Command {
  const cmd = new Command('run')
    .description('Run a container in a pod (kubectl run, with docker run\'s flags too)')
    .argument('<name>', 'the pod\'s name')
    .argument('[args...]', 'after --: the container\'s arguments (its command with --command)')
    .option('--image <image>', 'the container image')
    .option('--port <port>', 'the port the container exposes')
    .option('-p, --publish <[ip:]host:container[/proto]>', 'publish a container port on the node (docker), repeatable', collect)
    .option('-e, --env <KEY=VALUE>', 'an environment variable, repeatable', collect)
    .option('-l, --labels <k=v,...>', 'labels of the pod (default run=NAME)')
    .option('--annotations <k=v>', 'an annotation of the pod, repeatable', collect)
    .option('--restart <policy>', 'Always, OnFailure or Never (docker: always, on-failure, no, unless-stopped)', 'Always')
    .option('--command', 'the arguments after -- are the command, not its arguments')
    .option('-m, --memory <size>', 'memory limit (docker units: 512m, 1g; or 512Mi)')
    .option('--memory-swap <size>', 'memory plus swap limit (docker: equal to --memory means no swap, -1 unlimited)')
    .option('--cpu-shares <n>', 'relative CPU weight (docker; 1024 = one CPU\'s request)')
    .option('--cpus <n>', 'CPU limit, e.g. 0.5 or 2')
    .option('--image-pull-policy <policy>', 'Always, IfNotPresent or Never')
    .option('--wait', 'show the pod\'s events until it runs; exit code 1 if it cannot start')
    .option('--timeout <duration>', 'with --wait: how long to wait', '5m')
    .option('--dry-run [strategy]', 'none, client or server', 'none')
    .option('-o, --output <format>', 'print the pod: yaml, json, name');
  withConnectionFlags(cmd);
  return cmd.action(async (name: string, args: string[], flags: RunCommandFlags) => runVerb(flags, (ctx, io) => runAction(name, args, flags, ctx, io)));
}
