// skiff prune [--node N]: `docker image prune -a` on the cluster's nodes through the node
// proxy (the kubelet's POST /images/prune removes images no container uses, and blobs and
// snapshots no image needs), with docker's report of what was freed.
import { Command } from 'commander';
import { withConnectionFlags, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatPrune, type PruneReport } from '../images/image-format.js';
import { kubeletRequest, targetNodes } from '../nodes/node-proxy.js';
import { runVerb, type Io } from '../verb.js';
import { withNodeFlag, type NodeFlags } from './images.js';

export async function pruneAction(flags: NodeFlags, ctx: CliContext, io: Io): Promise<void> {
  const nodes = await targetNodes(ctx.rest, flags.node);
  if (nodes.length === 0) throw new CliError('the cluster has no nodes');
  for (const node of nodes) {
    const report = await kubeletRequest<PruneReport>(ctx.rest, node, '/images/prune', { method: 'POST' });
    if (!report || !Array.isArray(report.imagesDeleted)) throw new CliError(`node ${node} answered POST /images/prune without a report`);
    io.stdout.write(`${nodes.length > 1 ? `${node}:\n` : ''}${formatPrune(report)}`);
  }
}

export function pruneCommand(): Command {
  const cmd = new Command('prune').description("Remove unused images from the cluster's nodes and report the space freed (through the node proxy)");
  withNodeFlag(cmd, 'only this node (default: every node)');
  withConnectionFlags(cmd);
  return cmd.action(async (flags: NodeFlags) => runVerb(flags, (ctx, io) => pruneAction(flags, ctx, io)));
}
