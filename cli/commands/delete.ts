// skiff delete: by names, TYPE/NAME, -f, -l or --all; --grace-period, --now, --force;
// --cascade=background|foreground|orphan (the DELETE's propagationPolicy); and,
// as kubectl does, it waits until each object is really gone (a running pod stays until
// its kubelet has stopped the containers) unless --wait=false.
import { Command } from 'commander';
import { isApiError } from '../../api/errors.js';
import type { ResourceInfo } from '../../api/resources.js';
import type { KubeObject } from '../../api/types/meta.js';
import type { RestClient } from '../../client/rest.js';
import { planFromFlags, withFilenameFlags, type FilenameFlags } from '../apply/file-flags.js';
import { withConnectionFlags, parseDuration, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { parseResourceArgs } from '../resource-args.js';
import { reportError, runVerb, type Io } from '../verb.js';

interface DeleteFlags extends FilenameFlags {
  selector?: string;
  all?: boolean;
  allNamespaces?: boolean;
  gracePeriod?: string;
  now?: boolean;
  force?: boolean;
  wait?: boolean | string;
  timeout?: string;
  ignoreNotFound?: boolean;
  cascade?: string;
}

interface Victim {
  info: ResourceInfo;
  namespace?: string;
  name: string;
}

function gracePeriod(flags: DeleteFlags): number | undefined {
  if (flags.force) return 0;
  if (flags.now) return 1;
  const g = Number(flags.gracePeriod ?? '-1');
  if (!Number.isInteger(g)) throw new CliError(`invalid --grace-period "${flags.gracePeriod}": a whole number of seconds`);
  return g >= 0 ? g : undefined;
}

/** kubectl's --cascade: the propagationPolicy of every DELETE (the old true/false too). */
function propagationPolicy(flags: DeleteFlags): 'Background' | 'Foreground' | 'Orphan' {
  const c = flags.cascade ?? 'background';
  if (c === 'background' || c === 'true') return 'Background';
  if (c === 'foreground') return 'Foreground';
  if (c === 'orphan' || c === 'false') return 'Orphan';
  throw new CliError(`invalid cascade value (${c}). Must be "background", "foreground", or "orphan".`);
}

async function victimsOf(args: string[], flags: DeleteFlags, ctx: CliContext): Promise<Victim[]> {
  if (flags.filename?.length) {
    const plan = await planFromFlags(flags, ctx, { validate: 'ignore' });
    if (plan.errors.length) throw new CliError(plan.errors.join('; '));
    return plan.objects.map((p) => ({ info: p.target.info, namespace: p.target.namespace, name: p.target.name }));
  }
  const reqs = parseResourceArgs(args, 'delete');
  const out: Victim[] = [];
  for (const req of reqs) {
    const ns = req.info.namespaced ? ctx.namespace : undefined;
    if (req.names.length > 0) {
      if (flags.all || flags.selector) throw new CliError('names cannot be given together with --all or a label selector');
      out.push(...req.names.map((name) => ({ info: req.info, namespace: ns, name })));
      continue;
    }
    if (!flags.all && !flags.selector) throw new CliError('resource(s) were provided, but no name was specified');
    const list = await ctx.rest.resource(req.info).listAll({ namespace: flags.allNamespaces ? '' : ns, labelSelector: flags.selector });
    out.push(...list.items.map((o: KubeObject) => ({ info: req.info, namespace: o.metadata.namespace, name: o.metadata.name ?? '' })));
  }
  return out;
}

const POLL_MS = 250;

/** Polls until the object is gone (or replaced by a new one with another uid). */
async function waitGone(rest: RestClient, v: Victim, uid: string | undefined, deadline: number): Promise<void> {
  const client = rest.resource(v.info);
  for (;;) {
    try {
      const obj = await client.get(v.name, { namespace: v.namespace });
      if (uid && obj.metadata.uid !== uid) return;
    } catch (err) {
      if (isApiError(err, 'NotFound')) return;
      throw err;
    }
    if (Date.now() > deadline) throw new CliError(`timed out waiting for the condition on ${v.info.plural}/${v.name}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export async function deleteAction(args: string[], flags: DeleteFlags, ctx: CliContext, io: Io): Promise<void> {
  const grace = gracePeriod(flags);
  const policy = propagationPolicy(flags);
  if (flags.force) io.stderr.write('Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.\n');
  const victims = await victimsOf(args, flags, ctx);
  if (victims.length === 0) {
    io.stdout.write('No resources found\n');
    return;
  }
  const timeout = flags.timeout ? parseDuration(flags.timeout) : 0;
  const deadline = timeout > 0 ? Date.now() + timeout : Number.POSITIVE_INFINITY;
  const pending: Promise<void>[] = [];
  for (const v of victims) {
    try {
      const res = await ctx.rest.resource(v.info).delete(v.name, { namespace: v.namespace, gracePeriodSeconds: grace, propagationPolicy: policy });
      io.stdout.write(`${v.info.singular} "${v.name}" ${flags.force ? 'force deleted' : 'deleted'}\n`);
      const uid = (res as KubeObject).metadata?.uid ?? (res as { details?: { uid?: string } }).details?.uid;
      if (flags.wait !== false && flags.wait !== 'false') pending.push(waitGone(ctx.rest, v, uid, deadline).catch((err: unknown) => reportError(err, io)));
    } catch (err) {
      if (flags.ignoreNotFound && isApiError(err, 'NotFound')) continue;
      reportError(err, io, ctx.connection.server);
    }
  }
  await Promise.all(pending);
}

export function deleteCommand(): Command {
  const cmd = new Command('delete')
    .description('Delete resources by names, file names, stdin or label selector, and wait until they are gone')
    .argument('[resources...]', 'TYPE NAME... | TYPE/NAME...');
  withFilenameFlags(cmd, 'the objects of a file, directory or - (repeatable)')
    .option('-l, --selector <selector>', 'delete the objects matching this label selector')
    .option('--all', 'delete every object of the type in the namespace')
    .option('-A, --all-namespaces', 'with --all or -l: across all namespaces')
    .option('--grace-period <seconds>', 'seconds the pod gets to stop (-1: the pod\'s own)', '-1')
    .option('--now', 'signal the containers to stop at once (grace period 1)')
    .option('--force', 'remove the object at once, without waiting for the containers to stop')
    .option('--wait [bool]', 'wait for the objects to be gone (--wait=false returns once the deletion is accepted)', true)
    .option('--timeout <duration>', 'how long to wait (0: no limit)', '0')
    .option('--ignore-not-found', 'treat "not found" as success')
    .option('--cascade <strategy>', 'what becomes of the dependents: background (deleted after), foreground (deleted first) or orphan (kept)', 'background');
  withConnectionFlags(cmd);
  return cmd.action(async (args: string[], flags: DeleteFlags) => runVerb(flags, (ctx, io) => deleteAction(args, flags, ctx, io)));
}
