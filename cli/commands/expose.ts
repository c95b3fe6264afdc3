// skiff expose (deployment|replicaset|pod) NAME [--port P] [--target-port T] [--type T]
// [--name N] [--protocol P]: kubectl's verb, a Service for the object's pods
// (expose-service.ts says which). Prints "service/NAME exposed".
import { Command } from 'commander';
import { withConnectionFlags, type CliContext, type ConnectionFlags } from '../context.js';
import { CliError } from '../errors.js';
import { resolveResource } from '../resource-args.js';
import { runVerb, type Io } from '../verb.js';
import { serviceForExpose, type Exposable, type ExposeOptions } from './expose-service.js';

interface ExposeFlags extends ConnectionFlags, ExposeOptions {}

const EXPOSABLE = new Set(['Pod', 'Deployment', 'ReplicaSet']);

export async function exposeAction(args: string[], flags: ExposeFlags, ctx: CliContext, io: Io): Promise<void> {
  const [type, name] = args.length === 1 && args[0]!.includes('/') ? args[0]!.split('/', 2) : args;
  if (!type || !name || args.length > 2) throw new CliError('You must provide a resource by TYPE NAME or TYPE/NAME to expose.');
  const info = resolveResource(type);
  if (!EXPOSABLE.has(info.kind)) throw new CliError(`cannot expose a ${info.kind}: use a deployment, replicaset or pod`);
  const obj = (await ctx.rest.resourceByName(info.plural, info.group).get(name, { namespace: ctx.namespace })) as unknown as Exposable;
  const service = serviceForExpose({ ...obj, kind: info.kind }, flags);
  const created = await ctx.rest.resourceByName('services').create(service as never, { namespace: ctx.namespace });
  io.stdout.write(`service/${created.metadata.name ?? service.metadata.name} exposed\n`);
}

export function exposeCommand(): Command {
  const cmd = new Command('expose')
    .description('Take a deployment, replica set or pod and expose it as a new Service')
    .usage('(deployment|replicaset|pod) NAME [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--type=type]')
    .argument('<resource...>', 'TYPE NAME or TYPE/NAME')
    .option('--port <port>', 'the port(s) the Service serves on, comma separated; default: the containers\' ports')
    .option('--target-port <port>', "the container port (number or name) traffic goes to; default: the Service's port")
    .option('--type <type>', 'ClusterIP, NodePort or LoadBalancer (default ClusterIP)')
    .option('--name <name>', "the Service's name; default: the object's")
    .option('--protocol <protocol>', 'TCP, UDP or SCTP (default TCP)');
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: ExposeFlags) => runVerb(flags, (ctx, io) => exposeAction(args, flags, ctx, io)));
}
