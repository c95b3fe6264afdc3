// skiff rmi [--node N] [--force] REF|ID-PREFIX...: removes images from a node's store through
// the node proxy (the kubelet's DELETE /images/{ref}). Without --node, from every node that
// has the image. Prints docker's "Untagged: ..." and "Deleted: ..." lines, found by comparing
// the node's image list before and after, so a reference the node resolves (busybox ->
// docker.io/library/busybox:latest) reads as docker says it.
import { Command } from 'commander';
import { isApiError } from '../../api/errors.js';
import { withConnectionFlags, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { kubeletRequest, targetNodes } from '../nodes/node-proxy.js';
import { reportError, runVerb, type Io } from '../verb.js';
import { nodeImages, withNodeFlag, type NodeFlags } from './images.js';

interface RmiFlags extends NodeFlags {
  force?: boolean;
}

async function removeOn(ctx: CliContext, node: string, ref: string, force: boolean): Promise<string[]> {
  const before = await nodeImages(ctx, node);
  await kubeletRequest(ctx.rest, node, `/images/${encodeURIComponent(ref)}`, { method: 'DELETE', query: { force: force ? 'true' : undefined } });
  const after = await nodeImages(ctx, node);
  const tagsAfter = new Set(after.flatMap((i) => i.repoTags));
  const idsAfter = new Set(after.map((i) => i.id));
  const lines: string[] = [];
  for (const img of before) {
    for (const t of img.repoTags) if (!tagsAfter.has(t)) lines.push(`Untagged: ${t}`);
    if (!idsAfter.has(img.id)) lines.push(`Deleted: ${img.id}`);
  }
  return lines;
}

export async function rmiAction(refs: string[], flags: RmiFlags, ctx: CliContext, io: Io): Promise<void> {
  const nodes = await targetNodes(ctx.rest, flags.node);
  if (nodes.length === 0) throw new CliError('the cluster has no nodes');
  const many = nodes.length > 1;
  for (const ref of refs) {
    let found = false;
    let lastMissing: unknown;
    for (const node of nodes) {
      try {
        const lines = await removeOn(ctx, node, ref, flags.force ?? false);
        found = true;
        io.stdout.write(lines.map((l) => `${many ? `${node}: ` : ''}${l}\n`).join(''));
      } catch (err) {
        // Asked of every node, an image missing on some of them is no failure.
        if (isApiError(err, 'NotFound') && !flags.node) {
          lastMissing = err;
          continue;
        }
        reportError(new CliError(`${many ? `${node}: ` : ''}${ref}: ${(err as Error).message.trim()}`), io);
        found = true;
      }
    }
    if (!found) reportError(new CliError(`${ref}: ${lastMissing instanceof Error ? lastMissing.message.trim() : 'no such image'}`), io);
  }
}

export function rmiCommand(): Command {
  const cmd = new Command('rmi')
    .description("Remove images from the cluster's nodes by reference, full ID or unique ID prefix (through the node proxy)")
    .argument('<refs...>', 'image references or IDs')
    .option('-f, --force', 'remove even if a container uses the image');
  withNodeFlag(cmd, 'only this node (default: every node that has the image)');
  withConnectionFlags(cmd);
  return cmd.action(async (refs: string[], flags: RmiFlags) => runVerb(flags, (ctx, io) => rmiAction(refs, flags, ctx, io)));
}
